/**
 * Folds by PatientID, stored in the workspace so that every stage shares them (seed spec section 1).
 * Patients seen before keep their fold; patients new since the last assignment get their own seeded
 * KFold with the same seed, as the seed did for the stage-2 patients.
 */
import { assignFolds } from '../data/folds.ts';
import { addFolds, loadFolds } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import type { FoldSpec } from './presets.ts';

export function ensureFolds(ws: Workspace, spec: FoldSpec, patientIds: Iterable<string>): Map<string, number> {
  const existing = loadFolds(ws, spec.k, spec.seed);
  const fresh = [...new Set(patientIds)].filter((p) => !existing.has(p)).sort();
  if (fresh.length > 0) {
    addFolds(ws, spec.k, spec.seed, assignFolds(fresh, spec.k, spec.seed));
    return loadFolds(ws, spec.k, spec.seed);
  }
  return existing;
}
