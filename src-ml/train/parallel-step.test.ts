/**
 * The stage trainers' step (parallel-step.ts) on a real base CNN (the tiny SE-ResNeXt: windowing layer,
 * grouped convolutions, SE blocks, batch norm, dropout), with the preset asking for 2 ranks: the workers
 * rebuild the model from its topology, two runs from the same weights and batches give the same losses
 * and weights, tensors stay flat, and disposing the run's owned trainer ends the workers.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../base/random.ts';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { initBackend } from '../nn/backend.ts';
import type { DataParallelTrainer } from '../nn/data-parallel.ts';
import { parallelTrainStep, STAGE_LOSSES } from './parallel-step.ts';
import { loadPreset, validatePreset, type Preset } from './presets.ts';
import type { Batch, StageRun } from './stage-runner.ts';

const SIZE = 32;
let savedEnv: string | undefined;

beforeAll(async () => {
  expect(await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined })).toBe('wasm');
  savedEnv = process.env['ICH_TRAIN_WORKERS'];
  delete process.env['ICH_TRAIN_WORKERS'];
});

afterAll(() => {
  if (savedEnv !== undefined) process.env['ICH_TRAIN_WORKERS'] = savedEnv;
});

function batch(seed: number, n: number): Batch {
  const r = mulberry32(seed);
  const x = Float32Array.from({ length: n * SIZE * SIZE }, () => r() * 200 - 50);
  const y = Float32Array.from({ length: n * 6 }, () => Number(r() < 0.3));
  return { xs: tf.tensor4d(x, [n, SIZE, SIZE, 1]), y: tf.tensor2d(y, [n, 6]), n };
}

async function train(steps: number): Promise<{ losses: number[]; weights: Float32Array[]; tensors: number[]; messages: string[]; trainer: DataParallelTrainer }> {
  const { trainModel: model } = buildBaseCnn(BASE_ARCHS['tiny-se-resnext']!, SIZE, { seed: 5 });
  const optimizer = tf.train.adam(1e-3);
  const owned: { dispose(): void }[] = [];
  const messages: string[] = [];
  const run = { own: <D extends { dispose(): void }>(d: D) => (owned.push(d), d), message: (_: string, text: string) => messages.push(text) } as unknown as StageRun;
  const step = await parallelTrainStep(run, { model, loss: STAGE_LOSSES.base('bce'), optimizer, seedKey: 'tiny:k2:f0', preset: { trainWorkers: 2 } as Preset, backend: 'wasm' });
  const losses: number[] = [];
  const tensors: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const b = batch(100 + s, 5);
      losses.push(await step(b, s));
      tf.dispose([b.xs as tf.Tensor, b.y]);
      tensors.push(tf.memory().numTensors);
    }
    return { losses, weights: model.getWeights().map((w) => (w.dataSync() as Float32Array).slice()), tensors, messages, trainer: owned[0] as DataParallelTrainer };
  } finally {
    for (const d of owned) d.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

describe('parallel train step', () => {
  it('takes its ranks from the preset (tiny: 2, rsna: 4), which must be a positive integer', () => {
    expect(loadPreset('tiny').trainWorkers).toBe(2);
    expect(loadPreset('rsna').trainWorkers).toBe(4);
    const raw = JSON.parse(JSON.stringify(loadPreset('tiny'))) as Record<string, unknown>;
    expect(() => validatePreset({ ...raw, trainWorkers: 0 }, 'p')).toThrow(/trainWorkers/);
    expect(() => validatePreset({ ...raw, trainWorkers: 1.5 }, 'p')).toThrow(/trainWorkers/);
    expect(validatePreset({ ...raw, trainWorkers: undefined }, 'p').trainWorkers).toBeUndefined();
  });

  it('trains a base CNN on the preset\'s ranks, repeatably, and ends its workers with the run', async () => {
    const ranks = Math.min(2, availableParallelism());
    const a = await train(3);
    await a.trainer.exited;
    expect(a.trainer.workers).toBe(ranks);
    if (ranks > 1) expect(a.messages.join('\n')).toMatch(/data-parallel training on 2 ranks/);
    expect(a.losses.every(Number.isFinite)).toBe(true);
    expect(new Set(a.tensors.slice(1)).size).toBe(1);
    const b = await train(3);
    await b.trainer.exited;
    expect(b.losses).toEqual(a.losses);
    a.weights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(b.weights[i]!)));
  });
});
