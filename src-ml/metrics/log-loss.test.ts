import { describe, expect, it } from 'vitest';
import { prevalenceBaseline, weightedLogLoss } from './log-loss.ts';

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

  it('refuses mismatched sizes', () => {
    expect(() => weightedLogLoss([0.5], [1])).toThrow(/metric/);
  });
});
