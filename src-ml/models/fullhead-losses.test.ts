import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { maskedWeightedBce, SHALLOW_CLASS_WEIGHTS, shallowNnLoss } from './fullhead-losses.ts';

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
});

const bce = (x: number, t: number): number => Math.log1p(Math.exp(x)) - t * x;
const W = [1, 1, 1, 1, 1, 2];

// B = 2 samples x L = 2 rows x 6: sample 0 has one padded row, sample 1 has both rows valid except one masked entry.
const logits = [
  [[0.5, -1, 2, 0, -3, 1], [9, 9, 9, 9, 9, 9]],
  [[-0.2, 0.3, -1.5, 4, 0.1, -2], [1, 2, -1, -2, 0.5, 0]],
];
const targets = [
  [[1, 0, 1, 0, 0, 1], [-1, -1, -1, -1, -1, -1]],
  [[0, 1, 0, 1, 0, 1], [1, 0, -1, 0, 1, 1]],
];

function handSums(weights: readonly number[]): { num: number; valid: number; perSample: number[] } {
  let num = 0;
  let valid = 0;
  const perSample = [0, 0];
  for (let b = 0; b < 2; b++) for (let r = 0; r < 2; r++) for (let c = 0; c < 6; c++) {
    const t = targets[b]![r]![c]!;
    if (t < 0) continue;
    const v = bce(logits[b]![r]![c]!, t) * weights[c]!;
    num += v;
    perSample[b]! += v;
    valid++;
  }
  return { num, valid, perSample };
}

describe('maskedWeightedBce', () => {
  it('is the mean over valid entries of w·BCE, per sample with the batch-mean of valid as denominator', () => {
    const { num, valid, perSample } = handSums(W);
    const seedScalar = num / 24 / (valid / 24); // mean(bce·valid·w) / mean(valid)
    expect(seedScalar).toBeCloseTo(num / valid, 12);
    const out = maskedWeightedBce(tf.tensor3d(targets), tf.tensor3d(logits));
    expect(out.shape).toEqual([2]);
    const got = out.dataSync();
    expect(got[0]).toBeCloseTo(perSample[0]! / 12 / (valid / 24), 5);
    expect(got[1]).toBeCloseTo(perSample[1]! / 12 / (valid / 24), 5);
    expect((got[0]! + got[1]!) / 2).toBeCloseTo(seedScalar, 5);
    // the padded row's huge logits do not matter
    expect(Number.isFinite(got[0]!)).toBe(true);
    out.dispose();
  });

  it('is 0 for an all-padding batch and rejects shape mismatches', () => {
    const z = maskedWeightedBce(tf.fill([1, 3, 6], -1), tf.ones([1, 3, 6]));
    expect(z.dataSync()[0]).toBe(0);
    expect(() => maskedWeightedBce(tf.zeros([1, 3, 6]), tf.zeros([1, 3, 5]))).toThrow(/\[B, L, 6\]/);
  });
});

describe('shallowNnLoss', () => {
  it('uses cw = (6/7)·[1,1,1,1,1,2] (any last) and keeps padding in the denominator', () => {
    expect(SHALLOW_CLASS_WEIGHTS.map((w) => w * 7)).toEqual([6, 6, 6, 6, 6, 12].map((v) => expect.closeTo(v, 12) as unknown as number));
    const { num, perSample } = handSums(SHALLOW_CLASS_WEIGHTS);
    const out = shallowNnLoss(tf.tensor3d(targets), tf.tensor3d(logits));
    expect(out.shape).toEqual([2]);
    const got = out.dataSync();
    expect(got[0]).toBeCloseTo(perSample[0]! / 12, 5);
    expect(got[1]).toBeCloseTo(perSample[1]! / 12, 5);
    expect((got[0]! + got[1]!) / 2).toBeCloseTo(num / 24, 5); // all B·L·6 = 24 entries in the mean
    out.dispose();
  });

  it('is stable for large logits', () => {
    const out = shallowNnLoss(tf.tensor3d([[[0, 1, 0, 1, 0, 1]]]), tf.tensor3d([[[200, -200, -200, 200, 0, -100]]])).dataSync();
    const want = [200, 200, 0, 0, Math.log(2), 100].reduce((a, v, c) => a + v * SHALLOW_CLASS_WEIGHTS[c]!, 0) / 6;
    expect(out[0]).toBeCloseTo(want, 3);
  });
});
