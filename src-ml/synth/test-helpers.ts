// Shared set-up for the generator's tests: a head-centred grid, head-local -> pixel lookups, patch stats.
import { headCentre, toPatient, type HeadModel } from './anatomy.ts';
import type { SliceGrid } from './types.ts';

export function gridFor(head: HeadModel, size = 256, fovMm = 250): SliceGrid {
  const c = headCentre(head);
  const sp = fovMm / size;
  return { size, spacingMm: sp, originX: c.x - fovMm / 2 + sp / 2, originY: c.y - fovMm / 2 + sp / 2 };
}

/** Pixel index nearest to head-local (u, v). */
export function pixelAt(head: HeadModel, grid: SliceGrid, u: number, v: number): { r: number; c: number; i: number } {
  const p = toPatient(head, u, v);
  const c = Math.round((p.x - grid.originX) / grid.spacingMm);
  const r = Math.round((p.y - grid.originY) / grid.spacingMm);
  return { r, c, i: r * grid.size + c };
}

/** Mean and SD of a (2h+1)^2 patch centred at pixel (r, c). */
export function patchStats(img: Float32Array, size: number, r: number, c: number, h: number): { mean: number; sd: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let y = r - h; y <= r + h; y++) {
    for (let x = c - h; x <= c + h; x++) {
      const v = img[y * size + x]!;
      s += v;
      s2 += v * v;
      n++;
    }
  }
  const mean = s / n;
  return { mean, sd: Math.sqrt(Math.max(0, s2 / n - mean * mean)) };
}

/** Pixels where `mask` is at least `min` on the pixel and its 8 neighbours (away from partial volume). */
export function coreOf(mask: Float32Array, size: number, min: number): number[] {
  const out: number[] = [];
  for (let r = 1; r < size - 1; r++) {
    for (let c = 1; c < size - 1; c++) {
      let ok = true;
      for (let dy = -1; dy <= 1 && ok; dy++) for (let dx = -1; dx <= 1 && ok; dx++) if (mask[(r + dy) * size + c + dx]! < min) ok = false;
      if (ok) out.push(r * size + c);
    }
  }
  return out;
}

export function meanAt(img: Float32Array, idx: readonly number[]): number {
  return idx.reduce((s, i) => s + img[i]!, 0) / idx.length;
}
