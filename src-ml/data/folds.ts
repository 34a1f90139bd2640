// Cross-validation folds grouped by patient (docs/seed-pipeline.md section 1, "Folds"): every image of a patient lands in the
// same fold, so no patient is seen in both training and validation. Like sklearn KFold(shuffle=True) over the
// sorted unique PatientIDs: one seeded permutation cut into k contiguous, nearly equal chunks, the first n % k
// chunks one larger. The permutation comes from our own seeded generator, so the folds are deterministic for a
// seed but are not numpy's (the seed's exact RSNA folds would need numpy's MT19937 stream).
import { createRng } from '../base/random.ts';

/** The seed's KFold seeds: 8153 for the 3-fold `classifier_splits`, 432 for the 5-fold `new_splits`. */
export const DEFAULT_FOLD_SEEDS: Readonly<Record<3 | 5, number>> = { 3: 8153, 5: 432 };

/** KFold chunk sizes for n items in k folds: floor(n / k) each, the first n % k one more. */
export function foldSizes(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** The seeded Fisher-Yates shuffle both fold draws start from. */
function shuffleInPlace(ids: string[], seed: number): void {
  const rng = createRng(seed);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
}

/** Maps each distinct patient id to its fold in [0, k). Duplicated ids are fine (one entry per patient). */
export function assignFolds(patientIds: readonly string[], k: number, seed: number): Map<string, number> {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`assignFolds: k must be an integer >= 2, got ${k}`);
  // Sorted unique ids first, so the folds do not depend on the order the images were listed in.
  const unique = [...new Set(patientIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (unique.length < k) throw new RangeError(`assignFolds: ${unique.length} patients cannot fill ${k} folds`);
  shuffleInPlace(unique, seed);
  const folds = new Map<string, number>();
  let at = 0;
  foldSizes(unique.length, k).forEach((size, fold) => {
    for (let i = 0; i < size; i++) folds.set(unique[at++]!, fold);
  });
  return folds;
}

/**
 * Stage-2 extension (docs/seed-pipeline.md section 1, "Folds"): patients already assigned keep their fold; the new ones get
 * their own KFold with the same seed, and fold i of both is merged.
 */
export function extendFolds(existing: ReadonlyMap<string, number>, patientIds: readonly string[], k: number, seed: number): Map<string, number> {
  const fresh = [...new Set(patientIds)].filter((id) => !existing.has(id));
  const merged = new Map(existing);
  if (fresh.length) for (const [id, fold] of assignFolds(fresh, k, seed)) merged.set(id, fold);
  return merged;
}

export interface FoldSplit {
  /** Row indices (into the per-image arrays) of the training images: every fold but `fold`. */
  train: Int32Array;
  /** Row indices of the validation images: fold `fold`. */
  val: Int32Array;
}

/** Splits per-image rows by their patient's fold; throws on a patient without a fold. */
export function foldSplit(imagePatientIds: readonly string[], folds: ReadonlyMap<string, number>, fold: number): FoldSplit {
  const train: number[] = [];
  const val: number[] = [];
  imagePatientIds.forEach((id, i) => {
    const f = folds.get(id);
    if (f === undefined) throw new RangeError(`foldSplit: patient ${id} (row ${i}) has no fold`);
    (f === fold ? val : train).push(i);
  });
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}

/**
 * Per-patient counts a stratified split balances, one array per patient: [slices, positives of each label].
 * Every array has the same length.
 */
export type PatientCounts = ReadonlyMap<string, ArrayLike<number>>;

/**
 * Stratified group K-fold: every image of a patient in one fold (as assignFolds), and the folds as alike as the
 * patients allow in their number of patients, slices and positives of each label. With a few dozen patients a
 * plain KFold can put most of a rare label in one fold; that fold's model then trains on a handful of positives
 * and its out-of-fold predictions say little of what the data teach (24 studies, seed 7324: 32 of 43
 * subarachnoid slices and all 6 epidural ones in fold 0). At thousands of patients KFold is already balanced and
 * the two agree in effect.
 *
 * Greedy, largest share first: patients in descending order of the share of all positives they hold (labels
 * weighted alike, so a rare label counts as much as a common one; ties in seeded random order), each to the fold
 * that leaves the folds' shares of patients, slices and each label's positives closest to 1/k. Deterministic for
 * a seed, so folds computed side by side agree.
 */
export function assignStratifiedFolds(counts: PatientCounts, k: number, seed: number): Map<string, number> {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`assignStratifiedFolds: k must be an integer >= 2, got ${k}`);
  const order = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (order.length < k) throw new RangeError(`assignStratifiedFolds: ${order.length} patients cannot fill ${k} folds`);
  shuffleInPlace(order, seed);
  // Dimension 0: patients; 1: slices; 2..: each label's positives.
  const width = counts.get(order[0]!)!.length + 1;
  const vec = (id: string): Float64Array => {
    const c = counts.get(id)!;
    if (c.length !== width - 1) throw new RangeError(`assignStratifiedFolds: patient ${id} has ${c.length} counts, expected ${width - 1}`);
    const v = new Float64Array(width);
    v[0] = 1;
    for (let d = 1; d < width; d++) v[d] = c[d - 1]!;
    return v;
  };
  const vectors = new Map(order.map((id) => [id, vec(id)]));
  const total = new Float64Array(width);
  for (const v of vectors.values()) for (let d = 0; d < width; d++) total[d]! += v[d]!;
  const share = (v: Float64Array): number => {
    let s = 0;
    for (let d = 2; d < width; d++) if (total[d]! > 0) s += v[d]! / total[d]!;
    return s;
  };
  const rank = new Map(order.map((id, i) => [id, i]));
  order.sort((a, b) => share(vectors.get(b)!) - share(vectors.get(a)!) || rank.get(a)! - rank.get(b)!);

  const load = Array.from({ length: k }, () => new Float64Array(width));
  // The squared distance of every fold's share from 1/k, over the dimensions that have any count.
  const cost = (): number => {
    let c = 0;
    for (let d = 0; d < width; d++) {
      if (total[d]! <= 0) continue;
      for (let f = 0; f < k; f++) c += (load[f]![d]! / total[d]! - 1 / k) ** 2;
    }
    return c;
  };
  const folds = new Map<string, number>();
  order.forEach((id, i) => {
    const v = vectors.get(id)!;
    // No fold may end up empty: once the patients left are as few as the empty folds, they go there.
    const empty = load.map((l, f) => (l[0] === 0 ? f : -1)).filter((f) => f >= 0);
    const candidates = order.length - i <= empty.length ? empty : Array.from({ length: k }, (_, f) => f);
    let best = -1;
    let bestCost = Infinity;
    for (const f of candidates) {
      for (let d = 0; d < width; d++) load[f]![d]! += v[d]!;
      const c = cost();
      for (let d = 0; d < width; d++) load[f]![d]! -= v[d]!;
      // Ties go to the fold with the fewest patients, then the lowest index.
      if (c < bestCost - 1e-12 || (Math.abs(c - bestCost) <= 1e-12 && load[f]![0]! < load[best]![0]!)) {
        best = f;
        bestCost = c;
      }
    }
    for (let d = 0; d < width; d++) load[best]![d]! += v[d]!;
    folds.set(id, best);
  });
  return folds;
}
