import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProbabilityMean } from './probability-mean.ts';
import { saveLoad, seeded, useWasm } from './layer-test-utils.ts';

beforeAll(useWasm);

/** logit(mean sigmoid) in float64. */
function naive(xs: Float32Array[]): number[] {
  return Array.from(xs[0]!, (_, i) => {
    const p = xs.reduce((a, x) => a + 1 / (1 + Math.exp(-x[i]!)), 0) / xs.length;
    return Math.log(p / (1 - p));
  });
}

function bagOf(n: number, shape: number[]): tf.LayersModel {
  const ins = Array.from({ length: n }, () => tf.input({ shape }));
  return tf.model({ inputs: ins, outputs: new ProbabilityMean({ name: 'mean_prob' }).apply(ins) as tf.SymbolicTensor });
}

describe('ProbabilityMean', () => {
  it('is the logit of the mean sigmoid (sigmoid first, then the mean), for 2 and 3 inputs', () => {
    for (const n of [2, 3]) {
      const xs = Array.from({ length: n }, (_, i) => seeded(2 * 5 * 6, 40 + i, 6));
      const y = bagOf(n, [5, 6]).predict(xs.map((x) => tf.tensor(x, [2, 5, 6]))) as tf.Tensor;
      expect(y.shape).toEqual([2, 5, 6]);
      const got = y.dataSync();
      naive(xs).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
    }
  });

  it('stays finite and right at extreme logits (no log(0), no 1 - p cancellation)', () => {
    const a = Float32Array.from([-30, 30, -200, 200, 0, 25]);
    const b = Float32Array.from([-30, 30, -200, 200, 0, -25]);
    const got = Array.from((bagOf(2, [6]).predict([tf.tensor(a, [1, 6]), tf.tensor(b, [1, 6])]) as tf.Tensor).dataSync());
    expect(got.every(Number.isFinite)).toBe(true);
    expect(got[0]).toBeCloseTo(-30, 3);
    expect(got[1]).toBeCloseTo(30, 3);
    expect(got[2]).toBeCloseTo(-80, 3); // clipped
    expect(got[3]).toBeCloseTo(80, 3);
    expect(got[4]).toBeCloseTo(0, 6);
    expect(got[5]).toBeCloseTo(0, 4); // (sigmoid(25) + sigmoid(-25)) / 2 = 1/2
  });

  it('rejects one input or inputs of different shapes', () => {
    const x = tf.input({ shape: [6] });
    expect(() => new ProbabilityMean().apply([x])).toThrow(/at least 2 inputs/);
    expect(() => new ProbabilityMean().apply([x, tf.input({ shape: [5] })])).toThrow(/differ in shape/);
  });

  it('saves and loads; leaves no tensors', async () => {
    const m = bagOf(3, [4, 6]);
    const xs = Array.from({ length: 3 }, (_, i) => tf.tensor(seeded(2 * 4 * 6, 7 + i, 3), [2, 4, 6]));
    const loaded = await saveLoad(m);
    expect(Array.from((loaded.predict(xs) as tf.Tensor).dataSync())).toEqual(Array.from((m.predict(xs) as tf.Tensor).dataSync()));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) (m.predict(xs) as tf.Tensor).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
