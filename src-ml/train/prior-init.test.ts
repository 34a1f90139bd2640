import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { clampProbabilities, probabilityFloor } from '../metrics/probability-floor.ts';
import { epochRepeats, labelPrior, logit, passBoundaries, samplingCorrection, setOutputPrior, shiftClassifierBias } from './prior-init.ts';

describe('training at any data size', () => {
  it('labelPrior is the smoothed prevalence per class (a class never seen gets a small finite one)', () => {
    const labels = Uint8Array.from([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]); // 3 images
    expect(Array.from(labelPrior(labels))).toEqual([0.125, 0.125, 0.125, 0.125, 0.625, 0.625]);
    expect(Array.from(labelPrior(labels, [0]))).toEqual([0.25, 0.25, 0.25, 0.25, 0.75, 0.75]);
  });

  it('probabilityFloor is the smoothed prevalence of a class with no positive, and clamps both ends', () => {
    const none = new Uint8Array(9 * 6); // 9 images, no positive of any class
    expect(probabilityFloor(9)).toBeCloseTo(labelPrior(none)[0]!, 15);
    expect(probabilityFloor(481)).toBeCloseTo(0.5 / 482, 15);
    expect(probabilityFloor(0)).toBe(0.5);
    expect(() => probabilityFloor(-1)).toThrow(/n must be >= 0/);
    const p = Float32Array.from([1e-12, 0.3, 1 - 1e-9, 0.001, 0.999, 0.5]);
    expect(clampProbabilities(p, 0.01)).toBe(p); // in place
    expect(Array.from(p)).toEqual(Array.from(Float32Array.from([0.01, 0.3, 0.99, 0.01, 0.99, 0.5])));
    expect(Array.from(clampProbabilities(Float32Array.from([0, 1]), 0))).toEqual([0, 1]);
    expect(() => clampProbabilities(new Float32Array(1), 0.5)).toThrow(/floor must be in/);
  });

  it('epochRepeats gives a run at least minSteps updates, and 1 when the data already do', () => {
    expect(epochRepeats(10, 16, 1500)).toBe(10);
    expect(epochRepeats(200, 16, 1500)).toBe(1);
    expect(epochRepeats(1, 24, undefined)).toBe(1);
    expect(epochRepeats(1, 24, 480)).toBe(20);
  });

  it('passBoundaries: the batch after which each pass but the last ends', () => {
    expect([...passBoundaries(20, 20)]).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect([...passBoundaries(7, 2)]).toEqual([4]);
    expect(passBoundaries(12, 1).size).toBe(0);
  });

  it('samplingCorrection undoes the enrichment of positives: sampled odds times the correction give the true odds', () => {
    // 10 images, 2 positive; the sampler took both positives and 2 negatives.
    const labels = new Uint8Array(60);
    for (const i of [0, 1]) labels[i * 6 + 5] = 1;
    const c = samplingCorrection(labels, [0, 1, 5, 6]);
    const truth = labelPrior(labels)[5]!;
    const sampled = labelPrior(labels, [0, 1, 5, 6])[5]!;
    expect(logit(sampled) + c[5]!).toBeCloseTo(logit(truth), 10);
    expect(c[5]).toBeLessThan(0);
  });

  it('setOutputPrior makes an untrained head predict the prior; shiftClassifierBias moves its logits', () => {
    const x = tf.input({ shape: [4] });
    const out = tf.layers.dense({ units: 6, name: 'classifier' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: out });
    const before = tf.memory().numTensors;
    const prior = [0.01, 0.05, 0.02, 0.04, 0.06, 0.12];
    setOutputPrior(model, 'classifier', prior, true);
    shiftClassifierBias(model, [0, 0, 0, 0, 0, 1]);
    expect(tf.memory().numTensors).toBe(before);
    const p = tf.tidy(() => tf.sigmoid(model.predict(tf.randomNormal([3, 4])) as tf.Tensor).arraySync() as number[][]);
    for (const row of p) {
      row.slice(0, 5).forEach((v, k) => expect(v).toBeCloseTo(prior[k]!, 6));
      expect(logit(row[5]!)).toBeCloseTo(logit(0.12) + 1, 5);
    }
    model.dispose();
  });
});
