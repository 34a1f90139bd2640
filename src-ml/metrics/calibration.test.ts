import { describe, expect, it } from 'vitest';
import { calibrationByLabel, classCalibration } from './calibration.ts';
import { LABELS } from '../../src-shared/labels.ts';

describe('calibration', () => {
  it('sensitivity and specificity at the threshold; 10 bins of mean predicted vs observed rate, empty bins left out', () => {
    const p = [0.05, 0.08, 0.12, 0.55, 0.5, 0.95, 1, 0.45];
    const y = [0, 0, 1, 1, 0, 1, 1, 1];
    const c = classCalibration(p, y);
    // Positives: 0.12, 0.55, 0.95, 1, 0.45 -> 3 of 5 at or above 0.5; negatives: 0.05, 0.08, 0.5 -> 2 of 3 below.
    expect(c.sensitivity).toBeCloseTo(3 / 5);
    expect(c.specificity).toBeCloseTo(2 / 3);
    expect([c.positives, c.negatives, c.threshold]).toEqual([5, 3, 0.5]);
    expect(c.bins.map((b) => b.n)).toEqual([2, 1, 1, 2, 2]);
    expect(c.bins[0]).toEqual({ p: expect.closeTo(0.065, 9) as unknown as number, observed: 0, n: 2 });
    expect(c.bins[3]).toEqual({ p: expect.closeTo(0.525, 9) as unknown as number, observed: 0.5, n: 2 });
    // 1 falls into the last bin with 0.95.
    expect(c.bins[4]).toEqual({ p: expect.closeTo(0.975, 9) as unknown as number, observed: 1, n: 2 });
    expect(c.bins.reduce((n, b) => n + b.n, 0)).toBe(p.length);
  });

  it('no positives or no negatives: null, not NaN', () => {
    expect(classCalibration([0.2, 0.7], [0, 0])).toMatchObject({ sensitivity: null, specificity: 0.5 });
    expect(classCalibration([0.2, 0.7], [1, 1])).toMatchObject({ sensitivity: 0.5, specificity: null });
  });

  it('per label from row-major rows in LABELS order', () => {
    const rows = 4;
    const p = new Float32Array(rows * LABELS.length);
    const y = new Uint8Array(rows * LABELS.length);
    const any = LABELS.indexOf('any');
    [0.9, 0.8, 0.1, 0.6].forEach((v, r) => { p[r * LABELS.length + any] = v; });
    [1, 1, 0, 0].forEach((v, r) => { y[r * LABELS.length + any] = v; });
    const c = calibrationByLabel(p, y, 0.5);
    expect(Object.keys(c)).toEqual([...LABELS]);
    expect(c.any).toMatchObject({ sensitivity: 1, specificity: 0.5, positives: 2, negatives: 2 });
    expect(c.epidural).toMatchObject({ sensitivity: null, specificity: 1, bins: [{ p: 0, observed: 0, n: 4 }] });
  });
});
