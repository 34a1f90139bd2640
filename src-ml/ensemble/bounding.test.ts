import { describe, expect, it } from 'vitest';
import { boundPredictions, countBounding } from './bounding.ts';
import { rng } from './test-data.ts';

// Columns: epidural, intraparenchymal, intraventricular, subarachnoid, subdural, any.
const f32 = (v: number): number => Math.fround(v);

describe('boundPredictions (the seed predBounding)', () => {
  it('golden rows: nothing to do, rule 1, rule 2, rule 1 reaching the rule 2 boundary, zero subtypes', () => {
    const rows = [
      [0.1, 0.2, 0, 0, 0, 0.25], // max 0.2 <= any 0.25 <= sum 0.3: unchanged
      [0.1, 0.3, 0.05, 0, 0.05, 0.2], // any < max: any := 0.3 (sum 0.5, so rule 2 not needed)
      [0.1, 0.1, 0, 0, 0, 0.4], // any 0.4 > sum 0.2: a = 0.3, subtypes x1.5 -> 0.15, 0.15
      [0, 0, 0.2, 0, 0, 0.1], // rule 1 raises any to 0.2 = the sum: rule 2 is strict (>), so it stops there
      [0, 0, 0, 0, 0, 0.1], // any > sum = 0: a = 0.05 shared equally by the five subtypes
      [0.02, 0.04, 0.06, 0.08, 0.1, 0.5], // sum 0.3: a = 0.4, subtypes x4/3
    ];
    const r = boundPredictions(Float32Array.from(rows.flat()));
    const expected = [
      [0.1, 0.2, 0, 0, 0, 0.25],
      [0.1, 0.3, 0.05, 0, 0.05, 0.3],
      [0.15, 0.15, 0, 0, 0, 0.3],
      [0, 0, 0.2, 0, 0, 0.2],
      [0.01, 0.01, 0.01, 0.01, 0.01, 0.05],
      [0.02 * 4 / 3, 0.04 * 4 / 3, 0.06 * 4 / 3, 0.08 * 4 / 3, 0.1 * 4 / 3, 0.4],
    ];
    expected.flat().forEach((v, t) => expect(r.probs[t]).toBeCloseTo(f32(v), 7));
    expect([...r.rule1]).toEqual([0, 1, 0, 1, 0, 0]);
    expect([...r.rule2]).toEqual([0, 0, 1, 0, 1, 1]);
    expect(countBounding(r)).toEqual({ images: 6, rule1: 2, rule2: 3 });
    // The input is not modified.
    expect(Array.from(boundPredictions(Float32Array.from(rows[0]!)).probs)).toEqual(rows[0]!.map(f32));
  });

  it('random rows: the output is consistent (max subtype <= any <= sum), and the rules never both fire', () => {
    // For non-negative subtypes max <= sum, so after rule 1 (any = max) rule 2 (any > sum) cannot fire.
    const u = rng(7);
    const n = 2000;
    const probs = Float32Array.from({ length: n * 6 }, () => u() ** 3);
    const r = boundPredictions(probs);
    for (let i = 0; i < n; i++) {
      const row = r.probs.subarray(i * 6, i * 6 + 6);
      const sub = [...row.subarray(0, 5)];
      const sum = sub.reduce((s, v) => s + v, 0);
      expect(Math.max(...sub)).toBeLessThanOrEqual(row[5]! * (1 + 1e-6));
      expect(row[5]!).toBeLessThanOrEqual(sum * (1 + 1e-6));
      expect(r.rule1[i]! & r.rule2[i]!).toBe(0);
    }
    const c = countBounding(r);
    expect(c.rule1).toBeGreaterThan(0);
    expect(c.rule2).toBeGreaterThan(0);
    // Bounding is idempotent.
    const again = boundPredictions(r.probs);
    expect(countBounding({ rule1: again.rule1, rule2: again.rule2 }).rule1).toBe(0);
    for (let t = 0; t < probs.length; t++) expect(again.probs[t]).toBeCloseTo(r.probs[t]!, 6);
  });

  it('refuses a length that is not N x 6', () => {
    expect(() => boundPredictions(new Float32Array(7))).toThrow(/multiple of 6/);
  });
});
