// The input of bench/predict and the arithmetic of its report, apart from the process work so they can be tested.

/** What bench/predict needs of an `ich synth` truth.json: the series and their slices in z order. */
export interface SynthTruth {
  series: { seriesInstanceUid: string; slices: string[] }[];
}

/**
 * The first `count` slices of the generated series, series after series in z order, as file names; and how many
 * come from each series. `ich synth` makes 24 to 36 slices per series, so 40 slices take two series: all of
 * the first and the lower part of the second (a partial series predicts like a short whole one).
 */
export function pickSlices(truth: SynthTruth, count: number): { files: string[]; seriesSizes: number[] } {
  const files: string[] = [];
  const seriesSizes: number[] = [];
  for (const s of truth.series) {
    if (files.length >= count) break;
    const take = s.slices.slice(0, count - files.length);
    files.push(...take.map((id) => `${id}.dcm`));
    seriesSizes.push(take.length);
  }
  if (files.length < count) throw new Error(`truth.json: ${files.length} slices in ${truth.series.length} series, ${count} wanted`);
  return { files, seriesSizes };
}

export function median(xs: readonly number[]): number {
  if (!xs.length) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per key, the median over runs of the numbers runs report under it (keys missing from some runs: over the others). */
export function medianByKey(runs: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(runs.flatMap((r) => (typeof r[k] === 'number' ? [r[k]] : [])))]));
}

/** Seconds rounded to milliseconds, for the JSON line. */
export function ms3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
