/**
 * Model versions. Every finished pipeline run (and `ich ensemble`, `ich models copy`) makes one: a
 * snapshot of the trained models (versions/<v>/models/<id>, hard links of the working models/ files,
 * which are only ever replaced by rename, never rewritten), the fitted ensembles, report.json, a
 * fingerprint of the data, and the per-slice predictions (version_predictions).
 *
 * One version is active: its ensemble fit is the `ensembles` row 'current' and its predictions fill the
 * `predictions` table, so the worklist, the viewer and `ich predict` use it. The first version of a
 * workspace becomes active by itself; later ones are candidates until promoted. Promoting swaps the
 * active version's rows in, in one transaction; rolling back is promoting an older one.
 * Workspaces from before versions (a fitted ensemble, no version) are adopted as one active version.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../base/atomic-write.ts';
import { snapshotModels, VERSIONS_DIR } from './model-snapshot.ts';
import { LABELS } from '../../src-shared/labels.ts';
import { labelledImageTable, listModels, loadFolds, unlabeledImages } from './training-store.ts';
import type { VersionSummary } from '../api/training.ts';
import type { Workspace } from './workspace.ts';
import { modelDirOf } from './workspace-paths.ts';

export { adoptLegacyVersion } from './legacy-version.ts';
export { VERSIONS_DIR };

export type VersionStatus = 'building' | 'active' | 'candidate' | 'archived';

export interface VersionRecord {
  version: string;
  seq: number;
  status: VersionStatus;
  createdAt: string;
  preset: string;
  /** That run's report.json (null when it wrote none). */
  report: unknown;
  fingerprint: Record<string, unknown>;
  /** The model ids in the snapshot. */
  models: string[];
  fit: unknown;
  metrics: unknown;
  /** Absolute folder of the snapshot's models. */
  modelsDir: string;
  promotedAt: string | null;
}

const P_COLS = LABELS.map((l) => `p_${l}`);
const PRED_COLS = ['image_id', 'source', 'kind', 'oof', ...P_COLS, 'bounded'].join(', ');

export function versionDirOf(ws: Workspace, version: string): string {
  return path.join(ws.dir, VERSIONS_DIR, version);
}

function toRecord(ws: Workspace, r: Record<string, unknown>): VersionRecord {
  const json = (v: unknown, fallback: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : fallback);
  return {
    version: String(r.version), seq: Number(r.seq), status: r.status as VersionStatus, createdAt: String(r.created_at), preset: String(r.preset),
    report: json(r.report_json, null), fingerprint: json(r.fingerprint_json, {}) as Record<string, unknown>, models: json(r.models_json, []) as string[],
    fit: json(r.fit_json, null), metrics: json(r.metrics_json, null), modelsDir: path.resolve(ws.dir, String(r.models_dir)),
    promotedAt: typeof r.promoted_at === 'string' ? r.promoted_at : null,
  };
}

/** Finished versions, newest first ('building' ones, of a run still going or killed, are left out). */
export function listVersions(ws: Workspace): VersionRecord[] {
  const rows = ws.db.prepare("SELECT * FROM versions WHERE status != 'building' ORDER BY seq DESC").all() as Record<string, unknown>[];
  return rows.map((r) => toRecord(ws, r));
}

export function getVersion(ws: Workspace, version: string): VersionRecord | undefined {
  const r = ws.db.prepare('SELECT * FROM versions WHERE version = ?').get(version) as Record<string, unknown> | undefined;
  return r ? toRecord(ws, r) : undefined;
}

export function activeVersion(ws: Workspace): VersionRecord | undefined {
  const r = ws.db.prepare("SELECT * FROM versions WHERE status = 'active'").get() as Record<string, unknown> | undefined;
  return r ? toRecord(ws, r) : undefined;
}

/** Where `ich predict` and the viewer find a model: in the active version's snapshot, else the working models/. */
export function servingModelDir(ws: Workspace, modelId: string): string {
  const active = activeVersion(ws);
  return active ? path.join(active.modelsDir, modelId) : modelDirOf(ws, modelId);
}

/**
 * Starts a version for a run's ensembles: a 'building' row the ensemble stage writes its fit and
 * predictions to. A 'building' version left by a killed run is removed first.
 */
export function beginVersion(ws: Workspace): string {
  const stale = ws.db.prepare("SELECT version FROM versions WHERE status = 'building'").all() as { version: string }[];
  return ws.transaction(() => {
    for (const { version } of stale) {
      ws.db.prepare('DELETE FROM version_predictions WHERE version = ?').run(version);
      ws.db.prepare('DELETE FROM versions WHERE version = ?').run(version);
      rmSync(versionDirOf(ws, version), { recursive: true, force: true });
    }
    const seq = Number((ws.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM versions').get() as { n: number }).n);
    const version = `v${seq}`;
    ws.db.prepare("INSERT INTO versions (version, seq, status, created_at, models_dir) VALUES (?, ?, 'building', ?, ?)")
      .run(version, seq, new Date().toISOString(), path.join(VERSIONS_DIR, version, 'models'));
    return version;
  });
}

export function setVersionEnsemble(ws: Workspace, version: string, fit: unknown, metrics: unknown): void {
  const r = ws.db.prepare('UPDATE versions SET fit_json = ?, metrics_json = ? WHERE version = ?').run(JSON.stringify(fit), JSON.stringify(metrics), version);
  if (Number(r.changes) !== 1) throw new Error(`no version ${version} in ${ws.dir}`);
}

export interface FinishVersion {
  preset: string;
  report: unknown;
  fingerprint: Record<string, unknown>;
  /** Make it active now (`--promote`); the first version of a workspace is active anyway. */
  promote?: boolean;
}

/** Ends a run's version: snapshots its models, records report and fingerprint; active or candidate. */
export function finishVersion(ws: Workspace, version: string, opts: FinishVersion): VersionRecord {
  const v = getVersion(ws, version);
  if (!v || v.status !== 'building') throw new Error(`version ${version} is not being built`);
  const models = snapshotModels(ws.dir, listModels(ws).map((m) => m.id), v.modelsDir);
  const dir = versionDirOf(ws, version);
  writeFileAtomicSync(path.join(dir, 'report.json'), JSON.stringify(opts.report, null, 2) + '\n');
  writeFileAtomicSync(path.join(dir, 'version.json'), JSON.stringify({ version, preset: opts.preset, createdAt: v.createdAt, fingerprint: opts.fingerprint, models }, null, 2) + '\n');
  ws.db.prepare("UPDATE versions SET status = 'candidate', preset = ?, report_json = ?, fingerprint_json = ?, models_json = ? WHERE version = ?")
    .run(opts.preset, JSON.stringify(opts.report ?? null), JSON.stringify(opts.fingerprint), JSON.stringify(models), version);
  if (opts.promote || !activeVersion(ws)) promoteVersion(ws, version);
  return getVersion(ws, version)!;
}

/**
 * Makes `version` the active one: its predictions and ensemble fit replace the active ones (one
 * transaction); the version that was active is archived. Promoting an archived version is a rollback.
 */
export function promoteVersion(ws: Workspace, version: string): { version: string; previous: string | null } {
  const v = getVersion(ws, version);
  if (!v || v.status === 'building') {
    const known = listVersions(ws).map((x) => x.version);
    throw new Error(`no version ${version} in ${ws.dir}${known.length ? ` (versions: ${known.join(', ')})` : ' (it has none: run ich pipeline)'}`);
  }
  const previous = activeVersion(ws)?.version ?? null;
  if (previous === version) return { version, previous };
  ws.transaction(() => {
    ws.db.prepare("UPDATE versions SET status = 'archived' WHERE status = 'active'").run();
    ws.db.prepare("UPDATE versions SET status = 'active', promoted_at = ? WHERE version = ?").run(new Date().toISOString(), version);
    ws.db.exec('DELETE FROM predictions');
    ws.db.prepare(`INSERT INTO predictions (${PRED_COLS}) SELECT ${PRED_COLS} FROM version_predictions WHERE version = ?`).run(version);
    ws.db.prepare("DELETE FROM ensembles WHERE name = 'current'").run();
    if (v.fit !== null) {
      ws.db.prepare("INSERT INTO ensembles (name, fit_json, metrics_json, created_at) VALUES ('current', ?, ?, ?)")
        .run(JSON.stringify(v.fit), JSON.stringify(v.metrics ?? {}), v.createdAt);
    }
  });
  return { version, previous };
}

/**
 * What a version was trained on: counts and hashes of its studies, images, labels and folds, and the
 * preset (name, version, hash of its settings), so any two versions can be told apart or matched.
 */
export function dataFingerprint(ws: Workspace, folds: { k: number; seed: number; stratify?: boolean }, preset: { name: string; version: number; json: string }): Record<string, unknown> {
  const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);
  // The labelled images as columns (752,797 at the RSNA size): the labels hash is fed line by line.
  const labelled = labelledImageTable(ws);
  const foldOf = loadFolds(ws, folds.k, folds.seed, folds.stratify ? 'stratified' : 'kfold');
  const n = labelled.ids.length;
  const c = LABELS.length;
  const labelsHash = createHash('sha256');
  for (let i = 0; i < n; i++) labelsHash.update(`${i > 0 ? '\n' : ''}${labelled.ids[i]}:${labelled.labels.subarray(i * c, i * c + c).join('')}`);
  const positives = LABELS.map((_, k) => {
    let p = 0;
    for (let i = 0; i < n; i++) p += labelled.labels[i * c + k] ? 1 : 0;
    return p;
  });
  return {
    studies: labelled.studies.length,
    patients: labelled.patients.length,
    images: n,
    unlabelledImages: unlabeledImages(ws).length,
    labels: labelsHash.digest('hex').slice(0, 16),
    positives: Object.fromEntries(LABELS.map((l, k) => [l, positives[k]!])),
    folds: { k: folds.k, seed: folds.seed, ...(folds.stratify ? { scheme: 'stratified' } : {}), assignment: hash([...labelled.patients].sort().map((p) => `${p}:${foldOf.get(p) ?? -1}`).join('\n')) },
    preset: { name: preset.name, version: preset.version, settings: hash(preset.json) },
  };
}

/** The rows of `ich models list --json` and of the api's listVersions (one shape for both), newest first. */
export function versionSummaries(ws: Workspace): VersionSummary[] {
  return listVersions(ws).map((v) => ({
    version: v.version, status: v.status as VersionSummary['status'], createdAt: v.createdAt, preset: v.preset,
    report: v.report as VersionSummary['report'], fingerprint: v.fingerprint, promotedAt: v.promotedAt,
  }));
}

/**
 * Forgets the versions, keeping the active one's rows in the live tables and the working models/: the demo
 * bundle ships that way (one copy of each model file) and is adopted as v1 where it is installed.
 */
export function dropVersionRecords(ws: Workspace): void {
  ws.transaction(() => {
    ws.db.exec('DELETE FROM version_predictions; DELETE FROM versions;');
  });
  rmSync(path.join(ws.dir, VERSIONS_DIR), { recursive: true, force: true });
}

/** Adds fields to a version's fingerprint (what the demo's models were trained on, say). */
export function annotateVersion(ws: Workspace, version: string, extra: Record<string, unknown>): void {
  const v = getVersion(ws, version);
  if (!v) throw new Error(`no version ${version} in ${ws.dir}`);
  ws.db.prepare('UPDATE versions SET fingerprint_json = ? WHERE version = ?').run(JSON.stringify({ ...v.fingerprint, ...extra }), version);
}
