// Paints the hemorrhages over one sub-plane, each clipped to where such blood physically is: extra-axial
// blood under the inner table (inside the cavity, pushing the brain in), intraparenchymal blood in
// parenchyma with its edema rim, intraventricular blood in the ventricles below a fluid level or as a
// cast, subarachnoid blood replacing the CSF of sulci, fissures and cisterns. On the central sub-plane
// the blood fraction per subtype is recorded, and later paint reduces what it covers.
import type { HeadModel } from './anatomy.ts';
import { ellipsoidRadius } from './ellipsoid.ts';
import type { ExtraAxialLesion, IntraparenchymalLesion, IntraventricularLesion, Lesion, SubarachnoidLesion } from './lesions.ts';
import type { Frame } from './render-frame.ts';
import type { PlaneBuffers } from './render-buffers.ts';
import { fissureFloor } from './render-head.ts';
import { footprint, type PixelBox } from './render-structures.ts';
import { NO_TENT } from './skull-base.ts';
import { SUBTYPES, type SliceGrid } from './types.ts';
import { ANGLE_BINS, binAngle } from './vault.ts';

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const thick = new Float32Array(ANGLE_BINS);
const box: PixelBox = { r0: 0, r1: -1, c0: 0, c1: -1 };
const ORDER: Record<Lesion['type'], number> = { epidural: 0, subdural: 1, subarachnoid: 2, intraparenchymal: 3, intraventricular: 4 };

/** Thickness (mm) of an epidural/subdural convexity collection by angle bin on the plane at w. */
export function extraAxialThickness(head: HeadModel, l: ExtraAxialLesion, w: number, out: Float32Array): boolean {
  const dzq = (w - l.w0) / l.halfZ;
  if (dzq * dzq >= 1) return false;
  const V = head.vault;
  const dw = w - V.wc;
  const C = dw > 0 ? V.cUp : V.cLo;
  const t2 = (dw / C) ** 2;
  if (t2 >= 1) return false;
  const s = Math.sqrt(1 - t2);
  let any = false;
  for (let b = 0; b < ANGLE_BINS; b++) {
    const phi = binAngle(b + 0.5);
    let d = phi - l.phi0;
    d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
    const arc = (d * V.r0[b]! * s) / l.halfArc;
    const q2 = arc * arc + dzq * dzq;
    let t = q2 < 1 ? l.thickness * (1 - q2) ** l.power : 0;
    if (l.side !== 0 && t > 0) {
      const x = clamp01((l.side * Math.cos(phi)) / 0.15);
      t *= x * x * (3 - 2 * x);
    }
    out[b] = t;
    if (t > 0) any = true;
  }
  return any;
}

/** Largest extra-axial thickness over all convexity collections, by angle bin; false when none. */
export function extraAxialTable(head: HeadModel, lesions: readonly Lesion[], w: number, out: Float32Array): boolean {
  let any = false;
  for (const l of lesions) {
    if (l.type !== 'epidural' && l.type !== 'subdural') continue;
    if (!extraAxialThickness(head, l, w, thick)) continue;
    if (!any) out.fill(0);
    any = true;
    for (let b = 0; b < ANGLE_BINS; b++) if (thick[b]! > out[b]!) out[b] = thick[b]!;
  }
  return any;
}

interface Ctx {
  head: HeadModel;
  f: Frame;
  buf: PlaneBuffers;
  grid: SliceGrid;
  z0: number;
  z1: number;
  labels: Float32Array[] | null;
}

/** Blood over fraction `fr` of pixel i: the HU, the masks, the centre-plane label fractions. */
function deposit(c: Ctx, i: number, fr: number, hu: number, type: number): void {
  const b = c.buf;
  b.val[i] = b.val[i]! + (hu - b.val[i]!) * fr;
  const keep = 1 - fr;
  b.brain[i] = b.brain[i]! * keep;
  b.sub[i] = b.sub[i]! * keep;
  b.vent[i] = b.vent[i]! * keep;
  const labs = c.labels;
  if (labs) {
    for (let t = 0; t < labs.length; t++) {
      const lab = labs[t]!;
      lab[i] = t === type ? lab[i]! + (1 - lab[i]!) * fr : lab[i]! * keep;
    }
  }
}

export function paintLesions(head: HeadModel, lesions: readonly Lesion[], f: Frame, buf: PlaneBuffers, grid: SliceGrid, z0: number, z1: number, labels: Float32Array[] | null): void {
  if (!lesions.length) return;
  const c: Ctx = { head, f, buf, grid, z0, z1, labels };
  const sorted = [...lesions].sort((a, b) => ORDER[a.type] - ORDER[b.type]);
  for (const l of sorted) {
    if (l.toMm - head.baseZ <= z0 || l.fromMm - head.baseZ >= z1) continue;
    switch (l.type) {
      case 'epidural':
      case 'subdural':
        paintExtraAxial(c, l);
        break;
      case 'intraparenchymal':
        paintParenchymal(c, l);
        break;
      case 'intraventricular':
        paintVentricular(c, l);
        break;
      case 'subarachnoid':
        paintSubarachnoid(c, l);
        break;
    }
  }
}

/** Slight texture of a clot (a few HU), so blood is not a flat value. */
function clotHu(hu: number, u: number, v: number, w: number): number {
  return hu + 2.5 * Math.sin(u * 0.9 + w * 0.4) * Math.sin(v * 0.8 - w * 0.3);
}

function paintExtraAxial(c: Ctx, l: ExtraAxialLesion): void {
  const { head, f, buf } = c;
  const wm = (c.z0 + c.z1) / 2;
  const type = SUBTYPES.indexOf(l.type);
  const size = f.size;
  const has = extraAxialThickness(head, l, wm, thick);
  const { depth: DEP, cav: CAV, soft: SOFT, ang: ANG } = { ...buf, ang: f.ang };
  if (has) {
    for (let r = f.r0; r <= f.r1; r++) {
      for (let cc = f.c0, i = r * size + f.c0; cc <= f.c1; cc++, i++) {
        const t = thick[ANG[i]! | 0]!;
        if (t <= 0) continue;
        const D = DEP[i]!;
        if (D > t + 2 || D < -2) continue;
        const cav = CAV[i]!;
        if (cav <= 0) continue;
        // The ventricles are compressed, not covered: the collection stops at their walls.
        const fr = cav * clamp01(0.5 + (t - D) / SOFT[i]!) * (1 - buf.vent[i]!);
        if (fr > 0) deposit(c, i, fr, clotHu(l.hu, f.u[i]!, f.v[i]!, wm), type);
      }
    }
  }
  // Subdural along the falx (parafalcine) on its side, and over the tentorium.
  const dzq = (wm - l.w0) / l.halfZ;
  if (l.falxMm > 0 && dzq * dzq < 1) {
    const inner = head.fissureHalf * 0.4;
    for (let r = f.r0; r <= f.r1; r++) {
      for (let cc = f.c0, i = r * size + f.c0; cc <= f.c1; cc++, i++) {
        const su = l.side * f.u[i]!;
        if (su < 0 || su > inner + l.falxMm + 1.5) continue;
        const v = f.v[i]!;
        if (v < l.falxV0 || v > l.falxV1) continue;
        const cav = CAV[i]!;
        if (cav <= 0 || DEP[i]! < head.sssDepth) continue;
        const wl = fissureFloor(head, v);
        if (wm < wl + 3) continue;
        const mid = (l.falxV0 + l.falxV1) / 2;
        const half = (l.falxV1 - l.falxV0) / 2;
        const taper = Math.max(0, 1 - ((v - mid) / half) ** 2) * Math.max(0, 1 - dzq * dzq);
        const t = l.falxMm * Math.sqrt(taper);
        const fr = cav * clamp01(0.5 + (inner + t - su) / f.sp) * clamp01(0.5 + (su - inner) / f.sp) * (1 - buf.vent[i]!);
        if (fr > 0) deposit(c, i, fr, clotHu(l.hu, f.u[i]!, v, wm), type);
      }
    }
  }
  if (l.tentMm > 0 && f.hasBase) {
    for (let r = f.r0; r <= f.r1; r++) {
      for (let cc = f.c0, i = r * size + f.c0; cc <= f.c1; cc++, i++) {
        if (l.side * f.u[i]! < 4) continue;
        const T = f.tent[i]!;
        if (T === NO_TENT || CAV[i]! <= 0 || f.a[i]! > 1.05) continue;
        const tn = f.tentN[i]!;
        const dT = (wm - T) * tn;
        if (dT < -1 || dT > l.tentMm + 2) continue;
        let W = (c.z1 - c.z0) * tn + f.sp * Math.sqrt(1 - tn * tn);
        if (W < 0.35) W = 0.35;
        const fr = CAV[i]! * clamp01(0.5 + (l.tentMm - dT) / W) * clamp01(0.5 + (dT - 0.5) / W) * (1 - buf.vent[i]!);
        if (fr > 0) deposit(c, i, fr, clotHu(l.hu, f.u[i]!, f.v[i]!, wm), type);
      }
    }
  }
}

function paintParenchymal(c: Ctx, l: IntraparenchymalLesion): void {
  const { head, f, buf, grid } = c;
  const e = l.core;
  const wm = (c.z0 + c.z1) / 2;
  const dz = c.z1 - c.z0;
  const type = SUBTYPES.indexOf(l.type);
  const reach = 1.3 + l.edemaMm / l.radius;
  footprint(head, f, grid.originX, grid.originY, e.cu, e.cv, e.eu * reach + 2, e.ev * reach + 2, box);
  const W = Math.max(f.sp, dz * 0.6);
  const Wr = W / l.radius;
  const lob = l.lobes;
  const size = f.size;
  for (let r = box.r0; r <= box.r1; r++) {
    for (let cc = box.c0, i = r * size + box.c0; cc <= box.c1; cc++, i++) {
      const u = f.u[i]!;
      const v = f.v[i]!;
      const q = ellipsoidRadius(e, u, v, wm);
      if (q > reach + Wr) continue;
      const du = u - e.cu, dv = v - e.cv, dw = wm - e.cw;
      const len = Math.sqrt(du * du + dv * dv + dw * dw) || 1;
      let mod = 1;
      for (let k = 0; k < 16; k += 4) mod += lob[k + 3]! * ((du * lob[k]! + dv * lob[k + 1]! + dw * lob[k + 2]!) / len);
      const qq = q / mod;
      const clip = Math.min(1, buf.brain[i]! + buf.sub[i]!);
      if (clip <= 0) continue;
      const blood = clamp01(0.5 + (1 - qq) / Wr);
      const edema = clamp01(0.5 + (1 + l.edemaMm / l.radius - qq) / (1.5 / l.radius)) - blood;
      if (edema > 0) {
        const fe = edema * clip * 0.85;
        buf.val[i] = buf.val[i]! + (l.edemaHu - buf.val[i]!) * fe;
        if (c.labels) for (const lab of c.labels) lab[i] = lab[i]! * (1 - fe);
      }
      if (blood > 0) deposit(c, i, blood * clip, clotHu(l.hu, u, v, wm), type);
    }
  }
}

function paintVentricular(c: Ctx, l: IntraventricularLesion): void {
  const { f, buf } = c;
  const wm = (c.z0 + c.z1) / 2;
  const type = SUBTYPES.indexOf(l.type);
  const size = f.size;
  const VENT = buf.vent;
  for (let r = f.r0; r <= f.r1; r++) {
    for (let cc = f.c0, i = r * size + f.c0; cc <= f.c1; cc++, i++) {
      const vt = VENT[i]!;
      if (vt <= 0) continue;
      const p = buf.part[i]!;
      if (!p) continue;
      const bit = 1 << (p - 1);
      let fr = 0;
      if (bit & l.cast) fr = vt;
      else if (bit & l.layered) fr = vt * clamp01(0.5 + (f.u[i]! * l.gu + f.v[i]! * l.gv - l.level) / f.sp);
      if (fr > 0) deposit(c, i, fr, clotHu(l.hu, f.u[i]!, f.v[i]!, wm), type);
    }
  }
}

function paintSubarachnoid(c: Ctx, l: SubarachnoidLesion): void {
  const { head, f, buf, grid } = c;
  const wm = (c.z0 + c.z1) / 2;
  const type = SUBTYPES.indexOf(l.type);
  const size = f.size;
  for (const e of l.regions) {
    if (e.cw + e.ew <= c.z0 || e.cw - e.ew >= c.z1) continue;
    footprint(head, f, grid.originX, grid.originY, e.cu, e.cv, e.eu, e.ev, box);
    for (let r = box.r0; r <= box.r1; r++) {
      for (let cc = box.c0, i = r * size + box.c0; cc <= box.c1; cc++, i++) {
        const s = buf.sub[i]!;
        if (s <= 0) continue;
        const q = ellipsoidRadius(e, f.u[i]!, f.v[i]!, wm);
        if (q >= 1) continue;
        const fr = s * clamp01((1 - q) * 3);
        if (fr > 0) deposit(c, i, fr, clotHu(l.hu, f.u[i]!, f.v[i]!, wm), type);
      }
    }
  }
}
