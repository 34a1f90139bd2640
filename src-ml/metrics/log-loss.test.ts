import { describe, expect, it } from 'vitest';
import { foldPrevalenceBaseline, prevalenceBaseline, weightedLogLoss } from './log-loss.ts';

describe('weightedLogLoss', () => {
  it('matches a hand computation (any x2, divided by 7)', () => {
    const probs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.9, 0.9, 0.8, 0.7, 0.6, 0.5, 0.1];
    const labels = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0];
    const ll = (p: number, y: number): number => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    const per = [0, 1, 2, 3, 4, 5].map((k) => (ll(probs[k]!, labels[k]!) + ll(probs[6 + k]!, labels[6 + k]!)) / 2);
    const r = weightedLogLoss(probs, labels);
    expect(r.n).toBe(2);
    expect(r.perClass.intraventricular).toBeCloseTo(per[2]!, 12);
    expect(r.loss).toBeCloseTo((per[0]! + per[1]! + per[2]! + per[3]! + per[4]! + 2 * per[5]!) / 7, 12);
  });

  it('clips at 1e-15 like Kaggle: a confident miss costs -ln(1e-15) = 15 ln 10', () => {
    const r = weightedLogLoss([0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]);
    expect(r.perClass.epidural).toBeCloseTo(15 * Math.log(10), 6);
    expect(r.perClass.any).toBeCloseTo(0, 12);
  });

  it('prevalence baseline: per class the binary entropy of the prevalence', () => {
    const labels = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const r = prevalenceBaseline(labels);
    const h = (p: number): number => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    expect(r.perClass.epidural).toBeCloseTo(h(0.25), 10);
    expect(r.perClass.any).toBeCloseTo(h(0.5), 10);
    expect(r.perClass.subdural).toBeCloseTo(0, 10);
  });

  it('training-folds baseline: each image gets the prevalence of the other folds; a class seen in one fold only costs what no fold model can know', () => {
    // 4 images; epidural positive only in fold 0 (image 0); any positive in images 0 and 2 (folds 0 and 1).
    const row = (epi: number, any: number): number[] => [epi, 0, 0, 0, 0, any];
    const labels = [...row(1, 1), ...row(0, 0), ...row(0, 1), ...row(0, 0)];
    const r = foldPrevalenceBaseline(labels, [0, 0, 1, 1]);
    const bce = (y: number, p: number): number => {
      const q = Math.min(1 - 1e-15, Math.max(1e-15, p)); // the metric's clipping
      return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
    };
    // fold 0 images see fold 1's prevalence (epidural 0, any 0.5), fold 1 images fold 0's (epidural 0.5, any 0.5)
    expect(r.perClass.epidural).toBeCloseTo((bce(1, 0) + bce(0, 0) + bce(0, 0.5) + bce(0, 0.5)) / 4, 8);
    expect(r.perClass.any).toBeCloseTo(Math.log(2), 8);
    expect(r.loss).toBeGreaterThan(prevalenceBaseline(labels).loss);
    // an image without a fold gets every folded image's prevalence
    const g = foldPrevalenceBaseline([...row(1, 1), ...row(0, 0), ...row(0, 1)], [0, 1, -1]);
    expect(g.perClass.any).toBeCloseTo((bce(1, 0) + bce(0, 1) + bce(1, 0.5)) / 3, 8);
    expect(() => foldPrevalenceBaseline(labels, [0, 1])).toThrow(/2 folds for 4 images/);
  });

  it('refuses mismatched sizes', () => {
    expect(() => weightedLogLoss([0.5], [1])).toThrow(/metric/);
  });
});
