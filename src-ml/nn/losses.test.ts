import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { bceWithLogits, focalWeightedBce, weightedBce } from './losses.ts';

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
});

// Plain-number references of the seed's formulas.
const bce = (x: number, y: number): number => -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-x))));
const W = [1, 1, 1, 1, 1, 2];

describe('losses', () => {
  const logits = [[2, -1, 0.5, -3, 0, 4], [-2, 1, -0.5, 3, 0.1, -4]];
  const labels = [[1, 0, 0, 0, 1, 1], [0, 1, 1, 0, 0, 1]];

  it('BCE with logits is stable for large logits', () => {
    const v = bceWithLogits(tf.tensor([1, 0, 1, 0]), tf.tensor([80, -80, -80, 80])).dataSync();
    expect(v[0]).toBeCloseTo(0, 6);
    expect(v[1]).toBeCloseTo(0, 6);
    expect(v[2]).toBeCloseTo(80, 4);
    expect(v[3]).toBeCloseTo(80, 4);
  });

  it('weighted BCE = mean over B x 6 of w_k * BCE (any x2)', () => {
    const per = weightedBce(tf.tensor(labels), tf.tensor(logits)).dataSync();
    for (let b = 0; b < 2; b++) {
      const ref = W.reduce((s, w, k) => s + w * bce(logits[b]![k]!, labels[b]![k]!), 0) / 6;
      expect(per[b]).toBeCloseTo(ref, 5);
    }
  });

  it('focal = mean((1 - exp(-wBCE))^2 * wBCE)', () => {
    const per = focalWeightedBce(tf.tensor(labels), tf.tensor(logits)).dataSync();
    for (let b = 0; b < 2; b++) {
      const ref = W.reduce((s, w, k) => {
        const wb = w * bce(logits[b]![k]!, labels[b]![k]!);
        return s + (1 - Math.exp(-wb)) ** 2 * wb;
      }, 0) / 6;
      expect(per[b]).toBeCloseTo(ref, 5);
    }
  });

  it('has gradients on the training backend and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor(logits);
    const x = tf.variable(x0);
    const y = tf.tensor(labels);
    for (let i = 0; i < 3; i++) {
      const g = tf.grads((l: tf.Tensor) => tf.mean(focalWeightedBce(y, l)))([x]);
      expect(g[0]!.shape).toEqual([2, 6]);
      tf.dispose(g);
    }
    // d/dx of mean wBCE = w (sigmoid(x) - y) / 12
    const gt = tf.grad((l: tf.Tensor) => tf.mean(weightedBce(y, l)))(x);
    const g = gt.dataSync();
    const sig = (v: number): number => 1 / (1 + Math.exp(-v));
    expect(g[5]).toBeCloseTo((2 * (sig(4) - 1)) / 12, 5);
    tf.dispose([x0, x, y, gt]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
