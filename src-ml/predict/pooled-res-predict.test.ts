import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPooledRes } from '../models/pooled-res.ts';
import { initBackend } from '../nn/backend.ts';
import { saveModel } from '../nn/model-io.ts';
import { createRng } from '../base/random.ts';
import { tempDir } from '../testing/fixtures.ts';
import { loadPooledRes, predictPooledResSeries, predictSeriesProbs } from './pooled-res-predict.ts';

const F = 8;
const COPIES = 4;
const IMAGES = 140;
const tmp = tempDir('ich-pooled-predict-');
let model: tf.LayersModel;
let features: Float32Array;

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
  model = buildPooledRes(F, { seed: 11 });
  const rng = createRng('pooled-predict-features');
  features = Float32Array.from({ length: IMAGES * COPIES * F }, () => rng.normal());
}, 60_000);

afterAll(() => {
  model.dispose();
  tmp.cleanup();
});

const rowsOf = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('predictPooledResSeries', () => {
  it('gives probabilities for every slice of 1, 2, 60 and 130 slices, tensor count flat', async () => {
    await predictPooledResSeries(model, features, F, COPIES, rowsOf(3), 3, 1, createRng(1)); // warm-up
    const count = tf.memory().numTensors;
    for (const n of [1, 2, 60, 130]) {
      const p = await predictPooledResSeries(model, features, F, COPIES, rowsOf(n, 5), 3, 2, createRng(n));
      expect(p.length).toBe(n * 6);
      for (const v of p) expect(v > 0 && v < 1).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(count);
  });

  it('averages sliding windows beyond 60 slices per slice', async () => {
    // Fixed copies (the validation layout) make every window deterministic. (Random draws are not
    // order-free even with all copies: copy column c is convolved across neighbouring slices.)
    const n = 130;
    const rows = rowsOf(n, 3);
    const whole = await predictSeriesProbs(model, features, F, COPIES, rows, COPIES, 1, 'fixed');
    const windows = [0, 30, 60, 70]; // slidingWindows(130): starts 0, 30, 60 and the last one at 130 - 60
    const sum = new Float64Array(n * 6);
    const cnt = new Float64Array(n);
    for (const start of windows) {
      const p = await predictSeriesProbs(model, features, F, COPIES, rows.slice(start, start + 60), COPIES, 1, 'fixed');
      for (let s = 0; s < 60; s++) {
        cnt[start + s]! += 1;
        for (let k = 0; k < 6; k++) sum[(start + s) * 6 + k]! += p[s * 6 + k]!;
      }
    }
    for (let s = 0; s < n; s++) for (let k = 0; k < 6; k++) expect(whole[s * 6 + k]).toBeCloseTo(sum[s * 6 + k]! / cnt[s]!, 5);
    expect(cnt.every((c) => c >= 1)).toBe(true);
    // random copies over windows: every slice predicted, in (0, 1)
    const r = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 2, createRng(3));
    expect(r.length).toBe(n * 6);
    for (const v of r) expect(v > 0 && v < 1).toBe(true);
  });

  it('is reproducible for the same seed; passes are the mean of single passes', async () => {
    for (const n of [17, 130]) {
      const rows = rowsOf(n);
      const a = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 3, createRng('seed'));
      const b = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 3, createRng('seed'));
      expect(Array.from(b)).toEqual(Array.from(a));
      const c = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 3, createRng('other'));
      expect(Array.from(c)).not.toEqual(Array.from(a));
      // passes draw in order from the one rng: 2 passes = mean of 2 consecutive single passes
      const r1 = createRng('passes');
      const p1 = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 1, r1);
      const p2 = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 1, r1);
      const both = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 2, createRng('passes'));
      for (let i = 0; i < both.length; i++) expect(both[i]).toBeCloseTo((p1[i]! + p2[i]!) / 2, 6);
    }
  });

  it('rejects bad input', async () => {
    await expect(predictPooledResSeries(model, features, F, COPIES, [], 3, 1, createRng(1))).rejects.toThrow(/at least one slice/);
    await expect(predictPooledResSeries(model, features, F, COPIES, [IMAGES], 3, 1, createRng(1))).rejects.toThrow(/outside/);
    await expect(predictPooledResSeries(model, features, F, COPIES, [0], 5, 1, createRng(1))).rejects.toThrow(/k must be/);
  });
});

describe('loadPooledRes', () => {
  it('loads a saved Pooled-Res model with its meta and refuses other stages', async () => {
    const dir = path.join(tmp.dir, 'pr');
    await saveModel(model, dir, { stage: 'pooled-res', featureSize: F });
    const { model: loaded, meta } = await loadPooledRes(dir);
    expect(meta.featureSize).toBe(F);
    const rows = rowsOf(20);
    const a = await predictPooledResSeries(model, features, F, COPIES, rows, 3, 2, createRng(5));
    const b = await predictPooledResSeries(loaded, features, F, COPIES, rows, 3, 2, createRng(5));
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    loaded.dispose();
    const other = path.join(tmp.dir, 'other');
    await saveModel(model, other, { stage: 'base' });
    await expect(loadPooledRes(other)).rejects.toThrow(/not a pooled-res/);
  });
});
