// The competition metric with optional per-image weights (docs/seed-pipeline.md sections 7-8): per class
//   LL_k = -sum_i w_i [y log p + (1 - y) log(1 - p)] / sum_i w_i,
// then any x2, subtypes x1, divided by 7. Without weights it is exactly metrics/log-loss.ts. The seed's
// "image-weighted" numbers (e.g. 0.054343) are this with the section 5 sample weights (sklearn's
// log_loss(sample_weight=...) normalises by the weight sum the same way).
import { KAGGLE_EPS, METRIC_WEIGHTS, weightedLogLoss, type MetricResult } from '../metrics/log-loss.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';

export const N_CLASSES = LABELS.length;
/** Column of `any` in the project's order (last). */
export const ANY = N_CLASSES - 1;

export function imageWeightedLogLoss(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
  eps = KAGGLE_EPS,
): MetricResult {
  if (!weights) return weightedLogLoss(probs, labels, eps);
  const c = N_CLASSES;
  if (probs.length !== labels.length || probs.length % c !== 0) {
    throw new Error(`metric: ${probs.length} probabilities for ${labels.length} labels (need equal multiples of ${c})`);
  }
  const n = probs.length / c;
  if (weights.length !== n) throw new Error(`metric: ${weights.length} image weights for ${n} images`);
  let wsum = 0;
  const sums = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`metric: image weight ${i} is ${w} (need a finite value >= 0)`);
    if (w === 0) continue;
    wsum += w;
    for (let k = 0; k < c; k++) {
      const p = Math.min(1 - eps, Math.max(eps, probs[i * c + k]!));
      const y = labels[i * c + k]!;
      sums[k]! += -w * (y * Math.log(p) + (1 - y) * Math.log(1 - p));
    }
  }
  if (!(wsum > 0)) throw new Error('metric: the image weights sum to 0');
  const perClass = {} as Record<Label, number>;
  let loss = 0;
  let csum = 0;
  LABELS.forEach((label, k) => {
    const ll = sums[k]! / wsum;
    perClass[label] = ll;
    loss += METRIC_WEIGHTS[k]! * ll;
    csum += METRIC_WEIGHTS[k]!;
  });
  return { loss: loss / csum, perClass, n };
}
