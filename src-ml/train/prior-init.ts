/**
 * What makes a stage safe at any data size, shared by every trainer:
 *   - the output layer starts at the labels' log-prior (bias = logit of the smoothed prevalence), and for
 *     the full-head models with a zero kernel, so the untrained model predicts exactly the prior and the
 *     first updates refine it instead of undoing a random offset (the shallow NN's outputs stayed near
 *     0.4 on 24 studies: 12 Adam steps could not move a random bias that far);
 *   - a floor on optimizer steps: tiny data must not mean a handful of updates, so an epoch that is too
 *     short for the run to reach `minSteps` is repeated (the same schedule over more batches).
 */
import * as tf from '@tensorflow/tfjs';

const LABELS_PER_IMAGE = 6;

/**
 * Per-class prevalence of `labels` (N x 6, rows `rows` or all), smoothed as (positives + 0.5) / (N + 1) so
 * a class absent from a small training set gets a finite logit.
 */
export function labelPrior(labels: ArrayLike<number>, rows?: ArrayLike<number>): Float64Array {
  const n = rows ? rows.length : labels.length / LABELS_PER_IMAGE;
  const pos = new Float64Array(LABELS_PER_IMAGE);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i]! : i;
    for (let k = 0; k < LABELS_PER_IMAGE; k++) pos[k]! += labels[r * LABELS_PER_IMAGE + k]! > 0 ? 1 : 0;
  }
  return pos.map((p) => (p + 0.5) / (n + 1));
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/**
 * Sets the bias of `layerName` (a dense or convolution with 6 outputs) to the log-prior of `prior`;
 * `zeroKernel` also zeroes its kernel, so the layer outputs exactly the prior until trained.
 */
export function setOutputPrior(model: tf.LayersModel, layerName: string, prior: ArrayLike<number>, zeroKernel: boolean): void {
  const layer = model.getLayer(layerName);
  const weights = layer.getWeights();
  if (weights.length !== 2) throw new Error(`setOutputPrior: layer ${layerName} has ${weights.length} weights, expected kernel and bias`);
  const [kernel, bias] = weights as [tf.Tensor, tf.Tensor];
  if (bias.size !== prior.length) throw new Error(`setOutputPrior: layer ${layerName} has ${bias.size} outputs, the prior ${prior.length}`);
  const newBias = tf.tensor(Float32Array.from(prior, (p) => logit(p)), bias.shape);
  const newKernel = zeroKernel ? tf.zerosLike(kernel) : kernel;
  layer.setWeights([newKernel, newBias]);
  // getWeights() hands out the variables' own tensors: only the new ones are ours to dispose.
  tf.dispose([newBias, ...(zeroKernel ? [newKernel] : [])]);
}

/**
 * How many times each epoch's data is gone through so that `epochs` epochs of `batchesPerEpoch` batches
 * make at least `minSteps` optimizer steps (1 when the data already give enough).
 */
export function epochRepeats(batchesPerEpoch: number, epochs: number, minSteps: number | undefined): number {
  const natural = Math.max(1, batchesPerEpoch) * Math.max(1, epochs);
  if (!minSteps || minSteps <= natural) return 1;
  return Math.ceil(minSteps / natural);
}

/**
 * Per class, logit(true prevalence) - logit(prevalence the sampler trains on): added to a model's logits
 * it undoes the enrichment of positives by negative subsampling (prior correction for case-control
 * sampling), so out-of-fold probabilities are calibrated. `drawn`: the rows of one epoch's sampling.
 */
export function samplingCorrection(labels: ArrayLike<number>, drawn: ArrayLike<number>): Float64Array {
  const truth = labelPrior(labels);
  const sampled = labelPrior(labels, drawn);
  return truth.map((p, k) => logit(p) - logit(sampled[k]!));
}

/** Adds `offset` to the bias of the model's `classifier` layer (a calibrated model to save). */
export function shiftClassifierBias(model: tf.LayersModel, offset: ArrayLike<number>, layerName = 'classifier'): void {
  const layer = model.getLayer(layerName);
  const [kernel, bias] = layer.getWeights() as [tf.Tensor, tf.Tensor];
  const shifted = tf.tidy(() => bias.add(tf.tensor(Float32Array.from(offset), bias.shape)));
  layer.setWeights([kernel, shifted]);
  shifted.dispose();
}

/**
 * The batch counts (1-based) after which one of an epoch's `repeats` passes ends, the epoch's own end
 * excluded (it is validated anyway): where a stage looks for its best parameters within an epoch.
 */
export function passBoundaries(batches: number, repeats: number): Set<number> {
  const out = new Set<number>();
  for (let r = 1; r < repeats; r++) {
    const b = Math.round((r * batches) / repeats);
    if (b >= 1 && b < batches) out.add(b);
  }
  return out;
}

/** `repeats` orders of the samples, one after another (more than one only under the step floor). */
export function repeatedOrder(repeats: number, draw: (r: number) => Int32Array): Int32Array {
  if (repeats <= 1) return draw(0);
  const parts = Array.from({ length: repeats }, (_, r) => draw(r));
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
