/**
 * Folds by PatientID, stored in the workspace so that every stage shares them (docs/seed-pipeline.md section 1).
 * Patients seen before keep their fold; patients new since the last assignment get their own seeded
 * KFold with the same seed, as the seed did for the stage-2 patients.
 */
import { assignFolds } from '../data/folds.ts';
import { createRng } from '../base/random.ts';
import { addFolds, loadFolds } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import type { FoldSpec } from './presets.ts';

export function ensureFolds(ws: Workspace, spec: FoldSpec, patientIds: Iterable<string>): Map<string, number> {
  const existing = loadFolds(ws, spec.k, spec.seed);
  const fresh = [...new Set(patientIds)].filter((p) => !existing.has(p)).sort();
  if (fresh.length > 0) {
    if (fresh.length < spec.k && existing.size === 0) throw new Error(`${fresh.length} patients cannot fill ${spec.k} folds: label more patients or use fewer folds`);
    // A batch smaller than k (a few patients added later) goes round-robin from a seeded start.
    const assignment = fresh.length >= spec.k
      ? assignFolds(fresh, spec.k, spec.seed)
      : new Map(fresh.map((p, i) => [p, (i + createRng(`${spec.seed}:${fresh.join(',')}`).int(0, spec.k - 1)) % spec.k]));
    addFolds(ws, spec.k, spec.seed, assignment);
    return loadFolds(ws, spec.k, spec.seed);
  }
  return existing;
}
