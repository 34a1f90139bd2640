/**
 * Sliding windows for full-head inference on series longer than the models' 60 rows (the seed never
 * needed them: no RSNA series has more than 60 slices). A series of n slices (1..any) is covered by
 * windows of at most `window` consecutive slices whose starts step by at most `stride`; the last window
 * ends at the last slice, so every slice is predicted at least once, and overlapping predictions are
 * averaged per slice (mergeWindowPredictions).
 */

export const DEFAULT_WINDOW = 60;
/** Half a window: every slice away from the series ends is seen with context on both sides at least once. */
export const DEFAULT_STRIDE = 30;

export interface SliceWindow {
  start: number;
  length: number;
}

/**
 * Windows covering slices 0..n-1: one window {0, n} when n <= window; otherwise windows of exactly
 * `window` slices starting at 0, stride, 2·stride, ... and a last one starting at n - window.
 */
export function slidingWindows(n: number, window = DEFAULT_WINDOW, stride = DEFAULT_STRIDE): SliceWindow[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`slidingWindows: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(window) || window < 1) throw new Error(`slidingWindows: window must be a positive integer, got ${window}`);
  if (!Number.isInteger(stride) || stride < 1 || stride > window) throw new Error(`slidingWindows: stride must be 1..${window}, got ${stride}`);
  if (n <= window) return [{ start: 0, length: n }];
  const out: SliceWindow[] = [];
  let start = 0;
  for (; start + window < n; start += stride) out.push({ start, length: window });
  out.push({ start: n - window, length: window });
  return out;
}

/**
 * Per-slice average of the windows' predictions: preds[w] holds windows[w].length x 6 values (any
 * per-slice quantity: logits or probabilities; average whichever the caller wants averaged). Returns n x 6.
 */
export function mergeWindowPredictions(n: number, windows: readonly SliceWindow[], preds: readonly Float32Array[], perSlice = 6): Float32Array {
  if (windows.length !== preds.length) throw new Error(`mergeWindowPredictions: ${windows.length} windows but ${preds.length} predictions`);
  const sum = new Float64Array(n * perSlice);
  const count = new Uint32Array(n);
  windows.forEach((w, i) => {
    const p = preds[i]!;
    if (w.start < 0 || w.length < 1 || w.start + w.length > n) throw new Error(`mergeWindowPredictions: window ${i} [${w.start}, ${w.start + w.length}) is outside 0..${n}`);
    if (p.length !== w.length * perSlice) throw new Error(`mergeWindowPredictions: window ${i} has ${p.length} values, expected ${w.length * perSlice}`);
    for (let s = 0; s < w.length; s++) {
      const slice = w.start + s;
      count[slice] = count[slice]! + 1;
      for (let c = 0; c < perSlice; c++) sum[slice * perSlice + c] = sum[slice * perSlice + c]! + p[s * perSlice + c]!;
    }
  });
  const out = new Float32Array(n * perSlice);
  for (let s = 0; s < n; s++) {
    const k = count[s]!;
    if (k === 0) throw new Error(`mergeWindowPredictions: slice ${s} is in no window`);
    for (let c = 0; c < perSlice; c++) out[s * perSlice + c] = sum[s * perSlice + c]! / k;
  }
  return out;
}
