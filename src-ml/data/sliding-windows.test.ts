import { describe, expect, it } from 'vitest';
import { mergeWindowPredictions, slidingWindows } from './sliding-windows.ts';

describe('slidingWindows', () => {
  it.each([1, 2, 59, 60, 61, 130, 1000])('covers every slice of a %i-slice series with windows of <= 60', (n) => {
    const ws = slidingWindows(n);
    const count = new Array<number>(n).fill(0);
    for (const w of ws) {
      expect(w.length).toBeLessThanOrEqual(60);
      expect(w.start).toBeGreaterThanOrEqual(0);
      expect(w.start + w.length).toBeLessThanOrEqual(n);
      for (let s = w.start; s < w.start + w.length; s++) count[s]!++;
    }
    expect(count.every((c) => c >= 1)).toBe(true);
    if (n <= 60) expect(ws).toEqual([{ start: 0, length: n }]);
    else {
      expect(ws.every((w) => w.length === 60)).toBe(true);
      expect(ws.at(-1)!.start).toBe(n - 60);
      for (let i = 1; i < ws.length; i++) expect(ws[i]!.start - ws[i - 1]!.start).toBeLessThanOrEqual(30);
    }
  });

  it('places the windows as documented', () => {
    expect(slidingWindows(61)).toEqual([{ start: 0, length: 60 }, { start: 1, length: 60 }]);
    expect(slidingWindows(130).map((w) => w.start)).toEqual([0, 30, 60, 70]);
    expect(slidingWindows(1000).length).toBe(33);
    expect(slidingWindows(130, 60, 60).map((w) => w.start)).toEqual([0, 60, 70]);
    expect(() => slidingWindows(0)).toThrow();
    expect(() => slidingWindows(10, 60, 61)).toThrow(/stride/);
  });
});

describe('mergeWindowPredictions', () => {
  it.each([1, 2, 59, 60, 61, 130, 1000])('averages overlapping predictions per slice (n = %i)', (n) => {
    const ws = slidingWindows(n);
    // window w predicts (w + 1)·(slice + 1) + class for its slices
    const preds = ws.map((w, i) => Float32Array.from({ length: w.length * 6 }, (_, j) => (i + 1) * (w.start + Math.floor(j / 6) + 1) + (j % 6)));
    const merged = mergeWindowPredictions(n, ws, preds);
    expect(merged.length).toBe(n * 6);
    for (const s of [0, Math.floor(n / 2), n - 1]) {
      const inW = ws.map((w, i) => ({ w, i })).filter(({ w }) => s >= w.start && s < w.start + w.length);
      for (let c = 0; c < 6; c++) {
        const want = inW.reduce((a, { i }) => a + (i + 1) * (s + 1) + c, 0) / inW.length;
        expect(merged[s * 6 + c]).toBeCloseTo(want, 3);
      }
    }
  });

  it('rejects mismatched inputs and uncovered slices', () => {
    expect(() => mergeWindowPredictions(3, [{ start: 0, length: 2 }], [new Float32Array(12)])).toThrow(/slice 2/);
    expect(() => mergeWindowPredictions(3, [{ start: 0, length: 3 }], [new Float32Array(12)])).toThrow(/expected 18/);
    expect(() => mergeWindowPredictions(3, [{ start: 0, length: 3 }], [])).toThrow(/1 windows but 0/);
  });
});
