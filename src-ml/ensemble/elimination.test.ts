import { describe, expect, it } from 'vitest';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { backwardElimination } from './elimination.ts';
import { imageWeightedLogLoss } from './image-weighted-loss.ts';
import { noisyModel, syntheticImages } from './test-data.ts';

function meanOf(models: Float32Array[], idx: number[]): Float64Array {
  const out = new Float64Array(models[0]!.length);
  for (const j of idx) models[j]!.forEach((v, t) => (out[t]! += v / idx.length));
  return out;
}

describe('backwardElimination', () => {
  const n = 2000;
  const { labels, truth } = syntheticImages(21, n, 0);
  const good = [noisyModel(truth, 1, 0.5), noisyModel(truth, 2, 0.6), noisyModel(truth, 3, 0.55)];

  it('a hand-sized case: the metric of the mean, one drop, then stop', () => {
    // One image, only epidural varies: models predict 0.9, 0.8, 0.1 for a positive.
    const row = (p: number): Float32Array => Float32Array.from([p, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const y = Uint8Array.from([1, 0, 0, 0, 0, 0]);
    const r = backwardElimination([row(0.9), row(0.8), row(0.1)], y);
    // mean of all: 0.6; -ln 0.6 for epidural, ln 2 for the four other subtypes and 2 ln 2 for any (weight 2)
    expect(r.initialLoss).toBeCloseTo((-Math.log(0.6) + 6 * Math.log(2)) / 7, 6);
    // dropping model 2 gives mean 0.85; dropping model 0 gives 0.45, model 1 0.5: drop 2, then dropping
    // either of 0.9 / 0.8 leaves a single model; dropping 0.8 gives 0.9 > 0.85, which helps, so it goes on.
    expect(r.steps.map((s) => s.dropped)).toEqual([2, 1]);
    expect(r.steps[0]!.loss).toBeCloseTo((-Math.log(0.85) + 6 * Math.log(2)) / 7, 6);
    expect(r.steps[1]!.loss).toBeCloseTo((-Math.log(0.9) + 6 * Math.log(2)) / 7, 6);
    expect(r.kept).toEqual([0]);
  });

  it('drops a bad model, stops when no removal helps; every step loss is the metric of the kept mean', () => {
    const bad = noisyModel(truth, 4, 3);
    const models = [good[0]!, bad, good[1]!, good[2]!];
    const r = backwardElimination(models, labels);
    expect(r.initialLoss).toBeCloseTo(weightedLogLoss(meanOf(models, [0, 1, 2, 3]), labels).loss, 6);
    expect(r.steps.map((s) => s.dropped)).toEqual([1]);
    expect(r.kept).toEqual([0, 2, 3]);
    expect(r.steps[0]!.loss).toBeCloseTo(weightedLogLoss(meanOf(models, [0, 2, 3]), labels).loss, 6);
    expect(r.steps[0]!.loss).toBeLessThan(r.initialLoss);
    // Stopping: removing any one of the kept models makes it worse.
    for (const j of r.kept) {
      expect(weightedLogLoss(meanOf(models, r.kept.filter((k) => k !== j)), labels).loss).toBeGreaterThan(r.steps[0]!.loss);
    }
  });

  it('with image weights the decision can differ: a model bad only where the weight is 0 is kept', () => {
    // Model 3 is sharper than the others, except on every fifth image, where it is confidently wrong.
    const sharp = noisyModel(truth, 5, 0.2);
    const weights = new Float32Array(n).map((_, i) => (i % 5 === 0 ? 0 : 1));
    for (let i = 0; i < n; i += 5) for (let k = 0; k < 6; k++) sharp[i * 6 + k] = labels[i * 6 + k] ? 0.02 : 0.98;
    const models = [good[0]!, good[1]!, good[2]!, sharp];
    const unweighted = backwardElimination(models, labels);
    const weighted = backwardElimination(models, labels, weights);
    expect(unweighted.kept).not.toContain(3);
    expect(weighted.kept).toContain(3);
    expect(weighted.initialLoss).toBeCloseTo(imageWeightedLogLoss(meanOf(models, [0, 1, 2, 3]), labels, weights).loss, 6);
    expect(weighted.initialLoss).not.toBeCloseTo(unweighted.initialLoss, 3);
  });

  it('refuses no models and mismatched sizes', () => {
    expect(() => backwardElimination([], labels)).toThrow(/no models/);
    expect(() => backwardElimination([good[0]!.subarray(6)], labels)).toThrow(/model 0/);
  });
});
