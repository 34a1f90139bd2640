/**
 * The fused training-mode batch norm (wasm-batch-norm.ts) against tfjs-layers' own code on the cpu backend:
 * output, moving statistics and the gradients of input, gamma and beta, for NHWC and [N, C] inputs; and
 * no tensor left behind.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './wasm-conv-grad.ts';
import { BN_TRAIN, BN_TRAIN_GRAD } from './wasm-batch-norm.ts';
import { relErr } from '../../testing/numeric.ts';
import { mulberry32 } from '../../base/random.ts';

function data(n: number, seed: number, offset = 0): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => offset + r() * 4 - 2);
}

interface Result {
  y: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

/** One training-mode pass of a batch-norm layer with fixed gamma/beta and a weighted sum as the loss. */
function run(shape: number[], offset: number): Result {
  const c = shape[shape.length - 1]!;
  const n = shape.reduce((a, b) => a * b, 1);
  const layer = tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.9 });
  layer.build(shape);
  const init = [tf.tensor1d(data(c, 1, 1)), tf.tensor1d(data(c, 2)), tf.tensor1d(data(c, 3)), tf.tensor1d(data(c, 4, 3))];
  layer.setWeights(init);
  tf.dispose(init);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  // Everything but the layer's variables is disposed by the tidy; the test checks that nothing else is left.
  const out = tf.tidy(() => {
    const x = tf.tensor(data(n, 5, offset), shape);
    const w = tf.tensor(data(n, 6), shape);
    const loss = (xi: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, w));
    const y = (layer.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array;
    const dx = tf.grad(loss)(x).dataSync() as Float32Array;
    const { grads } = tf.variableGrads(() => loss(x), [gamma!, beta!]);
    return {
      y, dx, dgamma: grads[gamma!.name]!.dataSync() as Float32Array, dbeta: grads[beta!.name]!.dataSync() as Float32Array,
      movingMean: layer.getWeights()[2]!.dataSync() as Float32Array,
      movingVariance: layer.getWeights()[3]!.dataSync() as Float32Array,
    } satisfies Result;
  });
  for (const v of layer.weights) v.dispose(); // an eagerly applied layer cannot be disposed as a whole
  return out;
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe('fused batch norm on wasm', () => {
  // A large offset against the spread checks the one-pass statistics for cancellation.
  it.each([[[3, 5, 4, 6], 0.5], [[7, 5], 0.5], [[2, 9, 3], 100]])('matches tfjs-layers on cpu for shape %j, inputs offset by %d', async (shape, offset) => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const beforeCpu = tf.memory().numTensors;
    const cpu = run(shape, offset);
    expect(tf.memory().numTensors).toBe(beforeCpu);
    expect(await tf.setBackend('wasm')).toBe(true);
    const before = tf.memory().numTensors;
    const wasm = run(shape, offset);
    expect(tf.memory().numTensors).toBe(before);
    for (const key of Object.keys(cpu) as (keyof Result)[]) {
      expect(wasm[key].length, key).toBe(cpu[key].length);
      expect(relErr(wasm[key], cpu[key]), key).toBeLessThan(1e-4);
    }
    expect(Math.max(...cpu.dx.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('runs the fused kernels on wasm, forward and backward', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const layer = tf.layers.batchNormalization({});
    const x = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 9);
    const info = await tf.profile(() => tf.grad((xi: tf.Tensor) => tf.sum(layer.apply(xi, { training: true }) as tf.Tensor))(x));
    expect(info.kernelNames).toEqual(expect.arrayContaining([BN_TRAIN, BN_TRAIN_GRAD]));
    expect(info.kernelNames).not.toContain('FusedBatchNorm');
    tf.dispose(x);
    for (const v of layer.weights) v.dispose();
  });
});
