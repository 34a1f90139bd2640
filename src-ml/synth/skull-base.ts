// The skull base and the tentorium as height fields over head-local (u, v): the cranial floor (the
// posterior fossa bowl with the foramen magnum, the petrous ridges, the clivus and sella, the middle and
// anterior fossae), the thickness of bone under it, and the tentorium roofing the posterior fossa.
// Height fields give the exact partial volume along z of a slab, and axial cuts of them show the
// stepped fossae a head CT has at its lowest slices.
import type { Rng } from '../base/random.ts';

/** Scales from the reference head to this one, and small shape variations; all drawn at creation. */
export interface BaseParams {
  su: number;
  sv: number;
  sw: number;
  ridgeHeight: number;
  ridgeAngle: number;
  acfHeight: number;
  mcfHeight: number;
  pfDepth: number;
  foramen: number;
  tentApex: number;
  tentEdge: number;
  petrousWidth: number;
}

export function randomBaseParams(rng: Rng, su: number, sv: number, sw: number): BaseParams {
  return {
    su,
    sv,
    sw,
    ridgeHeight: rng.uniform(-3, 3),
    ridgeAngle: rng.uniform(-0.08, 0.08),
    acfHeight: rng.uniform(-3, 3),
    mcfHeight: rng.uniform(-2, 2),
    pfDepth: rng.uniform(-2, 2),
    foramen: rng.uniform(0.9, 1.12),
    tentApex: rng.uniform(-3, 3),
    tentEdge: rng.uniform(-3, 3),
    petrousWidth: rng.uniform(0.9, 1.15),
  };
}

/** Sampled maps (1.5 mm grid): built from BaseParams, never random. */
export interface BaseMaps {
  u0: number;
  v0: number;
  step: number;
  nu: number;
  nv: number;
  /** Cranial floor height w (mm); very low in the foramen magnum. */
  floor: Float32Array;
  /** 1/sqrt(1+|grad floor|^2): turns a vertical distance into a distance to the surface. */
  floorN: Float32Array;
  /** Bone thickness under the floor (mm). */
  boneT: Float32Array;
  /** 0..1: how much of the bone under the floor is dense petrous bone. */
  petrous: Float32Array;
  /** Tentorium height w, or NO_TENT where there is none (supratentorial, middle fossa, the notch). */
  tent: Float32Array;
  tentN: Float32Array;
  floorMax: number;
  tentMax: number;
}

export const NO_TENT = -1e4;

const smooth = (e0: number, e1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

interface Ridge {
  t: number;
  d: number;
}

/** Position along (t: 0 apex, 1 lateral end) and signed distance from (d > 0: posterior) one petrous ridge. */
function ridge(p: BaseParams, uc: number, vc: number): Ridge {
  const side = uc >= 0 ? 1 : -1;
  const au = 13, av = -9;
  const ang = 0.62 + p.ridgeAngle; // ~35 deg from the coronal plane toward posterior laterally
  const du = Math.cos(ang), dv = Math.sin(ang);
  const len = 50;
  const x = side * uc - au;
  const y = vc - av;
  const t = (x * du + y * dv) / len;
  const d = -x * dv + y * du;
  return { t, d };
}

interface FloorSample {
  floor: number;
  boneT: number;
  petrous: number;
  tent: number;
}

/** Floor and tentorium at head-local (u, v), in the reference head's millimetres then scaled. */
export function baseAt(p: BaseParams, u: number, v: number): FloorSample {
  const uc = u / p.su;
  const vc = v / p.sv;
  const au = Math.abs(uc);
  // Posterior fossa bowl.
  const rb = (uc / 50) ** 2 + ((vc - 18) / 46) ** 2;
  const fPf = Math.min(30, 3 + p.pfDepth + 10 * rb + 26 * rb * rb);
  // Middle fossa: deepest laterally, rising toward the cavernous sinus.
  const fMcf = 19 + p.mcfHeight + 14 * Math.exp(-((uc / 17) ** 2)) + 4 * smooth(45, 70, au);
  const r = ridge(p, uc, vc);
  const tc = Math.min(1.4, Math.max(0, r.t));
  const ridgeTop = 31 + p.ridgeHeight + 8 * Math.min(1, tc) - 6 * smooth(1.05, 1.4, r.t) - 30 * smooth(-0.05, -0.35, r.t);
  const face = r.d > 0 ? 1.6 : 0.75;
  const fPet = ridgeTop - (face / p.petrousWidth) * Math.max(0, Math.abs(r.d) - 1.5) * 1.3;
  const postSide = smooth(-3, 3, r.d);
  let floor = fMcf + (fPf - fMcf) * postSide;
  const isPet = fPet > floor ? smooth(0, 4, fPet - floor) * smooth(-0.3, 0.05, r.t) : 0;
  floor = Math.max(floor, fPet);
  // Clivus: rises from the basion to the dorsum sellae in front of the brainstem.
  const clivusBand = 1 - smooth(11, 16, au);
  const fCl = 45 * Math.min(1, Math.max(0, (-8 - vc) / 14)) * clivusBand;
  floor = Math.max(floor, fCl);
  // Anterior fossa (orbital roofs, olfactory groove) in front of the sphenoid wings.
  const vWing = -30 - 0.45 * au;
  // Orbital roofs dome up over each orbit; the olfactory groove is lower in the midline.
  const fAcf = 39 + p.acfHeight + 8 * Math.exp(-(((au - 27) / 16) ** 2) - (((vc + 62) / 24) ** 2)) + 4 * smooth(45, 65, au);
  const ant = smooth(vWing + 3, vWing - 3, vc);
  floor = floor + (Math.max(floor, fAcf) - floor) * ant;
  // Sella turcica.
  const sella = Math.exp(-((uc / 7) ** 2) - (((vc + 28) / 5) ** 2));
  floor -= 9 * sella;
  // Foramen magnum.
  const rf = Math.hypot(uc / (15 * p.foramen), (vc - 6) / (18 * p.foramen));
  const hole = 1 - smooth(0.85, 1.1, rf);
  floor = floor + (-40 - floor) * hole;
  // Bone under the floor: thin orbital roofs, thick petrous pyramids and clivus.
  let boneT = 4 + 2 * postSide - 1.5 * ant;
  boneT = boneT + (Math.max(4, floor - 8) - boneT) * isPet;
  boneT = Math.max(boneT, 12 * clivusBand * smooth(-8, -12, vc) * (1 - ant));
  // Tentorium: from the transverse sinuses up to the apex behind the midbrain, absent in the notch.
  let tent = NO_TENT;
  if (r.d > 1) {
    const rt = Math.hypot(uc / 58, (vc - 12) / 52);
    const t = 39 + p.tentEdge + (21 + p.tentApex - p.tentEdge) * (1 - Math.min(1, rt) ** 1.6);
    const notchHalf = 6 + 10 * smooth(14, -12, vc);
    const inNotch = au < notchHalf && vc < 16;
    if (!inNotch) tent = Math.max(t, ridgeTop + 0.5);
  }
  return { floor: floor * p.sw, boneT: boneT * p.sw, petrous: isPet, tent: tent === NO_TENT ? NO_TENT : tent * p.sw };
}

export function buildBaseMaps(p: BaseParams, halfU: number, halfV: number): BaseMaps {
  const step = 1.5;
  const nu = Math.ceil((2 * halfU) / step) + 1;
  const nv = Math.ceil((2 * halfV) / step) + 1;
  const n = nu * nv;
  const m: BaseMaps = {
    u0: -halfU,
    v0: -halfV,
    step,
    nu,
    nv,
    floor: new Float32Array(n),
    floorN: new Float32Array(n),
    boneT: new Float32Array(n),
    petrous: new Float32Array(n),
    tent: new Float32Array(n),
    tentN: new Float32Array(n),
    floorMax: -Infinity,
    tentMax: -Infinity,
  };
  for (let j = 0; j < nv; j++) {
    for (let i = 0; i < nu; i++) {
      const s = baseAt(p, m.u0 + i * step, m.v0 + j * step);
      const k = j * nu + i;
      m.floor[k] = s.floor;
      m.boneT[k] = s.boneT;
      m.petrous[k] = s.petrous;
      m.tent[k] = s.tent;
      if (s.tent !== NO_TENT) m.tentMax = Math.max(m.tentMax, s.tent);
    }
  }
  for (let j = 0; j < nv; j++) {
    for (let i = 0; i < nu; i++) {
      const k = j * nu + i;
      const g = (a: Float32Array) => {
        const xl = a[j * nu + Math.max(0, i - 1)]!, xr = a[j * nu + Math.min(nu - 1, i + 1)]!;
        const yl = a[Math.max(0, j - 1) * nu + i]!, yr = a[Math.min(nv - 1, j + 1) * nu + i]!;
        if (xl === NO_TENT || xr === NO_TENT || yl === NO_TENT || yr === NO_TENT) return 1;
        const gx = (xr - xl) / (2 * step), gy = (yr - yl) / (2 * step);
        return 1 / Math.sqrt(1 + gx * gx + gy * gy);
      };
      m.floorN[k] = g(m.floor);
      m.tentN[k] = m.tent[k] === NO_TENT ? 1 : g(m.tent);
      // The foramen magnum's -40 is not a floor anything stands on: it only bounds work above it.
      if (m.floor[k]! > -20) m.floorMax = Math.max(m.floorMax, m.floor[k]!);
    }
  }
  return m;
}

/** Bilinear sample of a map at (u, v); NO_TENT anywhere in the cell gives NO_TENT. */
export function sampleMap(m: BaseMaps, a: Float32Array, u: number, v: number): number {
  let x = (u - m.u0) / m.step;
  let y = (v - m.v0) / m.step;
  x = x < 0 ? 0 : x > m.nu - 1.001 ? m.nu - 1.001 : x;
  y = y < 0 ? 0 : y > m.nv - 1.001 ? m.nv - 1.001 : y;
  const i = x | 0;
  const j = y | 0;
  const fx = x - i;
  const fy = y - j;
  const k = j * m.nu + i;
  const a00 = a[k]!, a10 = a[k + 1]!, a01 = a[k + m.nu]!, a11 = a[k + m.nu + 1]!;
  if (a00 === NO_TENT || a10 === NO_TENT || a01 === NO_TENT || a11 === NO_TENT) {
    const best = Math.max(a00, a10, a01, a11);
    return best === NO_TENT ? NO_TENT : (fx < 0.5 ? (fy < 0.5 ? a00 : a01) : fy < 0.5 ? a10 : a11);
  }
  return a00 + (a10 - a00) * fx + (a01 - a00) * fy + (a11 - a10 - a01 + a00) * fx * fy;
}
