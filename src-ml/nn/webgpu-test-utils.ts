/**
 * Test helpers for the webgpu backend: start it on whatever adapter exists (software included), and compare a
 * model's output and gradients on webgpu with the cpu backend's. Reads use await data(): webgpu has no
 * synchronous read in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { relErr } from '../testing/numeric.ts';
import { seeded } from './layers/layer-test-utils.ts';

export interface WebGpuForTests {
  /** Null when the backend started; else why not (the tests skip, printing it). */
  skip: string | null;
  log: string;
}

let started: Promise<WebGpuForTests> | null = null;

/** Starts webgpu once per test file (ICH_BACKEND=webgpu: a software adapter is fine), then leaves cpu active. */
export function webGpuForTests(): Promise<WebGpuForTests> {
  started ??= (async () => {
    const lines: string[] = [];
    try {
      await initBackend({ purpose: 'train' }, { env: { ...process.env, ICH_BACKEND: 'webgpu' }, log: (l) => lines.push(l) });
      return { skip: null, log: lines.join('\n') };
    } catch (err) {
      const reason = `webgpu tests skipped: ${err instanceof Error ? err.message : String(err)}`;
      console.warn(reason);
      return { skip: reason, log: '' };
    }
  })();
  return started;
}

export interface GradsAsync {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array[];
  weights: Float32Array[];
}

async function values(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from((await t.data()) as Float32Array);
}

/**
 * Output and gradients of sum(model(x, training) * r) with respect to x and every trainable weight on `backend`,
 * with the given weights (or the model's own initial ones when null).
 */
export async function gradsOnAsync(backend: 'webgpu' | 'cpu', makeModel: () => tf.LayersModel, x: Float32Array, xShape: number[],
  weights: Float32Array[] | null, training = true): Promise<GradsAsync> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  try {
    const model = makeModel();
    if (weights) model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape)));
    const own = await Promise.all(model.getWeights().map(values));
    const xt = tf.tensor(x, xShape);
    const probe = model.apply(xt, { training }) as tf.Tensor;
    const outShape = probe.shape;
    const r = tf.tensor(seeded(outShape.reduce((a, b) => a * b, 1), 99), outShape);
    const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(model.apply(input, { training }) as tf.Tensor, r));
    const y = await values(probe);
    const dx = tf.grad(loss)(xt);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const grads: tf.NamedTensorMap = vars.length > 0 ? tf.variableGrads(() => loss(xt), vars).grads : {};
    const dw = await Promise.all(vars.map((v) => values(grads[v.name]!)));
    const result = { y, dx: await values(dx), dw, weights: own };
    tf.dispose([xt, r, dx, probe, ...Object.values(grads)]);
    model.dispose();
    return result;
  } finally {
    await tf.setBackend(previous);
  }
}

/** Worst relative error of webgpu against cpu over the output, dx and every dw (same weights). */
export async function webGpuVsCpu(makeModel: () => tf.LayersModel, x: Float32Array, xShape: number[], training = true): Promise<number> {
  const g = await gradsOnAsync('webgpu', makeModel, x, xShape, null, training);
  const c = await gradsOnAsync('cpu', makeModel, x, xShape, g.weights, training);
  if (g.dw.length !== c.dw.length) return Infinity;
  let worst = Math.max(relErr(g.y, c.y), relErr(g.dx, c.dx));
  g.dw.forEach((d, i) => {
    worst = Math.max(worst, relErr(d, c.dw[i]!));
  });
  return worst;
}
