// Hemorrhages placed in a head, all in head-local coordinates (see anatomy.ts). Each is drawn once,
// with its size, shape, density and place, by severity: 0 subtle (a couple of mm, near-isodense),
// 1 large and obvious. Painting lives in lesion-paint.ts; this module draws and bounds them.
import { type HeadModel } from './anatomy.ts';
import { ellipsoid, ellipsoidRadius, type Ellipsoid } from './ellipsoid.ts';
import type { Rng } from '../base/random.ts';
import type { Subtype } from './types.ts';
import { innerRadius, innerTopW } from './vault.ts';

interface LesionBase {
  type: Subtype;
  /** Patient z range (mm) the blood spans. */
  fromMm: number;
  toMm: number;
  /** Blood density (HU). */
  hu: number;
}

/** Epidural lens or subdural crescent under the inner table. */
export interface ExtraAxialLesion extends LesionBase {
  type: 'epidural' | 'subdural';
  phi0: number;
  w0: number;
  /** Half-extents along the inner table: in-plane arc (mm) and vertical (mm). */
  halfArc: number;
  halfZ: number;
  /** Largest thickness (mm) and the profile exponent (small: flat crescent, larger: lens). */
  thickness: number;
  power: number;
  /** +1 left, -1 right: a subdural stops at the falx. 0: may cross (epidural). */
  side: number;
  /** Interhemispheric (parafalcine) and tentorial extensions of a subdural, thickness (mm) or 0. */
  falxMm: number;
  falxV0: number;
  falxV1: number;
  tentMm: number;
}

export interface IntraparenchymalLesion extends LesionBase {
  type: 'intraparenchymal';
  core: Ellipsoid;
  /** Mean radius (mm), lobulation (unit vectors and amplitudes, 4 per lobe) and edema rim (mm, HU). */
  radius: number;
  lobes: Float64Array;
  edemaMm: number;
  edemaHu: number;
}

export interface IntraventricularLesion extends LesionBase {
  type: 'intraventricular';
  /** Ventricles with a dependent layer (bit 1 left, 2 right, 4 third, 8 fourth) and those cast full. */
  layered: number;
  cast: number;
  /** Blood where head-local (u, v) projected on patient +y exceeds `level` (mm). */
  gu: number;
  gv: number;
  level: number;
}

export interface SubarachnoidLesion extends LesionBase {
  type: 'subarachnoid';
  /** Regions whose sulci, fissures and cisterns are filled; blood fades over their outer third. */
  regions: Ellipsoid[];
}

export type Lesion = ExtraAxialLesion | IntraparenchymalLesion | IntraventricularLesion | SubarachnoidLesion;

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

export function lesionZRange(lesion: Lesion): { fromMm: number; toMm: number } {
  return { fromMm: lesion.fromMm, toMm: lesion.toMm };
}

export function randomLesion(rng: Rng, head: HeadModel, type: Subtype, severity: number): Lesion {
  const s = Math.min(1, Math.max(0, severity));
  switch (type) {
    case 'epidural':
      return epidural(rng, head, s);
    case 'subdural':
      return subdural(rng, head, s);
    case 'intraparenchymal':
      return intraparenchymal(rng, head, s);
    case 'intraventricular':
      return intraventricular(rng, head, s);
    case 'subarachnoid':
      return subarachnoid(rng, head, s);
  }
}

/** Acute blood density: subtle bleeds are closer to grey matter. */
function bloodHu(rng: Rng, s: number, lo = 52, hi = 88): number {
  return lerp(rng.uniform(lo - 2, lo + 12), rng.uniform(hi - 18, hi), s);
}

/** w range over which the inner table is at least `minR` mm from the centre (room for a lesion). */
function clampW(head: HeadModel, w: number, half: number): number {
  const top = innerTopW(head.vault) - half - 8;
  const bottom = 45 * head.sw + half * 0.6;
  return Math.min(top, Math.max(bottom, w));
}

function extraAxialRange(head: HeadModel, l: Omit<ExtraAxialLesion, 'fromMm' | 'toMm'>): { fromMm: number; toMm: number } {
  // The profile is zero beyond |w - w0| = halfZ; the extensions stay within it too.
  const top = innerTopW(head.vault);
  const hi = Math.min(top, l.w0 + l.halfZ);
  const lo = l.w0 - l.halfZ;
  return { fromMm: head.baseZ + lo, toMm: head.baseZ + hi };
}

function epidural(rng: Rng, head: HeadModel, s: number): ExtraAxialLesion {
  const side = rng.chance(0.5) ? 1 : -1;
  // Mostly temporal/parietal; sometimes frontal or occipital.
  const where = rng.next();
  const off = where < 0.7 ? rng.uniform(-0.5, 0.6) : where < 0.85 ? rng.uniform(0.9, 1.3) : rng.uniform(-1.3, -0.9);
  const phi0 = side > 0 ? -off : Math.PI + off;
  const halfZ = lerp(5.5, 21, s ** 0.9) * rng.uniform(0.85, 1.15);
  const w0 = clampW(head, rng.uniform(52, 100) * head.sw, halfZ);
  const l = {
    type: 'epidural' as const,
    hu: bloodHu(rng, s, 55, 88),
    phi0,
    w0,
    halfArc: lerp(13, 48, s) * rng.uniform(0.85, 1.15),
    halfZ,
    thickness: lerp(2.2, 24, s ** 1.1) * rng.uniform(0.85, 1.15),
    power: rng.uniform(0.45, 0.65),
    side: 0,
    falxMm: 0,
    falxV0: 0,
    falxV1: 0,
    tentMm: 0,
  };
  return { ...l, ...extraAxialRange(head, l) };
}

function subdural(rng: Rng, head: HeadModel, s: number): ExtraAxialLesion {
  const side = rng.chance(0.5) ? 1 : -1;
  const off = rng.uniform(-0.45, 0.35);
  const phi0 = side > 0 ? -off : Math.PI + off;
  const halfZ = lerp(11, 50, s ** 0.8) * rng.uniform(0.85, 1.15);
  const w0 = clampW(head, rng.uniform(70, 105) * head.sw, halfZ * 0.6);
  const falx = rng.chance(0.08 + 0.25 * s);
  const l = {
    type: 'subdural' as const,
    hu: bloodHu(rng, s, 49, 86),
    phi0,
    w0,
    halfArc: lerp(30, 115, s ** 0.8) * rng.uniform(0.85, 1.15),
    halfZ,
    thickness: lerp(1.8, 17, s ** 1.15) * rng.uniform(0.85, 1.2),
    power: rng.uniform(0.25, 0.45),
    side,
    falxMm: falx ? lerp(1.5, 4.5, s) * rng.uniform(0.8, 1.2) : 0,
    falxV0: rng.uniform(-60, -10) * head.sv,
    falxV1: rng.uniform(10, 60) * head.sv,
    tentMm: rng.chance(0.06 + 0.2 * s) ? lerp(1.5, 4, s) : 0,
  };
  return { ...l, ...extraAxialRange(head, l) };
}

function intraparenchymal(rng: Rng, head: HeadModel, s: number): IntraparenchymalLesion {
  const L = head.landmarks;
  const side = rng.chance(0.5) ? 1 : -1;
  // At least ~3 mm: smaller would fall between 5 mm slices.
  const radius = lerp(3.2, 26, s ** 1.15) * rng.uniform(0.85, 1.15);
  const where = rng.next();
  let c: [number, number, number];
  let r = radius;
  if (where < 0.4) c = [side * L.putamen[0], L.putamen[1], L.putamen[2]];
  else if (where < 0.55) c = [side * L.thalamus[0], L.thalamus[1], L.thalamus[2]];
  else if (where < 0.85) {
    // Lobar: under the cortex of a random lobe.
    const phi = rng.uniform(-Math.PI, Math.PI);
    const w = rng.uniform(62, 112) * head.sw;
    const depth = Math.min(radius, 18) + rng.uniform(4, 14);
    const R = innerRadius(head.vault, phi, w) - depth;
    c = [R * Math.cos(phi), R * Math.sin(phi), w];
  } else if (where < 0.95) {
    c = [side * L.cerebellum[0], L.cerebellum[1], L.cerebellum[2]];
    r = Math.min(radius, 16);
  } else {
    c = [L.pons[0], L.pons[1], L.pons[2]];
    r = Math.min(radius, 10);
  }
  r = Math.max(r, 3);
  c = [c[0] + rng.uniform(-3, 3), c[1] + rng.uniform(-4, 4), c[2] + rng.uniform(-3, 3)];
  const radii: [number, number, number] = [r * rng.uniform(0.7, 1.15), r * rng.uniform(0.9, 1.45), r * rng.uniform(0.7, 1.1)];
  const core = ellipsoid(c, radii, rng.uniform(-0.5, 0.5), rng.uniform(-0.3, 0.3));
  const lobes = new Float64Array(16);
  for (let k = 0; k < 4; k++) {
    const z = rng.uniform(-1, 1);
    const t = rng.uniform(0, 2 * Math.PI);
    const q = Math.sqrt(1 - z * z);
    lobes.set([q * Math.cos(t), q * Math.sin(t), z, rng.uniform(0.05, 0.22)], 4 * k);
  }
  const edemaMm = lerp(0.6, 7, s) * rng.uniform(0.5, 1.4);
  const ext = Math.max(radii[0], radii[1], radii[2]) * 1.25;
  // Vertical reach of the lobulated core (its edema is not blood).
  const zr = core.ew * 1.22;
  return {
    type: 'intraparenchymal',
    hu: bloodHu(rng, s, 55, 88),
    core,
    radius: r,
    lobes,
    edemaMm,
    edemaHu: rng.uniform(14, 24),
    fromMm: head.baseZ + c[2] - Math.min(zr, ext),
    toMm: head.baseZ + c[2] + Math.min(zr, ext),
  };
}

const PART_BIT = { left: 1, right: 2, third: 4, fourth: 8, '': 0 } as const;

/** Points (1.5 mm grid) inside the head's ventricles: head-local u, v, w and the part bit. */
function ventriclePoints(head: HeadModel): { u: number; v: number; w: number; bit: number }[] {
  const vents = head.structures.filter((s) => s.vent === 1);
  const box = vents.reduce((b, s) => ({
    u0: Math.min(b.u0, s.e.cu - s.e.eu), u1: Math.max(b.u1, s.e.cu + s.e.eu),
    v0: Math.min(b.v0, s.e.cv - s.e.ev), v1: Math.max(b.v1, s.e.cv + s.e.ev),
    w0: Math.min(b.w0, s.e.cw - s.e.ew), w1: Math.max(b.w1, s.e.cw + s.e.ew),
  }), { u0: Infinity, u1: -Infinity, v0: Infinity, v1: -Infinity, w0: Infinity, w1: -Infinity });
  const pts: { u: number; v: number; w: number; bit: number }[] = [];
  const step = 1.5;
  for (let w = box.w0; w <= box.w1; w += step) {
    for (let v = box.v0; v <= box.v1; v += step) {
      for (let u = box.u0; u <= box.u1; u += step) {
        // The last ventricle structure containing the point names its part (as painting does).
        let bit = 0;
        for (const s of vents) if (ellipsoidRadius(s.e, u, v, w) < 1) bit = PART_BIT[s.part];
        if (bit) pts.push({ u, v, w, bit });
      }
    }
  }
  return pts;
}

function intraventricular(rng: Rng, head: HeadModel, s: number): IntraventricularLesion {
  const both = s > 0.3 && rng.chance(0.4 + 0.5 * s);
  const first = rng.chance(0.5) ? 1 : 2;
  let layered = both ? 3 : first;
  let cast = 0;
  if (s > 0.45 && rng.chance(0.3 + 0.5 * s)) cast |= 4;
  if (s > 0.55 && rng.chance(0.2 + 0.5 * s)) cast |= 8;
  if (s > 0.8 && rng.chance(0.4)) cast |= rng.chance(0.5) ? 1 : 2;
  if (s > 0.6 && rng.chance(0.3)) layered |= 4;
  const gu = head.sinR;
  const gv = head.cosR;
  const pts = ventriclePoints(head);
  let deepest = -Infinity;
  for (const p of pts) if (p.bit & layered & 3) deepest = Math.max(deepest, p.u * gu + p.v * gv);
  const depth = lerp(2, 32, s ** 0.9) * rng.uniform(0.85, 1.15);
  const level = deepest - depth;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of pts) {
    const inCast = (p.bit & cast) !== 0;
    const inLayer = (p.bit & layered) !== 0 && p.u * gu + p.v * gv > level;
    if (inCast || inLayer) {
      lo = Math.min(lo, p.w);
      hi = Math.max(hi, p.w);
    }
  }
  if (lo > hi) lo = hi = 0;
  return {
    type: 'intraventricular',
    hu: bloodHu(rng, s, 52, 86),
    layered,
    cast,
    gu,
    gv,
    level,
    fromMm: head.baseZ + lo - 0.75,
    toMm: head.baseZ + hi + 0.75,
  };
}

function subarachnoid(rng: Rng, head: HeadModel, s: number): SubarachnoidLesion {
  const L = head.landmarks;
  const { su, sv, sw } = head;
  const regions: Ellipsoid[] = [];
  const where = rng.next();
  const size = lerp(0, 1, s ** 0.9);
  if (where < 0.42) {
    // Aneurysmal pattern: suprasellar cistern, Sylvian fissures, anterior interhemispheric fissure.
    const r = lerp(10, 28, size);
    regions.push(ellipsoid([L.suprasellar[0], L.suprasellar[1], L.suprasellar[2] + 2], [r * su, r * sv, lerp(8, 20, size) * sw]));
    const sides = s > 0.35 && rng.chance(0.6) ? [1, -1] : [rng.chance(0.5) ? 1 : -1];
    for (const side of sides) {
      regions.push(ellipsoid([side * lerp(26, 40, size) * su, -8 * sv, 60 * sw], [lerp(10, 28, size) * su, lerp(8, 18, size) * sv, lerp(8, 22, size) * sw]));
    }
    if (s > 0.55) regions.push(ellipsoid([0, -45 * sv, 72 * sw], [8 * su, lerp(15, 35, size) * sv, lerp(12, 28, size) * sw]));
  } else if (where < 0.85) {
    // Convexity (traumatic): sulci near one spot of the cortex.
    const side = rng.chance(0.5) ? 1 : -1;
    const phi = side > 0 ? rng.uniform(-1.2, 1.2) : Math.PI + rng.uniform(-1.2, 1.2);
    const w = rng.uniform(70, 118) * sw;
    const R = innerRadius(head.vault, phi, w) - 8;
    const r = lerp(10, 32, size);
    regions.push(ellipsoid([R * Math.cos(phi), R * Math.sin(phi), w], [r, r, lerp(9, 32, size)], phi));
    if (s > 0.6 && rng.chance(0.5)) {
      const phi2 = phi + rng.uniform(-0.6, 0.6);
      const w2 = w + rng.uniform(-15, 15);
      const R2 = innerRadius(head.vault, phi2, w2) - 8;
      regions.push(ellipsoid([R2 * Math.cos(phi2), R2 * Math.sin(phi2), w2], [r * 0.7, r * 0.7, lerp(6, 20, size)], phi2));
    }
  } else {
    // Perimesencephalic: around the midbrain and pons.
    const r = lerp(12, 22, size);
    regions.push(ellipsoid([L.midbrain[0], L.midbrain[1], L.midbrain[2] - 4 * sw], [r * su, r * sv, lerp(8, 18, size) * sw]));
  }
  const top = innerTopW(head.vault) - 3;
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of regions) {
    lo = Math.min(lo, e.cw - e.ew);
    hi = Math.max(hi, e.cw + e.ew);
  }
  return { type: 'subarachnoid', hu: bloodHu(rng, s, 50, 74), regions, fromMm: head.baseZ + lo, toMm: head.baseZ + Math.min(hi, top) };
}
