/**
 * Data-parallel training (data-parallel.ts) on the wasm backend: two ranks' averaged gradients equal the
 * full batch's, steps repeat exactly for a given seed and worker count, no tensor is left behind, and the
 * worker threads end on dispose and on a worker's error.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { createDataParallel, trainWorkerCount, type DataParallelTrainer, type LossSpec } from './data-parallel.ts';
import { splitRows } from './data-parallel-grads.ts';
import { mulberry32 } from '../base/random.ts';

const BCE: LossSpec = { module: new URL('./losses.ts', import.meta.url).href, export: 'lossFunction', args: ['bce'] };

/** Records the gradients it is given instead of applying them. */
class CaptureOptimizer extends tf.Optimizer {
  last: Record<string, Float32Array> = {};
  override applyGradients(grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(grads) ? grads.map((g) => [g.name, g.tensor] as const) : Object.entries(grads);
    this.last = Object.fromEntries(list.map(([k, t]) => [k, (t.dataSync() as Float32Array).slice()]));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

function seeded(shape: number[], seed: number, binary = false): tf.Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => (binary ? Number(r() > 0.5) : r() * 2 - 1)), shape);
}

/** A small conv net; `bn` adds batch norm and dropout (the parts that differ per slice). */
function buildNet(bn: boolean): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [8, 8, 2] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  if (bn) x = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  if (bn) x = tf.layers.dropout({ rate: 0.3 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 6, kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function train(workers: number, steps: number): Promise<{ weights: Float32Array[]; losses: number[]; tensors: number[] }> {
  const model = buildNet(true);
  const optimizer = tf.train.adam(1e-2);
  const dp = await createDataParallel({ model, loss: BCE, optimizer, workers, seedKey: 'test-run' });
  const losses: number[] = [];
  const tensors: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const x = seeded([6, 8, 8, 2], 10 + s);
      const y = seeded([6, 6], 20 + s, true);
      losses.push(await dp.step(x, y, s));
      tf.dispose([x, y]);
      tensors.push(tf.memory().numTensors);
    }
    return { weights: model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()), losses, tensors };
  } finally {
    dp.dispose();
    await dp.exited;
    optimizer.dispose();
    model.dispose();
  }
}

describe('data-parallel training', () => {
  beforeAll(async () => {
    expect(await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined })).toBe('wasm');
  });
  afterAll(() => tf.disposeVariables());

  it('splits rows evenly, larger shares first', () => {
    expect(splitRows(16, 2)).toEqual([[0, 8], [8, 16]]);
    expect(splitRows(5, 2)).toEqual([[0, 3], [3, 5]]);
    expect(splitRows(1, 3)).toEqual([[0, 1], [1, 1], [1, 1]]);
  });

  it('picks the worker count from the environment, capped by the cores, 1 off wasm', () => {
    expect(trainWorkerCount(4, 'wasm', {}, 2)).toBe(2);
    expect(trainWorkerCount(1, 'wasm', { ICH_TRAIN_WORKERS: '3' }, 8)).toBe(3);
    expect(trainWorkerCount(4, 'tensorflow', { ICH_TRAIN_WORKERS: '3' }, 8)).toBe(1);
    expect(trainWorkerCount(2, 'wasm', {}, 1)).toBe(1);
    expect(() => trainWorkerCount(1, 'wasm', { ICH_TRAIN_WORKERS: 'x' }, 2)).toThrow(/ICH_TRAIN_WORKERS/);
  });

  it('averages two ranks to the full batch gradient (no batch norm)', async () => {
    const model = buildNet(false);
    const x = seeded([7, 8, 8, 2], 1); // 4 + 3 rows: the weights by slice size matter
    const y = seeded([7, 6], 2, true);
    const grads: Record<string, Float32Array>[] = [];
    const losses: number[] = [];
    for (const workers of [1, 2]) {
      const optimizer = new CaptureOptimizer();
      const dp = await createDataParallel({ model, loss: BCE, optimizer, workers, seedKey: 's' });
      try {
        losses.push(await dp.step(x, y, 0));
      } finally {
        dp.dispose();
        await dp.exited;
      }
      grads.push(optimizer.last);
    }
    expect(Object.keys(grads[1]!)).toEqual(model.trainableWeights.map((w) => (w.read() as tf.Variable).name));
    let worst = 0;
    for (const [name, g1] of Object.entries(grads[0]!)) {
      const g2 = grads[1]![name]!;
      expect(g2.length).toBe(g1.length);
      for (let i = 0; i < g1.length; i++) worst = Math.max(worst, Math.abs(g1[i]! - g2[i]!));
    }
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...Object.values(grads[0]!).map((g) => Math.max(...g.map(Math.abs))))).toBeGreaterThan(1e-3);
    expect(losses[1]).toBeCloseTo(losses[0]!, 5);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('repeats steps exactly for a given seed and worker count (batch norm, dropout), leaving no tensors', async () => {
    const a = await train(2, 4);
    const b = await train(2, 4);
    expect(a.losses).toEqual(b.losses);
    a.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(b.weights[i]!)));
    // Adam's moments are made at the first step; after it the count stays flat.
    expect(new Set(a.tensors.slice(1)).size).toBe(1);
    const one = await train(1, 4);
    expect(one.losses[0]).not.toEqual(a.losses[0]); // per-slice batch statistics and masks differ
  });

  it('ends its workers when disposed, and when a worker fails', async () => {
    const model = buildNet(false);
    const x = seeded([4, 8, 8, 2], 1);
    const y = seeded([4, 6], 2, true);
    const failing: LossSpec = { module: new URL('./data-parallel.fixture.ts', import.meta.url).href, export: 'failsInWorker' };
    const dp: DataParallelTrainer = await createDataParallel({ model, loss: failing, optimizer: tf.train.sgd(0.1), workers: 2, seedKey: 's' });
    const before = tf.memory().numTensors;
    await expect(dp.step(x, y, 0)).rejects.toThrow(/loss failed in the worker/);
    expect(tf.memory().numTensors).toBe(before);
    dp.dispose();
    await dp.exited;
    await expect(dp.step(x, y, 1)).rejects.toThrow(/disposed/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
