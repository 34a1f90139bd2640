// Out-of-fold calibration of a stage, per label: sensitivity and specificity at the flag threshold, and a
// reliability diagram (equal-width bins of the predicted probability: their mean prediction against the rate
// observed), as the model card shows them (issue 17 item 6).
import type { ClassCalibration, ReliabilityBin } from '../../src-shared/training.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';

export const RELIABILITY_BINS = 10;

/**
 * One column `k` of row-major probabilities and 0/1 labels (`stride` columns per row): bin i holds the
 * probabilities in [i/bins, (i+1)/bins), the last one also 1.
 */
export function classCalibration(p: ArrayLike<number>, y: ArrayLike<number>, k = 0, stride = 1, threshold = 0.5, bins = RELIABILITY_BINS): ClassCalibration {
  const rows = Math.floor(p.length / stride);
  if (y.length !== p.length) throw new RangeError(`classCalibration: ${p.length} probabilities but ${y.length} labels`);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  let tp = 0, pos = 0, tn = 0, neg = 0;
  for (let r = 0; r < rows; r++) {
    const v = p[r * stride + k]!;
    if (!Number.isFinite(v)) continue;
    const label = y[r * stride + k]! > 0 ? 1 : 0;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    sumP[b]! += v;
    sumY[b]! += label;
    count[b]!++;
    if (label) {
      pos++;
      if (v >= threshold) tp++;
    } else {
      neg++;
      if (v < threshold) tn++;
    }
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) if (count[b]! > 0) out.push({ p: sumP[b]! / count[b]!, observed: sumY[b]! / count[b]!, n: count[b]! });
  return { threshold, sensitivity: pos ? tp / pos : null, specificity: neg ? tn / neg : null, positives: pos, negatives: neg, bins: out };
}

/** Every label's calibration from row-major probabilities and labels in LABELS order. */
export function calibrationByLabel(p: ArrayLike<number>, y: ArrayLike<number>, threshold = 0.5): Record<Label, ClassCalibration> {
  return Object.fromEntries(LABELS.map((label, k) => [label, classCalibration(p, y, k, LABELS.length, threshold)])) as Record<Label, ClassCalibration>;
}
