/**
 * Pooled-Res inference (docs/seed-pipeline.md section 4, "Inference and outputs for ensembling"): one series ->
 * per-slice probabilities [n, 6] (project label order, any last). Each pass draws `copies` random TTA
 * copies per slice (the seed: 3 of 4 for OOF, 4 of 8 for test), applies sigmoid to the logits, and the
 * passes are averaged (sigmoid first, then the mean, as Zahar's ensembling does). Series longer than the
 * model's 60 rows go through sliding windows; overlapping windows' probabilities are averaged per slice.
 */
import * as tf from '@tensorflow/tfjs';
import { mergeWindowPredictions, slidingWindows } from '../data/sliding-windows.ts';
import { LABELS_PER_IMAGE, LAYOUT_SLICES, pooledResSample, type InputNorm } from '../data/series-layout.ts';
import { loadModel } from '../nn/model-io.ts';
import { readModelMeta } from './read-meta.ts';
import { modelDirCache } from '../onnx/onnx-cache.ts';
import { createForward, type Forward, type ForwardDeps } from '../onnx/runtime-forward.ts';
import type { FeatureSource } from '../data/feature-rows.ts';
import type { Rng } from '../base/random.ts';

export const POOLED_RES_STAGE = 'pooled-res';
/** Samples (series windows x passes) per predict call. */
export const PREDICT_BATCH = 32;

/**
 * Logits [B, 60, 6] of stacked samples x ([B, 60, copies, F] row-major), as one Float32Array. Read with
 * await data(): a GPU backend (webgpu in Node) has no synchronous read.
 */
export async function predictLogits(model: tf.LayersModel, x: Float32Array, batch: number, copies: number, featureSize: number): Promise<Float32Array> {
  const out = tf.tidy(() => model.predict(tf.tensor4d(x, [batch, LAYOUT_SLICES, copies, featureSize])) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

function sigmoidInPlace(v: Float32Array): Float32Array {
  for (let i = 0; i < v.length; i++) v[i] = 1 / (1 + Math.exp(-v[i]!));
  return v;
}

/** A batch of stacked samples [batch, 60, copies, F] whose logits [batch, 60, 6] the series needs next. */
interface LogitsRequest {
  x: Float32Array;
  batch: number;
}

/**
 * Mean over `passes` of per-slice probabilities; pick 'fixed' = copies 0..copies-1 in order (validation,
 * one pass makes sense), an Rng = random copies per slice, drawn pass by pass, window by window, slice by
 * slice (so the same seed gives the same result). A coroutine: it yields each batch and is resumed with its
 * logits, so the tfjs and ONNX Runtime drivers share every other step.
 */
function* seriesProbsSteps(
  features: FeatureSource, featureSize: number, copiesPerImage: number, sliceRows: readonly number[],
  copies: number, passes: number, pick: 'fixed' | Rng, norm?: InputNorm,
): Generator<LogitsRequest, Float32Array, Float32Array> {
  const n = sliceRows.length;
  if (n < 1) throw new Error('predictPooledResSeries: a series needs at least one slice');
  if (!Number.isInteger(passes) || passes < 1) throw new Error(`predictPooledResSeries: passes must be a positive integer, got ${passes}`);
  const windows = slidingWindows(n);
  const sampleSize = LAYOUT_SLICES * copies * featureSize;
  const sum = new Float64Array(n * LABELS_PER_IMAGE);
  // Samples in (pass, window) order, predicted in chunks of PREDICT_BATCH.
  const total = passes * windows.length;
  const windowProbs: Float32Array[] = [];
  const flushPass = (): void => {
    const merged = mergeWindowPredictions(n, windows, windowProbs);
    for (let i = 0; i < merged.length; i++) sum[i] = sum[i]! + merged[i]!;
    windowProbs.length = 0;
  };
  for (let at = 0; at < total; at += PREDICT_BATCH) {
    const b = Math.min(PREDICT_BATCH, total - at);
    const x = new Float32Array(b * sampleSize);
    const lengths: number[] = [];
    for (let j = 0; j < b; j++) {
      const w = windows[(at + j) % windows.length]!;
      const rows = sliceRows.slice(w.start, w.start + w.length);
      x.set(pooledResSample(features, featureSize, copiesPerImage, rows, copies, pick, undefined, norm).x, j * sampleSize);
      lengths.push(w.length);
    }
    const logits = yield { x, batch: b };
    for (let j = 0; j < b; j++) {
      const per = LAYOUT_SLICES * LABELS_PER_IMAGE;
      windowProbs.push(sigmoidInPlace(logits.slice(j * per, j * per + lengths[j]! * LABELS_PER_IMAGE)));
      if (windowProbs.length === windows.length) flushPass();
    }
  }
  const out = new Float32Array(n * LABELS_PER_IMAGE);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / passes;
  return out;
}

/** seriesProbsSteps on a tfjs model (training's validation and out-of-fold passes). */
export async function predictSeriesProbs(
  model: tf.LayersModel, features: FeatureSource, featureSize: number, copiesPerImage: number, sliceRows: readonly number[],
  copies: number, passes: number, pick: 'fixed' | Rng, norm?: InputNorm,
): Promise<Float32Array> {
  const steps = seriesProbsSteps(features, featureSize, copiesPerImage, sliceRows, copies, passes, pick, norm);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    step = steps.next(await predictLogits(model, step.value.x, step.value.batch, copies, featureSize));
  }
}

/**
 * Probabilities [n, 6] for one series: mean over `passes` of sigmoid(logits), each pass with `copies`
 * random TTA copies per slice drawn from copiesPerImage (sliding windows beyond 60 slices).
 */
export function predictPooledResSeries(
  model: tf.LayersModel, features: FeatureSource, featureSize: number, copiesPerImage: number, sliceRows: readonly number[],
  copies: number, passes: number, rng: Rng, norm?: InputNorm,
): Promise<Float32Array> {
  return predictSeriesProbs(model, features, featureSize, copiesPerImage, sliceRows, copies, passes, rng, norm);
}

/** predictPooledResSeries through a Forward (ONNX Runtime or tfjs): the same samples, the same draws. */
export async function predictPooledResSeriesOn(
  forward: Forward, features: FeatureSource, featureSize: number, copiesPerImage: number, sliceRows: readonly number[],
  copies: number, passes: number, rng: Rng, norm?: InputNorm,
): Promise<Float32Array> {
  const steps = seriesProbsSteps(features, featureSize, copiesPerImage, sliceRows, copies, passes, rng, norm);
  for (let step = steps.next(); ; ) {
    if (step.done) return step.value;
    const [logits] = await forward.run([{ data: step.value.x, dims: [step.value.batch, LAYOUT_SLICES, copies, featureSize] }]);
    step = steps.next(logits!);
  }
}

function checkStage(modelDir: string, meta: Record<string, unknown>): void {
  if (meta.stage !== POOLED_RES_STAGE) throw new Error(`${modelDir} holds a ${JSON.stringify(meta.stage)} model, not a ${POOLED_RES_STAGE} one`);
}

/** A Pooled-Res model saved by trainPooledRes (for inference; re-compile it to train). */
export async function loadPooledRes(modelDir: string): Promise<{ model: tf.LayersModel; meta: Record<string, unknown> }> {
  const { model, meta } = await loadModel<Record<string, unknown>>(modelDir);
  try {
    checkStage(modelDir, meta);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, meta };
}

/**
 * A saved Pooled-Res model for inference: its meta and a Forward on ONNX Runtime (graph cached beside the
 * model), the tfjs model loaded only when the graph must be exported or the runtime fails.
 */
export async function openPooledRes(modelDir: string, label: string, deps: ForwardDeps = {}): Promise<{ forward: Forward; meta: Record<string, unknown> }> {
  const meta = await readModelMeta<Record<string, unknown>>(modelDir);
  checkStage(modelDir, meta);
  const forward = await createForward({
    label, family: 'pooled-res', ownsModel: true, cache: modelDirCache(modelDir, 'pooled-res'),
    loadTfjs: async () => (await loadPooledRes(modelDir)).model,
  }, deps);
  return { forward, meta };
}

/**
 * The input standardisation a Pooled-Res model was trained with (meta.inputNorm, written when its
 * preset has pooledRes.zscore), or undefined for the seed's raw features (older models, the rsna preset).
 */
export function inputNormOf(meta: Record<string, unknown>, featureSize: number, where: string): InputNorm | undefined {
  const norm = meta.inputNorm as { mean?: unknown; std?: unknown } | undefined;
  if (norm === undefined || norm === null) return undefined;
  const vec = (v: unknown, what: string, positive: boolean): Float32Array => {
    if (!Array.isArray(v) || v.length !== featureSize || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
      throw new Error(`${where}: meta.json inputNorm.${what} must be ${featureSize} finite${positive ? ' positive' : ''} numbers`);
    }
    return Float32Array.from(v as number[]);
  };
  return { mean: vec(norm.mean, 'mean', false), std: vec(norm.std, 'std', true) };
}
