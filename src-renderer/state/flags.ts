// Where the bleed is, by the numbers: the `any` score a slice shows in the ensemble mode on screen, the slice a
// series opens at (its highest `any`), and the next or previous slice whose `any` is at or above its threshold
// (keys n / Shift+N).
import type { SeriesPredictions, SlicePrediction } from '../../src-ml/api/engine.ts';
import { LABELS } from '../../src-shared/labels.ts';
import type { EnsembleMode } from './types.ts';

const ANY = LABELS.indexOf('any');

/** The slice's `any` in the mode shown (compare: the higher of safe and risky); null without a prediction. */
export function anyScore(pred: SlicePrediction | null | undefined, mode: EnsembleMode): number | null {
  const safe = pred?.safe?.[ANY] ?? null;
  const risky = pred?.risky?.[ANY] ?? null;
  if (mode === 'safe') return safe ?? risky;
  if (mode === 'risky') return risky ?? safe;
  if (safe === null) return risky;
  return risky === null ? safe : Math.max(safe, risky);
}

/** The slice a series opens at: the first of its highest `any`; 0 without predictions. */
export function openSliceIndex(p: SeriesPredictions | null | undefined, mode: EnsembleMode): number {
  let best = 0;
  let top = -Infinity;
  p?.slices.forEach((s, i) => {
    const v = anyScore(s, mode);
    if (v !== null && v > top) {
      top = v;
      best = i;
    }
  });
  return best;
}

/** The `any` threshold of the series' predictions (the strip's tick). */
export const anyThreshold = (p: SeriesPredictions | null | undefined): number => p?.thresholds[ANY] ?? 0.5;

/** Whether the slice's `any` is at or above the threshold. */
export const flagged = (p: SeriesPredictions | null | undefined, index: number, mode: EnsembleMode): boolean => {
  const v = anyScore(p?.slices[index], mode);
  return v !== null && v >= anyThreshold(p);
};

/** The nearest flagged slice after (dir 1) or before (dir -1) `from`; null when there is none that way. */
export function flaggedFrom(p: SeriesPredictions | null | undefined, mode: EnsembleMode, from: number, dir: 1 | -1): number | null {
  const n = p?.slices.length ?? 0;
  for (let i = from + dir; i >= 0 && i < n; i += dir) if (flagged(p, i, mode)) return i;
  return null;
}
