// The difficulty check of the generator: a deliberately simple detector, the number of 50-90 HU pixels
// inside the skull, scored per slice against the truth. If this were near-perfect, the synthetic bleeds
// would be too easy to mean anything.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readHuSlice } from '../dicom/read-hu.ts';
import { rocAuc } from '../metrics/auc.ts';
import { SUBTYPES, type Subtype } from './types.ts';

export const BLOOD_LOW_HU = 50;
export const BLOOD_HIGH_HU = 90;
const BONE_HU = 300;

/**
 * Count of 50-90 HU pixels inside the skull: inside means between the first and last bone pixel of its
 * row and of its column, and not bone itself.
 */
export function bloodPixelCount(hu: Float32Array, rows: number, cols: number): number {
  const rowLo = new Int32Array(rows).fill(cols);
  const rowHi = new Int32Array(rows).fill(-1);
  const colLo = new Int32Array(cols).fill(rows);
  const colHi = new Int32Array(cols).fill(-1);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      if (hu[y * cols + x]! < BONE_HU) continue;
      if (x < rowLo[y]!) rowLo[y] = x;
      if (x > rowHi[y]!) rowHi[y] = x;
      if (y < colLo[x]!) colLo[x] = y;
      if (y > colHi[x]!) colHi[x] = y;
    }
  }
  let count = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = rowLo[y]! + 1; x < rowHi[y]!; x++) {
      if (y <= colLo[x]! || y >= colHi[x]!) continue;
      const v = hu[y * cols + x]!;
      if (v >= BLOOD_LOW_HU && v <= BLOOD_HIGH_HU) count++;
    }
  }
  return count;
}

export interface BaselineReport {
  slices: number;
  positives: Record<Subtype | 'any', number>;
  auc: Record<Subtype | 'any', number>;
}

interface TruthFile {
  slices: Record<string, { types: Subtype[] }>;
}

/** Scores every slice of a generated folder (its truth.json) and reports the ROC AUC per label. */
export async function evaluateBaseline(dir: string, onProgress?: (done: number, total: number) => void): Promise<BaselineReport> {
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as TruthFile;
  const ids = Object.keys(truth.slices).sort();
  const scores: number[] = [];
  for (const [i, id] of ids.entries()) {
    // The header's rescale, broken intercepts included: the baseline sees what any reader would.
    const slice = await readHuSlice(path.join(dir, `${id}.dcm`));
    scores.push(bloodPixelCount(slice.hu, slice.rows, slice.columns));
    onProgress?.(i + 1, ids.length);
  }
  const labels = (t: Subtype | 'any') => ids.map((id) => {
    const types = truth.slices[id]!.types;
    return (t === 'any' ? types.length > 0 : types.includes(t)) ? 1 : 0;
  });
  const positives = {} as Record<Subtype | 'any', number>;
  const auc = {} as Record<Subtype | 'any', number>;
  for (const t of ['any', ...SUBTYPES] as const) {
    const y = labels(t);
    positives[t] = y.reduce((a: number, b) => a + b, 0);
    auc[t] = rocAuc(scores, y);
  }
  return { slices: ids.length, positives, auc };
}
