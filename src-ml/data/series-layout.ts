/**
 * Series layouts for the two full-head models (docs/seed-pipeline.md sections 4 and 5): one series (its slices in z
 * order) -> one fixed-size sample. Pure TypeScript (no tfjs); the caller stacks samples into batches.
 *
 * Feature files hold every TTA copy of every image, image-major: row = copiesPerImage·image + copy,
 * featureSize floats per row; the samples read them as a FeatureSource (an array, or rows read from the
 * file on demand: data/feature-rows.ts). Labels are per image x 6 in the project's order (epidural,
 * intraparenchymal, intraventricular, subarachnoid, subdural, any). Targets are float [60 x 6] with
 * -1 on padded rows, which the losses in models/fullhead-losses.ts read as the mask; without labels
 * the real rows get 0 (so the targets still carry the mask).
 */
import type { Rng } from '../base/random.ts';
import { featureImageCount, featureRow, type FeatureSource } from './feature-rows.ts';

/** Slices per sample (the models' 60 output rows). */
export const LAYOUT_SLICES = 60;
/** Dummy rows on each side of the shallow NN's 60 rows. */
export const LAYOUT_PAD = 12;
export const SHALLOW_LAYOUT_ROWS = LAYOUT_SLICES + 2 * LAYOUT_PAD;
export const LABELS_PER_IMAGE = 6;

function checkSeries(name: string, sliceRows: readonly number[], images: number): number {
  const n = sliceRows.length;
  if (n < 1 || n > LAYOUT_SLICES) {
    throw new Error(`${name}: a series needs 1..${LAYOUT_SLICES} slices, got ${n} (split longer ones with sliding-windows.ts)`);
  }
  for (const img of sliceRows) {
    if (!Number.isInteger(img) || img < 0 || img >= images) throw new Error(`${name}: image index ${img} outside 0..${images - 1}`);
  }
  return n;
}

function checkLabels(name: string, labels: Uint8Array | undefined, images: number): void {
  if (labels && labels.length !== images * LABELS_PER_IMAGE) {
    throw new Error(`${name}: ${labels.length} labels for ${images} images (expected ${images * LABELS_PER_IMAGE})`);
  }
}

/** Targets [60 x 6]: row r = labels of image rowImage(r) (0 without labels), -1 where rowImage gives -1. */
function targets(labels: Uint8Array | undefined, rowImage: (row: number) => number): Float32Array {
  const y = new Float32Array(LAYOUT_SLICES * LABELS_PER_IMAGE);
  for (let r = 0; r < LAYOUT_SLICES; r++) {
    const img = rowImage(r);
    for (let c = 0; c < LABELS_PER_IMAGE; c++) {
      y[r * LABELS_PER_IMAGE + c] = img < 0 ? -1 : labels ? labels[img * LABELS_PER_IMAGE + c]! : 0;
    }
  }
  return y;
}

/** k distinct values of 0..total-1 in random order (partial Fisher-Yates). */
export function drawWithoutReplacement(total: number, k: number, rng: Rng): number[] {
  if (!Number.isInteger(k) || k < 0 || k > total) throw new Error(`cannot draw ${k} of ${total} without replacement`);
  const pool = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = rng.int(i, total - 1);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, k);
}

export interface PooledResSample {
  /** [60, k, F] row-major: slice r, column c = one TTA copy of that slice; rows n..59 zero. */
  x: Float32Array;
  /** [60, 6]; rows n..59 are -1. */
  y: Float32Array;
  /** Real slices (rows 0..n-1). */
  n: number;
}

/** Per-feature standardisation of Pooled-Res inputs: x' = (x - mean) / std (std > 0). */
export interface InputNorm {
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Pooled-Res sample (seed `FullHeadDataset`): the series' slices fill rows 0..n-1 in z order, rows
 * n..59 stay zero (the seed's features are not standardised). Each row holds k TTA copies of its slice:
 * pick 'fixed' = copies 0..k-1 in order (validation: k = 4 of 4); an Rng = k distinct copies drawn
 * independently for every slice (training: 3 of 4; test: 4 of 8; OOF passes: 3 of 4).
 * With `norm`, every row is standardised, the zero rows past the series end included (they become
 * -mean/std): an affine map of the seed's input, so the model sees the same information.
 */
export function pooledResSample(
  features: FeatureSource,
  featureSize: number,
  copiesPerImage: number,
  sliceRows: readonly number[],
  k: number,
  pick: 'fixed' | Rng,
  labels?: Uint8Array,
  norm?: InputNorm,
): PooledResSample {
  const name = 'pooledResSample';
  const images = featureImageCount(name, features, featureSize, copiesPerImage);
  const n = checkSeries(name, sliceRows, images);
  if (!Number.isInteger(k) || k < 1 || k > copiesPerImage) throw new Error(`${name}: k must be 1..${copiesPerImage}, got ${k}`);
  checkLabels(name, labels, images);
  const F = featureSize;
  const x = new Float32Array(LAYOUT_SLICES * k * F);
  const fixed = Array.from({ length: k }, (_, i) => i);
  for (let r = 0; r < n; r++) {
    const img = sliceRows[r]!;
    const copies = pick === 'fixed' ? fixed : drawWithoutReplacement(copiesPerImage, k, pick);
    for (let c = 0; c < k; c++) {
      x.set(featureRow(features, copiesPerImage * img + copies[c]!, F), (r * k + c) * F);
    }
  }
  if (norm) standardiseRows(name, x, F, norm);
  const y = targets(labels, (r) => (r < n ? sliceRows[r]! : -1));
  return { x, y, n };
}

/** x[row·F + f] = (x - mean[f]) / std[f] for every row of x, in place. */
function standardiseRows(name: string, x: Float32Array, F: number, norm: InputNorm): void {
  if (norm.mean.length !== F || norm.std.length !== F) throw new Error(`${name}: input norm has ${norm.mean.length} means and ${norm.std.length} stds for ${F} features`);
  const scale = Float32Array.from(norm.std, (s) => 1 / s);
  for (let at = 0; at < x.length; at += F) {
    for (let f = 0; f < F; f++) x[at + f] = (x[at + f]! - norm.mean[f]!) * scale[f]!;
  }
}

export interface ShallowSampleArgs {
  /** All TTA copies of all images, image-major (row = copiesPerImage·image + copy), raw (not z-scored). */
  features: FeatureSource;
  featureSize: number;
  copiesPerImage: number;
  /** z-score statistics (featureStats of the fold's training copies). */
  mean: Float32Array;
  std: Float32Array;
  /** Raw features of the known all-black image (its TTA copy 0). */
  black: Float32Array;
  /** Per image x 38 continuous metadata. */
  continuous: Float32Array;
  /** Per image x 10 categorical codes. */
  categorical: Int32Array;
  /** Image indices of the series' slices in z order (1..60 of them). */
  sliceRows: readonly number[];
  /** TTA copy used for the slice at position `slot` of sliceRows (0 for validation; random per image and epoch for training). */
  copyOf: (slot: number) => number;
  /** Empty real rows above the series, 0..60-n (the seed: randint(0, 61 - n), see randomOffset). */
  offset: number;
  labels?: Uint8Array;
}

export interface ShallowSample {
  /** [84, F] z-scored. */
  features: Float32Array;
  /** [84, continuous columns]. */
  continuous: Float32Array;
  /** [84, categorical columns]. */
  categorical: Int32Array;
  /** [60, 6]: output row j = slice j - offset; -1 on the rows without a slice. */
  y: Float32Array;
}

/** The seed's random offset for a series of n slices: uniform in 0..60-n. */
export function randomOffset(n: number, rng: Rng): number {
  if (!Number.isInteger(n) || n < 1 || n > LAYOUT_SLICES) throw new Error(`randomOffset: n must be 1..${LAYOUT_SLICES}, got ${n}`);
  return rng.int(0, LAYOUT_SLICES - n);
}

/**
 * Shallow-NN sample (seed `RSNA_DataSet`): 84 rows = 12 + offset dummy rows, the n slices (one TTA copy
 * each, z-scored), then 60 - n - offset + 12 dummy rows. A dummy row is the z-scored all-black image
 * with the metadata (continuous and categorical) of the first slice (rows above) or the last slice
 * (rows below). Output row j of the model sees padded row j + 12, i.e. slice j - offset.
 */
export function shallowSample(args: ShallowSampleArgs): ShallowSample {
  const name = 'shallowSample';
  const { featureSize: F, copiesPerImage, sliceRows, offset, labels } = args;
  const images = featureImageCount(name, args.features, F, copiesPerImage);
  const n = checkSeries(name, sliceRows, images);
  if (!Number.isInteger(offset) || offset < 0 || offset > LAYOUT_SLICES - n) {
    throw new Error(`${name}: offset must be 0..${LAYOUT_SLICES - n} for ${n} slices, got ${offset}`);
  }
  if (args.mean.length !== F || args.std.length !== F || args.black.length !== F) {
    throw new Error(`${name}: mean, std and black must have ${F} values`);
  }
  if (args.continuous.length % images !== 0 || args.categorical.length % images !== 0) {
    throw new Error(`${name}: continuous (${args.continuous.length}) and categorical (${args.categorical.length}) are not per image x columns for ${images} images`);
  }
  checkLabels(name, labels, images);
  const nCont = args.continuous.length / images;
  const nCat = args.categorical.length / images;
  const rows = SHALLOW_LAYOUT_ROWS;
  const first = LAYOUT_PAD + offset;

  const zBlack = new Float32Array(F);
  for (let f = 0; f < F; f++) zBlack[f] = (args.black[f]! - args.mean[f]!) / args.std[f]!;

  const features = new Float32Array(rows * F);
  const continuous = new Float32Array(rows * nCont);
  const categorical = new Int32Array(rows * nCat);
  for (let r = 0; r < rows; r++) {
    const slot = r - first;
    // Image whose metadata this row carries: the slice itself, or the nearest end of the series.
    const metaImg = sliceRows[Math.min(Math.max(slot, 0), n - 1)]!;
    continuous.set(args.continuous.subarray(metaImg * nCont, (metaImg + 1) * nCont), r * nCont);
    categorical.set(args.categorical.subarray(metaImg * nCat, (metaImg + 1) * nCat), r * nCat);
    if (slot < 0 || slot >= n) {
      features.set(zBlack, r * F);
      continue;
    }
    const copy = args.copyOf(slot);
    if (!Number.isInteger(copy) || copy < 0 || copy >= copiesPerImage) throw new Error(`${name}: copy ${copy} outside 0..${copiesPerImage - 1}`);
    const src = featureRow(args.features, copiesPerImage * metaImg + copy, F);
    for (let f = 0; f < F; f++) features[r * F + f] = (src[f]! - args.mean[f]!) / args.std[f]!;
  }
  const y = targets(labels, (j) => (j - offset >= 0 && j - offset < n ? sliceRows[j - offset]! : -1));
  return { features, continuous, categorical, y };
}

/**
 * Per-dimension z-score statistics over all rows of a [rows, F] matrix (the seed: all 4·N training
 * copies of the fold's file), population std (ddof 0, numpy's default). A dimension with std 0 gets
 * std 1, so it is centred but left unscaled.
 */
export function featureStats(features: Float32Array, featureSize: number): { mean: Float32Array; std: Float32Array } {
  if (!Number.isInteger(featureSize) || featureSize < 1) throw new Error(`featureStats: featureSize must be a positive integer, got ${featureSize}`);
  if (features.length % featureSize !== 0 || features.length === 0) throw new Error(`featureStats: ${features.length} floats are not rows of ${featureSize}`);
  const rows = features.length / featureSize;
  const sum = new Float64Array(featureSize);
  const constant = new Uint8Array(featureSize).fill(1);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < featureSize; f++) {
      const v = features[r * featureSize + f]!;
      sum[f] = sum[f]! + v;
      if (v !== features[f]) constant[f] = 0;
    }
  }
  const mean64 = sum.map((s) => s / rows);
  const sq = new Float64Array(featureSize);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < featureSize; f++) {
      const d = features[r * featureSize + f]! - mean64[f]!;
      sq[f] = sq[f]! + d * d;
    }
  }
  const mean = Float32Array.from(mean64);
  // "std = 0" tested exactly (all values equal), not through a rounded sum of squares.
  const std = Float32Array.from(sq, (s, f) => (constant[f] ? 1 : Math.sqrt(s / rows)));
  return { mean, std };
}
