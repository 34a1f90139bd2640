/**
 * The competition metric (docs/seed-pipeline.md section 8): weighted multi-label log loss, `any` x2, each subtype x1,
 *   L = sum_k w_k * LL_k / sum_k w_k,  LL_k = -mean_i [y log p + (1 - y) log(1 - p)],
 * with probabilities clipped to [eps, 1 - eps] (Kaggle: 1e-15). Rows are images, columns the six labels
 * in the project's order (src-shared/labels.ts: epidural, intraparenchymal, intraventricular, subarachnoid,
 * subdural, any).
 */
import { LABELS, type Label } from '../../src-shared/labels.ts';

export const METRIC_WEIGHTS: readonly number[] = [1, 1, 1, 1, 1, 2];
export const KAGGLE_EPS = 1e-15;

export interface MetricResult {
  loss: number;
  perClass: Record<Label, number>;
  n: number;
}

/** probs and labels are N x 6, row-major. */
export function weightedLogLoss(probs: ArrayLike<number>, labels: ArrayLike<number>, eps = KAGGLE_EPS): MetricResult {
  const c = LABELS.length;
  if (probs.length !== labels.length || probs.length % c !== 0) {
    throw new Error(`metric: ${probs.length} probabilities for ${labels.length} labels (need equal multiples of ${c})`);
  }
  const n = probs.length / c;
  if (n === 0) throw new Error('metric: no images');
  const sums = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      const p = Math.min(1 - eps, Math.max(eps, probs[i * c + k]!));
      const y = labels[i * c + k]!;
      sums[k]! += -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
    }
  }
  const perClass = {} as Record<Label, number>;
  let loss = 0;
  let wsum = 0;
  LABELS.forEach((label, k) => {
    const ll = sums[k]! / n;
    perClass[label] = ll;
    loss += METRIC_WEIGHTS[k]! * ll;
    wsum += METRIC_WEIGHTS[k]!;
  });
  return { loss: loss / wsum, perClass, n };
}

/** The metric of predicting each label's prevalence for every image: the bar a model has to beat. */
export function prevalenceBaseline(labels: ArrayLike<number>): MetricResult {
  const c = LABELS.length;
  const n = labels.length / c;
  const prev = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) prev[k]! += labels[i * c + k]! / n;
  const probs = new Float64Array(labels.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) probs[i * c + k] = prev[k]!;
  return weightedLogLoss(probs, labels);
}

/**
 * The metric of predicting, for each image, the prevalence of the labelled images in the other folds: what a
 * constant model trained out of fold could know (prevalenceBaseline uses every image's label, its own fold's
 * included). fold[i] is image i's fold (0..k-1); an image with fold -1 gets the prevalence of every image with a fold.
 */
export function foldPrevalenceBaseline(labels: ArrayLike<number>, fold: ArrayLike<number>): MetricResult {
  const c = LABELS.length;
  const n = labels.length / c;
  if (fold.length !== n) throw new Error(`metric: ${fold.length} folds for ${n} images`);
  const k = Math.max(-1, ...Array.from(fold)) + 1;
  const count = new Float64Array(k);
  const pos = new Float64Array(k * c);
  for (let i = 0; i < n; i++) {
    const f = fold[i]!;
    if (f < 0) continue;
    count[f]! += 1;
    for (let j = 0; j < c; j++) pos[f * c + j]! += labels[i * c + j]!;
  }
  const total = count.reduce((a, b) => a + b, 0);
  const totalPos = Array.from({ length: c }, (_, j) => Array.from({ length: k }, (_, f) => pos[f * c + j]!).reduce((a, b) => a + b, 0));
  const probs = new Float64Array(labels.length);
  for (let i = 0; i < n; i++) {
    const f = fold[i]!;
    const others = f < 0 ? total : total - count[f]!;
    for (let j = 0; j < c; j++) {
      const p = f < 0 ? totalPos[j]! : totalPos[j]! - pos[f * c + j]!;
      probs[i * c + j] = others > 0 ? p / others : 0;
    }
  }
  return weightedLogLoss(probs, labels);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Yuval's `my_loss` from probabilities: mean over N x 6 of w_k * BCE, w = [1,1,1,1,1,2], clipped at 1e-7;
 * equals (7/6) x the competition metric. Training logs report it next to the metric, as the seed did.
 */
export function myLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probs[i]!));
    const y = labels[i]!;
    s += METRIC_WEIGHTS[i % 6]! * -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
  }
  return s / probs.length;
}
