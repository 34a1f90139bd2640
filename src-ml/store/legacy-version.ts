// A workspace from before model versions (a fitted ensemble, no version) opens as one active version v1:
// its working models, ensemble, predictions and report.json. Run by Workspace.open on the bare connection,
// so it needs nothing of the rest of the store (store/versions.ts holds everything else about versions).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { snapshotModels, VERSIONS_DIR } from './model-snapshot.ts';
import { LABELS } from '../../src-shared/labels.ts';

const PRED_COLS = ['image_id', 'source', 'kind', 'oof', ...LABELS.map((l) => `p_${l}`), 'bounded'].join(', ');

/** Returns the version it made (v1), or undefined when there was nothing to adopt. */
export function adoptLegacyVersion(dir: string, db: DatabaseSync): string | undefined {
  if (db.prepare('SELECT 1 FROM versions LIMIT 1').get()) return undefined;
  const ens = db.prepare("SELECT fit_json, metrics_json, created_at FROM ensembles WHERE name = 'current'").get() as { fit_json: string; metrics_json: string; created_at: string } | undefined;
  if (!ens) return undefined;
  const version = 'v1';
  const modelsRel = path.join(VERSIONS_DIR, version, 'models');
  const ids = (db.prepare('SELECT model_id FROM models ORDER BY model_id').all() as { model_id: string }[]).map((r) => r.model_id);
  const models = snapshotModels(dir, ids, path.join(dir, modelsRel));
  const reportFile = path.join(dir, 'report.json');
  let report: unknown = null;
  try {
    report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : null;
  } catch {
    report = null; // a broken report.json is no reason to refuse the workspace
  }
  const preset = (report as { preset?: unknown } | null)?.preset;
  const lastRun = db.prepare('SELECT preset FROM runs ORDER BY started_at DESC LIMIT 1').get() as { preset: string } | undefined;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.prepare(`INSERT INTO versions (version, seq, status, created_at, preset, report_json, fingerprint_json, models_json, fit_json, metrics_json, models_dir, promoted_at)
      VALUES (?, 1, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(version, ens.created_at, typeof preset === 'string' ? preset : lastRun?.preset ?? '', JSON.stringify(report), JSON.stringify({ adopted: true }),
        JSON.stringify(models), ens.fit_json, ens.metrics_json, modelsRel, ens.created_at);
    db.prepare(`INSERT INTO version_predictions (version, ${PRED_COLS}) SELECT ?, ${PRED_COLS} FROM predictions`).run(version);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return version;
}
