/**
 * Folds by PatientID, stored in the workspace so that every stage shares them (docs/seed-pipeline.md section 1).
 * Patients seen before keep their fold; patients new since the last assignment get their own seeded
 * KFold with the same seed, as the seed did for the stage-2 patients. A preset's `folds.stratify` draws them
 * as a stratified group KFold instead (data/folds.ts), stored as its own fold set.
 */
import { assignFolds, assignStratifiedFolds, type PatientCounts } from '../data/folds.ts';
import { createRng } from '../base/random.ts';
import { addFolds, loadFolds, type FoldScheme } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import type { FoldSpec } from './presets.ts';

export function foldSchemeOf(spec: FoldSpec): FoldScheme {
  return spec.stratify ? 'stratified' : 'kfold';
}

/** The stored folds of `spec` (empty before they are drawn). */
export function loadFoldsOf(ws: Workspace, spec: FoldSpec): Map<string, number> {
  return loadFolds(ws, spec.k, spec.seed, foldSchemeOf(spec));
}

/** Per patient: [slices, positives of each label] of the images listed (flat labels, `width` per image). */
export function countsByPatient(n: number, patientOf: (i: number) => string, labels: ArrayLike<number>, width: number): Map<string, Float64Array> {
  const counts = new Map<string, Float64Array>();
  for (let i = 0; i < n; i++) {
    const p = patientOf(i);
    let c = counts.get(p);
    if (!c) counts.set(p, (c = new Float64Array(width + 1)));
    c[0]! += 1;
    for (let j = 0; j < width; j++) c[j + 1]! += labels[i * width + j]! ? 1 : 0;
  }
  return counts;
}

/**
 * The folds of `spec` for these patients, drawing the new ones. A stratified spec needs their label counts
 * (`countsByPatient`); a plain KFold needs only their ids.
 */
export function ensureFolds(ws: Workspace, spec: FoldSpec, patients: Iterable<string> | PatientCounts): Map<string, number> {
  const scheme = foldSchemeOf(spec);
  const counts = patients instanceof Map ? (patients as PatientCounts) : null;
  const ids = counts ? [...counts.keys()] : [...(patients as Iterable<string>)];
  const existing = loadFolds(ws, spec.k, spec.seed, scheme);
  const fresh = [...new Set(ids)].filter((p) => !existing.has(p)).sort();
  if (fresh.length > 0) {
    if (fresh.length < spec.k && existing.size === 0) throw new Error(`${fresh.length} patients cannot fill ${spec.k} folds: label more patients or use fewer folds`);
    if (scheme === 'stratified' && !counts) throw new Error('stratified folds need the patients\' label counts');
    // A batch smaller than k (a few patients added later) goes round-robin from a seeded start.
    const assignment = fresh.length < spec.k
      ? new Map(fresh.map((p, i) => [p, (i + createRng(`${spec.seed}:${fresh.join(',')}`).int(0, spec.k - 1)) % spec.k]))
      : scheme === 'stratified'
        ? assignStratifiedFolds(new Map(fresh.map((p) => [p, counts!.get(p)!])), spec.k, spec.seed)
        : assignFolds(fresh, spec.k, spec.seed);
    addFolds(ws, spec.k, spec.seed, assignment, scheme);
    return loadFolds(ws, spec.k, spec.seed, scheme);
  }
  return existing;
}
