// The seed's four pixel statistics (docs/seed-pipeline.md section 6): computed on raw * int(slope) + int(intercept),
// with Python's int() truncation toward zero, and numpy's population standard deviation.

export interface PixelStats {
  pxlMin: number;
  pxlMax: number;
  pxlMean: number;
  pxlStd: number;
}

const STATS_CHUNK = 4096;

export function seedPixelStats(stored: Int32Array, slope: number, intercept: number): PixelStats {
  const s = Math.trunc(slope);
  const b = Math.trunc(intercept);
  const n = stored.length;
  if (n === 0) return { pxlMin: NaN, pxlMax: NaN, pxlMean: NaN, pxlStd: NaN };
  // One pass over the raw integers, then the affine map. Sums run in int32 within chunks (4096 values
  // of at most 16 bits cannot overflow), which V8 keeps in registers; the squares accumulate in float64
  // and stay exact (integers below 2^53), so the one-pass variance loses nothing.
  let min = 2147483647;
  let max = -2147483648;
  let sum = 0;
  let sumSq = 0;
  for (let start = 0; start < n; start += STATS_CHUNK) {
    const end = Math.min(n, start + STATS_CHUNK);
    let chunkSum = 0;
    let chunkSq = 0;
    for (let i = start; i < end; i++) {
      const v = stored[i]! | 0;
      if (v < min) min = v;
      if (v > max) max = v;
      chunkSum = (chunkSum + v) | 0;
      chunkSq += v * v;
    }
    sum += chunkSum;
    sumSq += chunkSq;
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  const lo = s * min + b;
  const hi = s * max + b;
  return { pxlMin: Math.min(lo, hi), pxlMax: Math.max(lo, hi), pxlMean: s * mean + b, pxlStd: Math.abs(s) * std };
}
