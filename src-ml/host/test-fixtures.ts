// Test fixtures of the host tests: a few stored predictions and an ensemble record on a synthetic workspace.
import { saveEnsembleRecord, savePredictions, type PredictionRow } from '../store/predictions.ts';
import type { Workspace } from '../store/workspace.ts';
import type { ScanSeries } from '../api/scan.ts';

export const probs = (any: number): number[] => [any / 4, any / 3, 0.01, 0.02, any / 2, any];

/** Stored predictions: study 0 safe any 0.9 (flagged), study 1 risky any 0.3, study 2 none. */
export function seedPredictions(w: Workspace, ss: ScanSeries[]): void {
  const rows: PredictionRow[] = [];
  ss[0]!.instances.forEach((id, i) => rows.push({ imageId: id, source: 'safe', kind: 'ensemble', oof: true, probs: probs(i === 2 ? 0.9 : 0.1) }));
  ss[1]!.instances.forEach((id, i) => rows.push({ imageId: id, source: 'risky', kind: 'ensemble', oof: false, probs: probs(i === 1 ? 0.3 : 0.05) }));
  const first = ss[0]!.instances[0]!;
  rows.push({ imageId: first, source: 'm.a', kind: 'member', oof: true, probs: probs(0.2), bounded: 1 });
  rows.push({ imageId: first, source: 'm.b', kind: 'member', oof: true, probs: probs(0.4), bounded: 2 });
  savePredictions(w, rows);
  const classes = Array.from({ length: 6 }, (_, k) => ({ label: String(k), perFold: [], mean: [0.6, 0.4 - k / 100] }));
  saveEnsembleRecord(w, 'current', {
    labels: [], members: [{ name: 'm.a', group: 'A', keptIn: ['safe'] }, { name: 'm.b', group: 'B', keptIn: ['safe', 'risky'] }],
    safe: { kept: ['m.a', 'm.b'], fit: { classes } }, risky: null,
  }, {});
}
