/** Shared helpers for the custom-layer tests (backend setup, wasm-vs-cpu gradients, save/load, leaks). */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.ts';
import { relErr } from '../../testing/numeric.ts';
import { mulberry32 } from '../../base/random.ts';

export { relErr };

export async function useWasm(): Promise<void> {
  await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
}

/** Deterministic values in [-1, 1) (mulberry32). */
export function seeded(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale + offset;
  return out;
}

/** Functional model input -> layers -> output. */
export function wrap(inputShape: number[], body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  return tf.model({ inputs: input, outputs: body(input) });
}

export interface GradResult {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array[];
}

/**
 * Output and gradients of sum(model(x) * r) with respect to x and every trainable weight,
 * on the given backend, with the given weights (or the model's own when null).
 */
export async function gradsOn(backend: 'wasm' | 'cpu', makeModel: () => tf.LayersModel, x: Float32Array, xShape: number[],
  weights: Float32Array[] | null): Promise<GradResult & { weights: Float32Array[] }> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  try {
    if (tf.getBackend() !== backend) throw new Error(`expected backend ${backend}, running on ${tf.getBackend()}`);
    const model = makeModel();
    if (weights) {
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape)));
    }
    const own = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    const xt = tf.tensor(x, xShape);
    const outShape = (model.apply(xt) as tf.Tensor).shape;
    const r = tf.tensor(seeded(outShape.reduce((a, b) => a * b, 1), 99), outShape);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(model.apply(input) as tf.Tensor, r));
    const y = (model.apply(xt) as tf.Tensor).dataSync().slice() as Float32Array;
    const dx = tf.grad(loss)(xt);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const grads: tf.NamedTensorMap = vars.length > 0 ? tf.variableGrads(() => loss(xt), vars).grads : {};
    const dw = vars.map((v) => grads[v.name]!.dataSync().slice() as Float32Array);
    const result = { y, dx: dx.dataSync().slice() as Float32Array, dw, weights: own };
    tf.dispose([xt, r, dx, ...Object.values(grads)]);
    model.dispose();
    return result;
  } finally {
    await tf.setBackend(previous);
  }
}


/** wasm gradients (y, dx, every dw) against cpu, same weights; returns the worst relative error. */
export async function wasmVsCpu(makeModel: () => tf.LayersModel, x: Float32Array, xShape: number[]): Promise<number> {
  const w = await gradsOn('wasm', makeModel, x, xShape, null);
  const c = await gradsOn('cpu', makeModel, x, xShape, w.weights);
  let worst = Math.max(relErr(w.y, c.y), relErr(w.dx, c.dx));
  if (w.dw.length !== c.dw.length) return Infinity;
  w.dw.forEach((g, i) => {
    worst = Math.max(worst, relErr(g, c.dw[i]!));
  });
  return worst;
}

/** Save through tf.io.withSaveHandler and load back through tf.io.fromMemory. */
export async function saveLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!saved) throw new Error('nothing saved');
  return tf.loadLayersModel(tf.io.fromMemory(saved));
}

/** Tensor counts after each of n predict calls (the outputs disposed). */
export function tensorCountsOverPredicts(model: tf.LayersModel, x: tf.Tensor, n = 4): number[] {
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
    counts.push(tf.memory().numTensors);
  }
  return counts;
}
