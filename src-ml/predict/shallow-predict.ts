/**
 * Inference with Zahar's shallow NN (docs/seed-pipeline.md section 5): one series -> per-slice probabilities,
 * the mean over `passes` of sigmoid(logits), each pass with one random TTA copy per slice and a random
 * offset (randomOffset). Series longer than 60 slices are covered by sliding windows (stride 30) whose
 * per-slice probabilities are averaged (mergeWindowPredictions), each window with its own offset.
 * The 'fixed' mode (per-epoch validation) uses TTA copy 0 and offset 0, one pass.
 *
 * A saved shallow model is the usual model folder (nn/model-io.ts) plus stats.npy [2, F]: the z-score
 * mean (row 0) and std (row 1) of its training features, which must ship with the model.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/errors.ts';
import { sigmoid } from '../metrics/log-loss.ts';
import { loadModel } from '../nn/model-io.ts';
import { modelDirCache } from '../onnx/onnx-cache.ts';
import { createForward, type Forward, type ForwardDeps } from '../onnx/runtime-forward.ts';
import { readModelMeta } from './read-meta.ts';
import { LAYOUT_SLICES, randomOffset, SHALLOW_LAYOUT_ROWS, shallowSample } from '../data/series-layout.ts';
import { mergeWindowPredictions, slidingWindows } from '../data/sliding-windows.ts';
import { readNpy, writeNpyAtomic } from '../store/npy.ts';
import { featureImageCount, type FeatureSource } from '../data/feature-rows.ts';
import type { Rng } from '../base/random.ts';

export const SHALLOW_STATS_FILE = 'stats.npy';
/** Samples per predict call. */
export const PREDICT_BATCH = 64;

/** Everything a shallow sample is built from (see ShallowSampleArgs in data/series-layout.ts). */
export interface ShallowInputs {
  /** All TTA copies of all images of one split, image-major, raw (an array, or rows read on demand). */
  features: FeatureSource;
  featureSize: number;
  copiesPerImage: number;
  mean: Float32Array;
  std: Float32Array;
  /** Raw features of the all-black image. */
  black: Float32Array;
  /** Per image (same rows as features) x 38. */
  continuous: Float32Array;
  /** Per image x 10. */
  categorical: Int32Array;
  labels?: Uint8Array;
}

/** meta.json of a shallow model. */
export interface ShallowMetaFile {
  modelId: string;
  stage: string;
  baseModel: string;
  fold: number;
  nFolds: number;
  featureSize: number;
  labels: string[];
  statsFile: string;
  metrics: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ShallowMeta extends ShallowMetaFile {
  /** Read from stats.npy. */
  mean: Float32Array;
  std: Float32Array;
}

/** One model input sample, with where its 60 output rows belong. */
export interface ShallowItem {
  features: Float32Array;
  continuous: Float32Array;
  categorical: Int32Array;
  y: Float32Array;
}

/** Stacks samples into the model's three inputs [B, rows, F | 38 | 10] and the targets [B, 60, 6], flat. */
function stackShallowArrays(items: readonly ShallowItem[], F: number, nCont: number, nCat: number): { f: Float32Array; c: Float32Array; k: Int32Array; y: Float32Array } {
  const B = items.length;
  const rows = SHALLOW_LAYOUT_ROWS;
  const f = new Float32Array(B * rows * F);
  const c = new Float32Array(B * rows * nCont);
  const k = new Int32Array(B * rows * nCat);
  const y = new Float32Array(B * LAYOUT_SLICES * 6);
  items.forEach((it, i) => {
    f.set(it.features, i * rows * F);
    c.set(it.continuous, i * rows * nCont);
    k.set(it.categorical, i * rows * nCat);
    y.set(it.y, i * LAYOUT_SLICES * 6);
  });
  return { f, c, k, y };
}

/** Stacks samples into the model's three input tensors (and the targets). Caller disposes. */
export function stackShallow(items: readonly ShallowItem[], F: number, nCont: number, nCat: number): { xs: tf.Tensor[]; y: tf.Tensor } {
  const B = items.length;
  const rows = SHALLOW_LAYOUT_ROWS;
  const { f, c, k, y } = stackShallowArrays(items, F, nCont, nCat);
  return {
    xs: [tf.tensor3d(f, [B, rows, F]), tf.tensor3d(c, [B, rows, nCont]), tf.tensor3d(k, [B, rows, nCat], 'int32')],
    y: tf.tensor3d(y, [B, LAYOUT_SLICES, 6]),
  };
}

/**
 * Logits [B, 60, 6] of the items, in chunks of PREDICT_BATCH; returns one Float32Array (60 x 6) per item. Read
 * with await data(): a GPU backend (webgpu in Node) has no synchronous read.
 */
export async function predictLogits(model: tf.LayersModel, items: readonly ShallowItem[], F: number, nCont: number, nCat: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let at = 0; at < items.length; at += PREDICT_BATCH) {
    const chunk = items.slice(at, at + PREDICT_BATCH);
    const logits = tf.tidy(() => {
      const { xs, y } = stackShallow(chunk, F, nCont, nCat);
      y.dispose();
      return model.predict(xs) as tf.Tensor;
    });
    let values: Float32Array;
    try {
      values = (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
    const per = LAYOUT_SLICES * 6;
    for (let i = 0; i < chunk.length; i++) out.push(values.slice(i * per, (i + 1) * per));
  }
  return out;
}

/** predictLogits through a Forward (ONNX Runtime or tfjs). */
export async function predictLogitsOn(forward: Forward, items: readonly ShallowItem[], F: number, nCont: number, nCat: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const rows = SHALLOW_LAYOUT_ROWS;
  for (let at = 0; at < items.length; at += PREDICT_BATCH) {
    const chunk = items.slice(at, at + PREDICT_BATCH);
    const B = chunk.length;
    const { f, c, k } = stackShallowArrays(chunk, F, nCont, nCat);
    const [values] = await forward.run([{ data: f, dims: [B, rows, F] }, { data: c, dims: [B, rows, nCont] }, { data: k, dims: [B, rows, nCat] }]);
    const per = LAYOUT_SLICES * 6;
    for (let i = 0; i < B; i++) out.push(values!.slice(i * per, (i + 1) * per));
  }
  return out;
}

function columnsOf(inputs: ShallowInputs): { images: number; nCont: number; nCat: number } {
  const images = featureImageCount('predictShallow', inputs.features, inputs.featureSize, inputs.copiesPerImage);
  return { images, nCont: inputs.continuous.length / images, nCat: inputs.categorical.length / images };
}

interface Planned {
  series: number;
  pass: number;
  start: number;
  length: number;
  offset: number;
}

/**
 * Probabilities of several series at once ([n_s, 6] each), batched across series. rngOf(s) gives the
 * random source of series s (or 'fixed': copy 0, offset 0, a single pass). A coroutine: it yields each group's
 * samples and is resumed with their logits (60 x 6 each), so the tfjs and ONNX Runtime drivers share the rest.
 */
function* shallowManySteps(
  inputs: ShallowInputs, series: readonly (readonly number[])[], passes: number, rngOf: (s: number) => Rng | 'fixed',
): Generator<ShallowItem[], Float32Array[], Float32Array[]> {
  if (!Number.isInteger(passes) || passes < 1) throw new Error(`predictShallow: passes must be a positive integer, got ${passes}`);
  const F = inputs.featureSize;
  const results: Float32Array[] = [];
  // Work in groups of series so the built samples stay a few batches in memory.
  let s0 = 0;
  while (s0 < series.length) {
    const planned: Planned[] = [];
    const items: ShallowItem[] = [];
    let s = s0;
    for (; s < series.length && (s === s0 || items.length < 4 * PREDICT_BATCH); s++) {
      const rows = series[s]!;
      if (rows.length === 0) throw new Error(`predictShallow: series ${s} has no slices`);
      const rng = rngOf(s);
      const nPass = rng === 'fixed' ? 1 : passes;
      const windows = slidingWindows(rows.length);
      for (let p = 0; p < nPass; p++) {
        for (const w of windows) {
          const sliceRows = rows.slice(w.start, w.start + w.length);
          const offset = rng === 'fixed' ? 0 : randomOffset(w.length, rng);
          const copies = sliceRows.map(() => (rng === 'fixed' ? 0 : rng.int(0, inputs.copiesPerImage - 1)));
          const sample = shallowSample({
            features: inputs.features, featureSize: F, copiesPerImage: inputs.copiesPerImage, mean: inputs.mean, std: inputs.std, black: inputs.black,
            continuous: inputs.continuous, categorical: inputs.categorical, sliceRows, copyOf: (slot) => copies[slot]!, offset,
          });
          items.push(sample);
          planned.push({ series: s, pass: p, start: w.start, length: w.length, offset });
        }
      }
    }
    const logits = yield items;
    for (let t = s0; t < s; t++) {
      const n = series[t]!.length;
      const mine = planned.map((pl, i) => ({ pl, i })).filter(({ pl }) => pl.series === t);
      const nPass = 1 + Math.max(...mine.map(({ pl }) => pl.pass));
      const sum = new Float64Array(n * 6);
      for (let p = 0; p < nPass; p++) {
        const wins = mine.filter(({ pl }) => pl.pass === p);
        const probs = wins.map(({ pl, i }) => {
          const l = logits[i]!;
          const out = new Float32Array(pl.length * 6);
          for (let r = 0; r < pl.length; r++) for (let c = 0; c < 6; c++) out[r * 6 + c] = sigmoid(l[(r + pl.offset) * 6 + c]!);
          return out;
        });
        const merged = mergeWindowPredictions(n, wins.map(({ pl }) => ({ start: pl.start, length: pl.length })), probs);
        for (let i = 0; i < merged.length; i++) sum[i] = sum[i]! + merged[i]!;
      }
      results.push(Float32Array.from(sum, (v) => v / nPass));
    }
    s0 = s;
  }
  return results;
}

/** shallowManySteps on a tfjs model (training's validation and out-of-fold passes). */
export async function predictShallowMany(
  model: tf.LayersModel, inputs: ShallowInputs, series: readonly (readonly number[])[], passes: number, rngOf: (s: number) => Rng | 'fixed',
): Promise<Float32Array[]> {
  const { nCont, nCat } = columnsOf(inputs);
  const steps = shallowManySteps(inputs, series, passes, rngOf);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    step = steps.next(await predictLogits(model, step.value, inputs.featureSize, nCont, nCat));
  }
}

/** predictShallowMany through a Forward (ONNX Runtime or tfjs): the same samples, the same draws. */
export async function predictShallowManyOn(
  forward: Forward, inputs: ShallowInputs, series: readonly (readonly number[])[], passes: number, rngOf: (s: number) => Rng | 'fixed',
): Promise<Float32Array[]> {
  const { nCont, nCat } = columnsOf(inputs);
  const steps = shallowManySteps(inputs, series, passes, rngOf);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    step = steps.next(await predictLogitsOn(forward, step.value, inputs.featureSize, nCont, nCat));
  }
}

/**
 * Probabilities [n, 6] (project order, any last) for one series whose slices (in z order) are the
 * image rows `sliceRows` of `inputs`: mean over `passes` of sigmoid, each pass with a random TTA copy
 * per slice and a random offset per window (windows beyond 60 slices). rng 'fixed': copy 0, offset 0.
 */
export async function predictShallowSeries(model: tf.LayersModel, inputs: ShallowInputs, sliceRows: readonly number[], passes: number, rng: Rng | 'fixed'): Promise<Float32Array> {
  return (await predictShallowMany(model, inputs, [sliceRows], passes, () => rng))[0]!;
}

/** predictShallowSeries through a Forward (ONNX Runtime or tfjs). */
export async function predictShallowSeriesOn(forward: Forward, inputs: ShallowInputs, sliceRows: readonly number[], passes: number, rng: Rng | 'fixed'): Promise<Float32Array> {
  return (await predictShallowManyOn(forward, inputs, [sliceRows], passes, () => rng))[0]!;
}

export async function saveShallowStats(modelDir: string, mean: Float32Array, std: Float32Array): Promise<void> {
  if (mean.length !== std.length) throw new Error(`shallow stats: ${mean.length} means but ${std.length} stds`);
  const both = new Float32Array(2 * mean.length);
  both.set(mean, 0);
  both.set(std, mean.length);
  await writeNpyAtomic(path.join(modelDir, SHALLOW_STATS_FILE), both, [2, mean.length]);
}

export async function loadShallowStats(modelDir: string): Promise<{ mean: Float32Array; std: Float32Array }> {
  const file = path.join(modelDir, SHALLOW_STATS_FILE);
  let arr;
  try {
    arr = await readNpy(file);
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)} (the shallow NN needs its z-score statistics)`, { cause: err });
  }
  if (arr.shape.length !== 2 || arr.shape[0] !== 2) throw new Error(`${file}: expected shape [2, F], got [${arr.shape.join(', ')}]`);
  const F = arr.shape[1]!;
  const data = arr.data as Float32Array;
  return { mean: data.slice(0, F), std: data.slice(F, 2 * F) };
}

function checkStats(modelDir: string, meta: ShallowMetaFile, stats: { mean: Float32Array }): void {
  if (meta.featureSize !== undefined && meta.featureSize !== stats.mean.length) {
    throw new Error(`${modelDir}: meta says ${meta.featureSize} features, ${SHALLOW_STATS_FILE} has ${stats.mean.length}`);
  }
}

/** A trained shallow NN with its meta and z-score statistics. */
export async function loadShallow(modelDir: string): Promise<{ model: tf.LayersModel; meta: ShallowMeta }> {
  const stats = await loadShallowStats(modelDir);
  const { model, meta } = await loadModel<ShallowMetaFile>(modelDir);
  try {
    checkStats(modelDir, meta, stats);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, meta: { ...meta, mean: stats.mean, std: stats.std } };
}

/**
 * A trained shallow NN for inference: meta, z-score statistics and a Forward on ONNX Runtime (graph cached
 * beside the model), the tfjs model loaded only when the graph must be exported or the runtime fails.
 */
export async function openShallow(modelDir: string, label: string, deps: ForwardDeps = {}): Promise<{ forward: Forward; meta: ShallowMeta }> {
  const stats = await loadShallowStats(modelDir);
  const meta = await readModelMeta<ShallowMetaFile>(modelDir);
  checkStats(modelDir, meta, stats);
  const forward = await createForward({
    label, family: 'shallow', ownsModel: true, cache: modelDirCache(modelDir, 'shallow'),
    loadTfjs: async () => (await loadShallow(modelDir)).model,
  }, deps);
  return { forward, meta: { ...meta, mean: stats.mean, std: stats.std } };
}
