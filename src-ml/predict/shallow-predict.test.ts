import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShallowNN, seedShallowNnConfig } from '../models/shallow-nn.ts';
import { initBackend } from '../nn/backend.ts';
import { saveModel } from '../nn/model-io.ts';
import { createRng } from '../base/random.ts';
import { shallowSample } from '../data/series-layout.ts';
import { loadShallow, predictShallowSeries, saveShallowStats, stackShallow, type ShallowInputs } from './shallow-predict.ts';

const F = 8;
const IMAGES = 140;
const COPIES = 4;
let model: tf.LayersModel;
let inputs: ShallowInputs;
let dir: string;

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
  dir = await mkdtemp(path.join(os.tmpdir(), 'shallow-predict-'));
  model = buildShallowNN(seedShallowNnConfig(F), { seed: 3 });
  const rng = createRng(5);
  const categorical = new Int32Array(IMAGES * 10);
  for (let i = 0; i < categorical.length; i++) categorical[i] = rng.int(0, 2);
  inputs = {
    features: Float32Array.from({ length: IMAGES * COPIES * F }, () => rng.normal()),
    featureSize: F, copiesPerImage: COPIES,
    mean: new Float32Array(F).fill(0.1), std: new Float32Array(F).fill(2), black: new Float32Array(F).fill(-1),
    continuous: Float32Array.from({ length: IMAGES * 38 }, () => rng.next()), categorical,
  };
});

afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('predictShallowSeries', () => {
  it('gives n x 6 probabilities for n = 1, 2, 60, 130 and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    for (const n of [1, 2, 60, 130]) {
      const rows = Array.from({ length: n }, (_, i) => (i * 7) % IMAGES);
      const p = await predictShallowSeries(model, inputs, rows, 3, createRng(n));
      expect(p.length).toBe(n * 6);
      for (const v of p) expect(v > 0 && v < 1).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('is seeded: same rng seed, same output; fixed mode is deterministic; passes average random layouts', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => i);
    const a = await predictShallowSeries(model, inputs, rows, 2, createRng(1));
    const b = await predictShallowSeries(model, inputs, rows, 2, createRng(1));
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = await predictShallowSeries(model, inputs, rows, 2, createRng(2));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const f1 = await predictShallowSeries(model, inputs, rows, 5, 'fixed');
    const f2 = await predictShallowSeries(model, inputs, rows, 1, 'fixed');
    expect(Array.from(f1)).toEqual(Array.from(f2));
    // Mean of passes: the average of two single-pass predictions drawn in sequence from one stream.
    const rng = createRng(9);
    const p1 = await predictShallowSeries(model, inputs, rows, 1, rng);
    const p2 = await predictShallowSeries(model, inputs, rows, 1, rng);
    const both = await predictShallowSeries(model, inputs, rows, 2, createRng(9));
    both.forEach((v, i) => expect(v).toBeCloseTo((p1[i]! + p2[i]!) / 2, 5));
  });

  it('fixed layout = copy 0, offset 0: matches the model on a hand-built sample', async () => {
    const rows = [5, 6, 7];
    const p = await predictShallowSeries(model, inputs, rows, 1, 'fixed');
    const sample = shallowSample({ ...inputs, sliceRows: rows, copyOf: () => 0, offset: 0 });
    const { xs, y } = stackShallow([sample], F, 38, 10);
    const out = model.predict(xs) as tf.Tensor;
    const logits = out.dataSync();
    tf.dispose([...xs, y, out]);
    for (let i = 0; i < 18; i++) expect(p[i]).toBeCloseTo(1 / (1 + Math.exp(-logits[i]!)), 5);
  });
});

describe('loadShallow', () => {
  it('round-trips the model, its meta and the z-score statistics', async () => {
    const mdir = path.join(dir, 'm');
    await saveModel(model, mdir, { modelId: 'x', stage: 'shallow', baseModel: 'b', fold: 0, nFolds: 2, featureSize: F, labels: [], statsFile: 'stats.npy', metrics: {} });
    await saveShallowStats(mdir, inputs.mean, inputs.std);
    const { model: loaded, meta } = await loadShallow(mdir);
    expect(Array.from(meta.mean)).toEqual(Array.from(inputs.mean));
    expect(Array.from(meta.std)).toEqual(Array.from(inputs.std));
    expect(meta.featureSize).toBe(F);
    const rows = [1, 2, 3, 4];
    const a = await predictShallowSeries(model, inputs, rows, 1, 'fixed');
    const b = await predictShallowSeries(loaded, inputs, rows, 1, 'fixed');
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    loaded.dispose();
  });
});
