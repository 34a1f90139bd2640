import { describe, expect, it } from 'vitest';
import { median, percentile, summarize } from './stats.ts';

describe('bench/viewer stats', () => {
  it('median and nearest-rank p95', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 95)).toBe(19);
    expect(summarize([1.23, 2.34, 100])).toEqual({ n: 3, median: 2.3, p95: 100, min: 1.2, max: 100 });
    expect(() => median([])).toThrow(RangeError);
  });
});
