// Summary statistics of timing samples (milliseconds).

export interface Summary {
  n: number;
  median: number;
  /** Nearest-rank 95th percentile. */
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile (p in 0-100) of a non-empty sample. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) throw new RangeError('no samples');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) throw new RangeError('no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, median: r1(median(xs)), p95: r1(percentile(xs, 95)), min: r1(Math.min(...xs)), max: r1(Math.max(...xs)) };
}
