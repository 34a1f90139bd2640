/**
 * One rank's share of a data-parallel train step, the same code on the main thread (rank 0) and in every
 * worker: the forward pass in training mode on its slice of the batch, the mean loss, and the gradients of
 * the trainable weights. Also the pieces both sides need to agree on: how a loss is named across threads
 * (LossSpec), how a batch is split, and the per-step dropout seeds.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../base/random.ts';

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * A loss that another thread can load: `export` of the module at `module` (a file URL), called with `args`
 * when given (a factory such as lossFunction('bce')), else used as it is (the loss itself).
 */
export interface LossSpec {
  module: string;
  export: string;
  args?: unknown[];
}

const lossCache = new Map<string, LossFn>();

export async function resolveLoss(spec: LossSpec): Promise<LossFn> {
  const key = JSON.stringify(spec);
  const cached = lossCache.get(key);
  if (cached) return cached;
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const f = mod[spec.export];
  if (typeof f !== 'function') throw new Error(`loss ${spec.export} is not a function exported by ${spec.module}`);
  const loss = (spec.args ? (f as (...a: unknown[]) => unknown)(...spec.args) : f) as LossFn;
  if (typeof loss !== 'function') throw new Error(`loss factory ${spec.export}(${JSON.stringify(spec.args)}) did not return a function`);
  lossCache.set(key, loss);
  return loss;
}

/** Row ranges [start, end) of `n` samples over `ranks`: as even as possible, the larger shares first. */
export function splitRows(n: number, ranks: number): [number, number][] {
  const base = Math.floor(n / ranks);
  const extra = n % ranks;
  const out: [number, number][] = [];
  let at = 0;
  for (let r = 0; r < ranks; r++) {
    const size = base + (r < extra ? 1 : 0);
    out.push([at, at + size]);
    at += size;
  }
  return out;
}

/** Layers whose training-mode output draws random numbers from their `seed` (tfjs-layers Dropout and subclasses). */
const SEEDED_LAYERS = new Set(['Dropout', 'SpatialDropout1D']);

/**
 * Sets every dropout layer's seed for step `step` of rank `rank`, so the masks repeat for a given run
 * seed, step and worker count (tfjs draws an unseeded mask from Math.random). Returns a function that
 * puts the layers' own seeds back (saved models keep their config).
 */
export function seedDropout(model: tf.LayersModel, seedKey: string, step: number, rank: number): () => void {
  const touched: { layer: { seed?: number }; seed: number | undefined }[] = [];
  model.layers.forEach((layer, i) => {
    if (!SEEDED_LAYERS.has(layer.getClassName())) return;
    const l = layer as unknown as { seed?: number };
    touched.push({ layer: l, seed: l.seed });
    l.seed = createRng(`${seedKey}:dropout:${step}:${rank}:${i}`).int(0, 2 ** 31 - 1);
  });
  return () => {
    for (const t of touched) t.layer.seed = t.seed;
  };
}

export interface SliceResult {
  /** The slice's mean loss (plus any regularisation terms the model carries). */
  loss: number;
  /** Gradients of model.trainableWeights, in that order (zeros for a weight the loss does not reach). */
  grads: tf.Tensor[];
}

/**
 * Forward (training mode), mean loss and gradients on one slice, as LayersModel.trainOnBatch computes them
 * before its optimizer step: loss = mean over samples of lossFn(y, model(x)) + the model's own losses.
 * The caller owns (disposes) the returned gradients. The loss is read with await data(): the webgpu backend
 * has no synchronous read in Node.
 */
export async function sliceGradients(model: tf.LayersModel, loss: LossFn, xs: tf.Tensor[], y: tf.Tensor): Promise<SliceResult> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const pred = model.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor;
    let total = tf.mean(loss(y, pred)) as tf.Scalar;
    for (const extra of model.calculateLosses()) total = tf.add(total, extra);
    return total;
  }, vars);
  const lossValue = (await value.data())[0]!;
  value.dispose();
  return { loss: lossValue, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}
