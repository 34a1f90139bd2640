import { describe, expect, it } from 'vitest';
import { seedPixelStats } from './pixel-stats.ts';

function reference(values: number[], slope: number, intercept: number) {
  const px = values.map((v) => v * Math.trunc(slope) + Math.trunc(intercept));
  const mean = px.reduce((a, b) => a + b, 0) / px.length;
  const std = Math.sqrt(px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length);
  return { pxlMin: Math.min(...px), pxlMax: Math.max(...px), pxlMean: mean, pxlStd: std };
}

describe('seed pixel statistics', () => {
  it('match a two-pass numpy-style computation on raw * int(slope) + int(intercept)', () => {
    const values = Array.from({ length: 10_007 }, (_, i) => ((i * 7919) % 65536) - 32768); // spans chunk edges and the int16 range
    const got = seedPixelStats(new Int32Array(values), 1, -1024);
    const want = reference(values, 1, -1024);
    expect(got.pxlMin).toBe(want.pxlMin);
    expect(got.pxlMax).toBe(want.pxlMax);
    expect(got.pxlMean).toBeCloseTo(want.pxlMean, 9);
    expect(got.pxlStd).toBeCloseTo(want.pxlStd, 6);
  });

  it("truncates slope and intercept as Python's int() does, and handles unsigned 16-bit values", () => {
    const values = [0, 65535, 1000, 4095];
    expect(seedPixelStats(new Int32Array(values), 1.9, -1024.7)).toEqual(reference(values, 1, -1024));
    const neg = seedPixelStats(new Int32Array([1, 2, 3]), -1, 0);
    expect(neg).toMatchObject({ pxlMin: -3, pxlMax: -1, pxlMean: -2 });
  });

  it('is NaN for an empty image rather than throwing', () => {
    expect(Number.isNaN(seedPixelStats(new Int32Array(0), 1, 0).pxlMin)).toBe(true);
  });
});
