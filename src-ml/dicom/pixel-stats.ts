// The seed's four pixel statistics (seed spec section 6): computed on raw * int(slope) + int(intercept),
// with Python's int() truncation toward zero, and numpy's population standard deviation.

export interface PixelStats {
  pxlMin: number;
  pxlMax: number;
  pxlMean: number;
  pxlStd: number;
}

export function seedPixelStats(stored: ArrayLike<number>, slope: number, intercept: number): PixelStats {
  const s = Math.trunc(slope);
  const b = Math.trunc(intercept);
  const n = stored.length;
  if (n === 0) return { pxlMin: NaN, pxlMax: NaN, pxlMean: NaN, pxlStd: NaN };
  // Stats of the raw values, then the affine map: exact for min/max/mean, and std scales by |s|.
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = stored[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = stored[i]! - mean;
    sq += d * d;
  }
  const std = Math.sqrt(sq / n);
  const lo = s * min + b;
  const hi = s * max + b;
  return { pxlMin: Math.min(lo, hi), pxlMax: Math.max(lo, hi), pxlMean: s * mean + b, pxlStd: Math.abs(s) * std };
}
