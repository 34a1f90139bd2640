// The second pass over one sub-plane: paints the ordered ellipsoid structures (deep nuclei, cisterns,
// brainstem, ventricles, calcifications, venous sinuses, face and skull-base cavities) over the first,
// each with its exact slab fraction, clipped to inside or outside the cranial cavity.
import type { HeadModel } from './anatomy.ts';
import type { Frame } from './render-frame.ts';
import type { PlaneBuffers } from './render-buffers.ts';
import { Clip, type Structure } from './structures.ts';

const PART_CODE = { left: 1, right: 2, third: 3, fourth: 4, '': 0 } as const;

/** Pixel box of an ellipsoid's footprint, inclusive, clipped to the frame; empty when r0 > r1. */
export interface PixelBox {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** The frame's pixel box around head-local centre (cu, cv) with half-extents (eu, ev). */
export function footprint(head: HeadModel, f: Frame, originX: number, originY: number, cu: number, cv: number, eu: number, ev: number, out: PixelBox): PixelBox {
  const { cosR, sinR } = head;
  const x = head.cx + cosR * cu - sinR * cv;
  const y = head.cy + sinR * cu + cosR * cv;
  const hx = Math.abs(cosR) * eu + Math.abs(sinR) * ev + f.sp;
  const hy = Math.abs(sinR) * eu + Math.abs(cosR) * ev + f.sp;
  out.c0 = Math.max(f.c0, Math.floor((x - hx - originX) / f.sp));
  out.c1 = Math.min(f.c1, Math.ceil((x + hx - originX) / f.sp));
  out.r0 = Math.max(f.r0, Math.floor((y - hy - originY) / f.sp));
  out.r1 = Math.min(f.r1, Math.ceil((y + hy - originY) / f.sp));
  return out;
}

/** Paints the structures the slab [z0, z1] cuts; returns the rows it may have changed (r0 > r1: none). */
export function paintStructures(head: HeadModel, f: Frame, buf: PlaneBuffers, boxes: readonly PixelBox[], z0: number, z1: number): { r0: number; r1: number } {
  const { val: VAL, cav: CAV, brain: BRAIN, sub: SUB, vent: VENT, part: PART } = buf;
  const U = f.u;
  const VV = f.v;
  const size = f.size;
  const dz = z1 - z0;
  const list = head.structures;
  const rows = { r0: f.r1 + 1, r1: f.r0 - 1 };
  for (let k = 0; k < list.length; k++) {
    const s: Structure = list[k]!;
    const e = s.e;
    if (e.cw + e.ew <= z0 || e.cw - e.ew >= z1) continue;
    const box = boxes[k]!;
    if (box.r0 < rows.r0) rows.r0 = box.r0;
    if (box.r1 > rows.r1) rows.r1 = box.r1;
    const { cu, cv, cw, m11, m12, m13, m22, m23, m33 } = e;
    const inv33 = 1 / m33;
    const hu = s.hu;
    const hu2 = s.hu2;
    const clip = s.clip;
    const inside = clip === Clip.inside;
    const outside = clip === Clip.outside;
    const mottled = s.mottled;
    const bF = s.brain, sF = s.sub, vF = s.vent;
    const code = PART_CODE[s.part];
    for (let r = box.r0; r <= box.r1; r++) {
      for (let c = box.c0, i = r * size + box.c0; c <= box.c1; c++, i++) {
        const du = U[i]! - cu;
        const dv = VV[i]! - cv;
        const bb = m13 * du + m23 * dv;
        const q2 = m11 * du * du + 2 * m12 * du * dv + m22 * dv * dv;
        const disc = bb * bb - m33 * (q2 - 1);
        if (disc <= 0) continue;
        const h = Math.sqrt(disc) * inv33;
        const mid = cw - bb * inv33;
        const lo = mid - h > z0 ? mid - h : z0;
        const hi = mid + h < z1 ? mid + h : z1;
        if (hi <= lo) continue;
        let fr = (hi - lo) / dz;
        if (inside) fr *= CAV[i]!;
        else if (outside) fr *= 1 - CAV[i]!;
        if (fr <= 0) continue;
        let target = hu;
        if (mottled) {
          // Air cells ~3 mm across with thin bony septa.
          const t = Math.sin(du * 1.9 + 0.7 * dv) * Math.sin(dv * 2.1 - 0.5 * du) * Math.sin((z0 + z1) * 1.1 + du);
          target = t > 0.08 ? hu2 : hu;
        }
        VAL[i] = VAL[i]! + (target - VAL[i]!) * fr;
        const keep = 1 - fr;
        BRAIN[i] = BRAIN[i]! * keep + bF * fr;
        SUB[i] = SUB[i]! * keep + sF * fr;
        VENT[i] = VENT[i]! * keep + vF * fr;
        if (vF) PART[i] = code;
      }
    }
  }
  return rows;
}
