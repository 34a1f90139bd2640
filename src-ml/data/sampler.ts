// The seed's per-epoch training sample (docs/seed-pipeline.md section 3, "Training regime and sampling"; `sampler` in
// Serialized/helper/mydata.py): each epoch re-draws a random part of the all-negative images and repeats the
// positives of chosen classes, then the epoch is shuffled. Label rows are the six RSNA targets in the project's
// order (src-shared/labels.ts LABELS).
import { LABELS } from '../../src-shared/labels.ts';
import type { Rng } from '../base/random.ts';

const NUM_LABELS = LABELS.length;

/** The 5-fold SE-net sampler: all `any`-positives once (`sampler(arr, 0.5, [0,0,0,0,0,1])`). */
export const ANY_ONCE: readonly number[] = [0, 0, 0, 0, 0, 1];
/** The DenseNet stage-1 sampler: epidural x10, other subtypes x1, `any` x0 (with 20% of the negatives). */
export const DENSENET_STAGE1_REPEATS: readonly number[] = [10, 1, 1, 1, 1, 0];

/** Partial Fisher-Yates: moves a uniform random `count`-subset of `pool` to its front (in random order). */
function shuffleFront(pool: number[], count: number, rng: Rng): void {
  const n = pool.length;
  for (let i = 0; i < count && i < n - 1; i++) {
    const j = rng.int(i, n - 1);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
}

/**
 * Adds `ratio` copies of `pool` to `out`, like the seed: floor(ratio) full copies plus a random
 * floor(n * fractional part) subset.
 */
function addRepeats(out: number[], pool: number[], ratio: number, rng: Rng): void {
  const whole = Math.floor(ratio);
  for (let r = 0; r < whole; r++) for (const i of pool) out.push(i);
  const part = Math.floor(pool.length * (ratio - whole));
  if (part > 0) {
    shuffleFront(pool, part, rng);
    for (let i = 0; i < part; i++) out.push(pool[i]!);
  }
}

function rowCount(labels: Uint8Array): number {
  if (labels.length % NUM_LABELS !== 0) throw new RangeError(`labels length ${labels.length} is not a multiple of ${NUM_LABELS}`);
  return labels.length / NUM_LABELS;
}

/**
 * One epoch: `negativeFraction` of the all-negative rows (above 1: whole copies plus a part) plus, for each
 * label column c, the rows positive for c repeated perClassRepeats[c] times (fractions as for the negatives);
 * shuffled. A row positive for several repeated classes appears once per class, as in the seed.
 */
export function sampleEpochPerClass(labels: Uint8Array, negativeFraction: number, perClassRepeats: readonly number[], rng: Rng): Int32Array {
  const n = rowCount(labels);
  if (perClassRepeats.length !== NUM_LABELS) throw new RangeError(`perClassRepeats needs ${NUM_LABELS} entries, got ${perClassRepeats.length}`);
  if (!(negativeFraction >= 0) || perClassRepeats.some((r) => !(r >= 0))) throw new RangeError('sampling ratios must be >= 0');
  const negatives: number[] = [];
  const positives: number[][] = Array.from({ length: NUM_LABELS }, () => []);
  for (let i = 0; i < n; i++) {
    let any = false;
    for (let c = 0; c < NUM_LABELS; c++) {
      if (labels[i * NUM_LABELS + c]! > 0) {
        positives[c]!.push(i);
        any = true;
      }
    }
    if (!any) negatives.push(i);
  }
  const out: number[] = [];
  addRepeats(out, negatives, negativeFraction, rng);
  perClassRepeats.forEach((ratio, c) => addRepeats(out, positives[c]!, ratio, rng));
  return shuffleInPlace(Int32Array.from(out), rng);
}

/** Fisher-Yates from the end: position i swaps with rng.int(0, i). Returns `a`. */
export function shuffleInPlace(a: Int32Array, rng: Rng): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** 0..n-1 shuffled (shuffleInPlace). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  return shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), rng);
}

/**
 * The 5-fold SE-net epoch: every `any`-positive row once plus a random `negativeFraction` of the all-negative
 * rows, shuffled (fraction 1 = the whole fold, shuffled, when the labels are consistent).
 */
export function sampleEpoch(labels: Uint8Array, negativeFraction: number, rng: Rng): Int32Array {
  return sampleEpochPerClass(labels, negativeFraction, ANY_ONCE, rng);
}

/** Consecutive batches (views into `indices`); the last, short one is dropped when dropLast. */
export function batches(indices: Int32Array, batchSize: number, dropLast: boolean): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const out: Int32Array[] = [];
  for (let s = 0; s < indices.length; s += batchSize) {
    const e = Math.min(s + batchSize, indices.length);
    if (e - s < batchSize && dropLast) break;
    out.push(indices.subarray(s, e));
  }
  return out;
}
