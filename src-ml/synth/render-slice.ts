// One axial slice of a head in HU: the slab [z - T/2, z + T/2] is split into a few sub-slabs, each
// painted with exact partial volume along z (head, deep structures, hemorrhages), averaged; then the
// posterior-fossa streaks, noise and the point-spread blur. Hemorrhage areas are measured on the
// central sub-slab, after every clip and every later paint, so a labelled bleed is a visible one.
import { baseMapsOf, type HeadModel } from './anatomy.ts';
import { buffersFor } from './render-buffers.ts';
import { buildFrame } from './render-frame.ts';
import { paintHead } from './render-head.ts';
import { footprint, paintStructures, type PixelBox } from './render-structures.ts';
import { addStreaks } from './streaks.ts';
import { extraAxialTable, paintLesions } from './lesion-paint.ts';
import type { Lesion } from './lesions.ts';
import { reconstruct } from './psf.ts';
import type { Rng } from '../base/random.ts';
import { noLesionAreas, SUBTYPES, type LesionAreas, type SliceGrid } from './types.ts';
import { ANGLE_BINS } from './vault.ts';

export interface RenderedSlice {
  /** size*size HU, row-major (rows toward posterior, columns toward the patient's left). */
  hu: Float32Array;
  areas: LesionAreas;
}

/** Masks of the central sub-slab, for tests and debugging. */
export interface SliceMasks {
  cavity: Float32Array;
  brain: Float32Array;
  ventricle: Float32Array;
  subarachnoid: Float32Array;
  /** Blood fraction per subtype (SUBTYPES order). */
  blood: Float32Array[];
}

/** Sub-slabs per slice for structures and hemorrhages: about 1.7 mm each, odd so that one is centred on the slice's centre plane. */
export function subSlabs(thicknessMm: number): number {
  return 2 * Math.floor(thicknessMm / 3.4) + 1;
}

const boxes: PixelBox[] = [];
const extra = new Float32Array(ANGLE_BINS);

export function renderSlice(head: HeadModel, lesions: readonly Lesion[], zMm: number, thicknessMm: number, grid: SliceGrid, noise: Rng): RenderedSlice {
  return renderSliceWithMasks(head, lesions, zMm, thicknessMm, grid, noise, false).slice;
}

export function renderSliceWithMasks(head: HeadModel, lesions: readonly Lesion[], zMm: number, thicknessMm: number, grid: SliceGrid, noise: Rng, wantMasks: boolean): { slice: RenderedSlice; masks: SliceMasks | null } {
  const { size } = grid;
  const buf = buffersFor(size);
  const wc = zMm - head.baseZ;
  const k = subSlabs(thicknessMm);
  const dz = thicknessMm / k;
  const lo = wc - thicknessMm / 2;
  const maps = lo < 80 * head.sw ? baseMapsOf(head) : null;
  const frame = buildFrame(grid, head, head.vault, head.extent, maps);
  while (boxes.length < head.structures.length) boxes.push({ r0: 0, r1: -1, c0: 0, c1: -1 });
  head.structures.forEach((s, i) => footprint(head, frame, grid.originX, grid.originY, s.e.cu, s.e.cv, s.e.eu, s.e.ev, boxes[i]!));
  const n = size * size;
  const air = head.hu.air;
  buf.acc.fill(air);
  const wLo = lo;
  const wHi = lo + thicknessMm;
  const touching = lesions.filter((l) => l.toMm - head.baseZ > wLo && l.fromMm - head.baseZ < wHi);
  if (touching.length || wantMasks) for (const l of buf.label) l.fill(0);
  const centre = (k - 1) >> 1;
  let masks: SliceMasks | null = null;
  const { acc, val } = buf;
  const inv = 1 / k;
  // The head (vault, base, cortex, dura) is painted once over the whole slab: its surfaces get their
  // partial volume analytically. Structures and hemorrhages, smaller and shaped along z, are painted per
  // sub-slab over a copy of it.
  const hasExtra = touching.length > 0 && extraAxialTable(head, touching, wc, extra);
  paintHead({ head, frame, buf, z0: lo, z1: lo + thicknessMm, extra: hasExtra ? extra : null, floorMax: maps?.floorMax ?? -1e9, tentMax: maps?.tentMax ?? -1e9, foldsW: wc });
  // (Row by row within the frame's columns: outside them the buffers hold whatever came before.)
  for (let r = frame.r0; r <= frame.r1; r++) {
    const a = r * size + frame.c0;
    const b = r * size + frame.c1 + 1;
    buf.headVal.set(val.subarray(a, b), a);
    buf.headBrain.set(buf.brain.subarray(a, b), a);
    buf.headSub.set(buf.sub.subarray(a, b), a);
    acc.set(val.subarray(a, b), a);
  }
  const { headVal } = buf;
  for (let s = 0; s < k; s++) {
    const z0 = lo + s * dz;
    const z1 = z0 + dz;
    // Only the rows a structure or a hemorrhage touched differ from the head pass.
    const rows = paintStructures(head, frame, buf, boxes, z0, z1);
    if (touching.some((l) => l.toMm - head.baseZ > z0 && l.fromMm - head.baseZ < z1)) {
      paintLesions(head, touching, frame, buf, grid, z0, z1, s === centre ? buf.label : null);
      rows.r0 = frame.r0;
      rows.r1 = frame.r1;
    }
    if (wantMasks && s === centre) {
      masks = { cavity: buf.cav.slice(), brain: buf.brain.slice(), ventricle: buf.vent.slice(), subarachnoid: buf.sub.slice(), blood: [] };
    }
    if (rows.r1 < rows.r0) continue;
    for (let r = rows.r0; r <= rows.r1; r++) {
      const a = r * size + frame.c0;
      const b = r * size + frame.c1 + 1;
      for (let i = a; i < b; i++) acc[i] = acc[i]! + (val[i]! - headVal[i]!) * inv;
      val.set(headVal.subarray(a, b), a);
      buf.brain.set(buf.headBrain.subarray(a, b), a);
      buf.sub.set(buf.headSub.subarray(a, b), a);
      buf.vent.fill(0, a, b);
    }
  }
  if (maps) addStreaks(head, frame, buf.acc, buf.cav, wc);
  const hu = new Float32Array(n);
  reconstruct(buf.acc, size, head.psfSigmaMm / grid.spacingMm, head.noiseSd, noise, buf.tmp, hu);
  const areas = noLesionAreas();
  const px = grid.spacingMm * grid.spacingMm;
  if (touching.length) {
    SUBTYPES.forEach((t, j) => {
      if (!touching.some((l) => l.type === t)) return;
      const lab = buf.label[j]!;
      let count = 0;
      for (let r = frame.r0; r <= frame.r1; r++) {
        for (let c = frame.c0, i = r * size + frame.c0; c <= frame.c1; c++, i++) if (lab[i]! >= 0.5) count++;
      }
      areas[t] = count * px;
    });
  }
  if (masks) masks.blood = buf.label.map((l) => l.slice());
  return { slice: { hu, areas }, masks };
}
