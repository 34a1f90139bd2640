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

/** Maps each distinct patient id to its fold in [0, k). Duplicated ids are fine (one entry per patient). */
export function assignFolds(patientIds: readonly string[], k: number, seed: number): Map<string, number> {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`assignFolds: k must be an integer >= 2, got ${k}`);
  // Sorted unique ids first, so the folds do not depend on the order the images were listed in.
  const unique = [...new Set(patientIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (unique.length < k) throw new RangeError(`assignFolds: ${unique.length} patients cannot fill ${k} folds`);
  const rng = createRng(seed);
  for (let i = unique.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = unique[i]!;
    unique[i] = unique[j]!;
    unique[j] = t;
  }
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
