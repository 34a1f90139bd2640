// Inference paths on the webgpu backend (software adapter here), where a GPU tensor has no synchronous read:
// Pooled-Res and shallow prediction of tiny models against cpu from the same weights (within 1e-4), and the ONNX
// export of a tiny base CNN whose weights live on the GPU (the same bytes as cpu's export of those weights).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { buildPooledRes } from '../models/pooled-res.ts';
import { buildShallowNN, seedShallowNnConfig } from '../models/shallow-nn.ts';
import { webGpuForTests } from '../nn/webgpu-test-utils.ts';
import { exportToOnnx } from '../onnx/export.ts';
import { relErr } from '../testing/numeric.ts';
import { predictPooledResSeries, predictSeriesProbs } from './pooled-res-predict.ts';
import { predictShallowMany, type ShallowInputs } from './shallow-predict.ts';

const gpu = await webGpuForTests();
const run = gpu.skip ? it.skip : it;
const TOL = 1e-4;
const F = 8;
const COPIES = 4;
const IMAGES = 90;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function onBackend<T>(backend: 'webgpu' | 'cpu', f: () => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  try {
    return await f();
  } finally {
    await tf.setBackend(previous);
  }
}

async function weightValues(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.weights.map(async (w) => Float32Array.from((await w.read().data()) as Float32Array)));
}

/** `build()` on `backend` with the given weights (tensors made on that backend, so the weights live there). */
function withWeights(build: () => tf.LayersModel, weights: Float32Array[]): tf.LayersModel {
  const model = build();
  const tensors = model.weights.map((w, i) => tf.tensor(weights[i]!, w.shape as number[]));
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}

/** True when a weight of `model` is a GPU tensor (no synchronous read): the model's first use uploads them. */
function weightsOnGpu(model: tf.LayersModel): boolean {
  try {
    model.weights[0]!.read().dataSync();
    return false;
  } catch (err) {
    return /cannot be read synchronously/.test((err as Error).message);
  }
}

describe('inference on webgpu', () => {
  run('Pooled-Res prediction (sliding windows, random copies, passes) equals cpu\'s within 1e-4', async () => {
    const rng = createRng('webgpu-pooled-features');
    const features = Float32Array.from({ length: IMAGES * COPIES * F }, () => rng.normal());
    const build = (): tf.LayersModel => buildPooledRes(F, { seed: 5 });
    const cpuModel = build();
    const weights = await weightValues(cpuModel);
    const rows = Array.from({ length: 75 }, (_, i) => (i * 7) % IMAGES); // two windows: 0 and 15
    const cpuFixed = await predictSeriesProbs(cpuModel, features, F, COPIES, rows, COPIES, 1, 'fixed');
    const cpuRandom = await predictPooledResSeries(cpuModel, features, F, COPIES, rows, 3, 2, createRng('draws'));
    cpuModel.dispose();
    const { fixed, random, onGpu } = await onBackend('webgpu', async () => {
      const model = withWeights(build, weights);
      try {
        const fixed = await predictSeriesProbs(model, features, F, COPIES, rows, COPIES, 1, 'fixed');
        const random = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 2, createRng('draws'));
        return { fixed, random, onGpu: weightsOnGpu(model) };
      } finally {
        model.dispose();
      }
    });
    expect(onGpu).toBe(true);
    expect(fixed.length).toBe(rows.length * 6);
    expect(relErr(fixed, cpuFixed)).toBeLessThan(TOL);
    expect(relErr(random, cpuRandom)).toBeLessThan(TOL);
  }, 300_000);

  run('shallow prediction of several series (fixed and random layouts) equals cpu\'s within 1e-4', async () => {
    const rng = createRng('webgpu-shallow-inputs');
    const categorical = new Int32Array(IMAGES * 10);
    for (let i = 0; i < categorical.length; i++) categorical[i] = rng.int(0, 2);
    const inputs: ShallowInputs = {
      features: Float32Array.from({ length: IMAGES * COPIES * F }, () => rng.normal()),
      featureSize: F, copiesPerImage: COPIES,
      mean: new Float32Array(F).fill(0.1), std: new Float32Array(F).fill(2), black: new Float32Array(F).fill(-1),
      continuous: Float32Array.from({ length: IMAGES * 38 }, () => rng.next()), categorical,
    };
    const series = [[3, 4, 5], Array.from({ length: 75 }, (_, i) => i), [80, 81, 82, 83, 84, 85, 86]];
    const build = (): tf.LayersModel => buildShallowNN(seedShallowNnConfig(F), { seed: 3 });
    const rngOf = (s: number) => createRng(100 + s);
    const cpuModel = build();
    const weights = await weightValues(cpuModel);
    const cpuFixed = await predictShallowMany(cpuModel, inputs, series, 1, () => 'fixed');
    const cpuRandom = await predictShallowMany(cpuModel, inputs, series, 2, rngOf);
    cpuModel.dispose();
    const { fixed, random, onGpu } = await onBackend('webgpu', async () => {
      const model = withWeights(build, weights);
      try {
        const fixed = await predictShallowMany(model, inputs, series, 1, () => 'fixed');
        const random = await predictShallowMany(model, inputs, series, 2, rngOf);
        return { fixed, random, onGpu: weightsOnGpu(model) };
      } finally {
        model.dispose();
      }
    });
    expect(onGpu).toBe(true);
    expect(fixed.map((p) => p.length)).toEqual(series.map((s) => s.length * 6));
    series.forEach((_, s) => {
      expect(relErr(fixed[s]!, cpuFixed[s]!), `series ${s} fixed`).toBeLessThan(TOL);
      expect(relErr(random[s]!, cpuRandom[s]!), `series ${s} random`).toBeLessThan(TOL);
    });
  }, 300_000);

  run('the ONNX export of a tiny base CNN whose weights live on webgpu equals cpu\'s export of those weights', async () => {
    const size = 32;
    const build = (): tf.LayersModel => buildBaseCnn(BASE_ARCHS['tiny-se-resnext']!, size, { seed: 9 }).featureModel;
    const { bytes, weights, onGpu, name } = await onBackend('webgpu', async () => {
      const model = build();
      try {
        // One forward pass uploads every weight to the GPU, after which none has a synchronous read.
        tf.dispose(tf.tidy(() => model.predict(tf.zeros([1, size, size, 1]))));
        const onGpu = weightsOnGpu(model);
        const { bytes } = await exportToOnnx(model, 'base-cnn');
        return { bytes, weights: await weightValues(model), onGpu, name: model.name };
      } finally {
        model.dispose();
      }
    });
    expect(onGpu).toBe(true);
    const cpuModel = withWeights(build, weights);
    cpuModel.name = name; // the graph's name is the model's, numbered per build
    const want = (await exportToOnnx(cpuModel, 'base-cnn')).bytes;
    cpuModel.dispose();
    expect(bytes.length).toBeGreaterThan(1000);
    expect(Buffer.from(bytes).equals(Buffer.from(want))).toBe(true);
  }, 300_000);
});
