// Per-slice predictions in the index: the safe and risky ensembles and each member model's bounded
// probabilities (with the consistency-bounding flags), so the viewer can explain every number it shows.
import { LABELS } from '../../src-shared/labels.ts';
import { activeVersion } from './versions.ts';
import type { Workspace } from './workspace.ts';

export interface PredictionRow {
  imageId: string;
  /** 'safe' | 'risky' | a member name, e.g. 'shallow.tiny-se-resnext'. */
  source: string;
  kind: 'ensemble' | 'member';
  /** 1 when the image is labelled and predicted out of fold; 0 for a model's prediction of an unlabelled image. */
  oof: boolean;
  probs: ArrayLike<number>;
  /** Bounding flags of a member: bit 0 = any raised to the top subtype, bit 1 = any lowered to the mean with the subtypes' sum. */
  bounded?: number;
}

const P_COLS = LABELS.map((l) => `p_${l}`);

/**
 * Writes rows in one transaction, replacing rows with the same (image, source); `replaceAll` first empties
 * what is written to. Rows go to `version`'s predictions (store/versions.ts) and, when that version is the
 * active one (the default: no version named), to the live table every reader uses. A candidate's rows stay
 * out of the live table until it is promoted.
 */
export function savePredictions(ws: Workspace, rows: Iterable<PredictionRow>, replaceAll = false, version?: string): number {
  const active = activeVersion(ws)?.version;
  const target = version ?? active;
  const live = version === undefined || version === active;
  const cols = `image_id, source, kind, oof, ${P_COLS.join(', ')}, bounded`;
  const marks = `?, ?, ?, ?, ${P_COLS.map(() => '?').join(', ')}, ?`;
  const insLive = ws.db.prepare(`INSERT OR REPLACE INTO predictions (${cols}) VALUES (${marks})`);
  const insVersion = ws.db.prepare(`INSERT OR REPLACE INTO version_predictions (version, ${cols}) VALUES (?, ${marks})`);
  let n = 0;
  ws.transaction(() => {
    if (replaceAll && live) ws.db.exec('DELETE FROM predictions');
    if (replaceAll && target !== undefined) ws.db.prepare('DELETE FROM version_predictions WHERE version = ?').run(target);
    for (const r of rows) {
      const p = Array.from(r.probs);
      if (p.length !== 6 || p.some((v) => !Number.isFinite(v))) throw new Error(`prediction for ${r.imageId} (${r.source}) is not six finite numbers`);
      const values = [r.imageId, r.source, r.kind, r.oof ? 1 : 0, ...p, r.bounded ?? 0] as const;
      if (live) insLive.run(...values);
      if (target !== undefined) insVersion.run(target, ...values);
      n++;
    }
  });
  return n;
}

export interface StoredPrediction {
  source: string;
  kind: 'ensemble' | 'member';
  oof: boolean;
  probs: number[];
  bounded: number;
}

/** Every stored prediction of one image. */
export function predictionsOf(ws: Workspace, imageId: string): StoredPrediction[] {
  const rows = ws.db.prepare(`SELECT source, kind, oof, ${P_COLS.join(', ')}, bounded FROM predictions WHERE image_id = ? ORDER BY kind, source`).all(imageId) as Record<string, number | string>[];
  return rows.map((r) => ({ source: String(r.source), kind: r.kind as 'ensemble' | 'member', oof: r.oof === 1, probs: P_COLS.map((c) => Number(r[c])), bounded: Number(r.bounded) }));
}

/** One source's predictions (e.g. 'safe') as imageId -> six probabilities. */
export function predictionsBySource(ws: Workspace, source: string): Map<string, number[]> {
  const rows = ws.db.prepare(`SELECT image_id, ${P_COLS.join(', ')} FROM predictions WHERE source = ?`).all(source) as Record<string, number | string>[];
  return new Map(rows.map((r) => [String(r.image_id), P_COLS.map((c) => Number(r[c]))]));
}

export interface EnsemblePredictions {
  safe: number[] | null;
  risky: number[] | null;
  /** Either ensemble's prediction is out of fold. */
  oof: boolean;
}

/** The safe and risky ensembles' predictions of a series' slices, by image id (unpredicted slices absent). */
export function seriesEnsemblePredictions(ws: Workspace, seriesUid: string): Map<string, EnsemblePredictions> {
  const rows = ws.db.prepare(`SELECT p.image_id, p.source, p.oof, ${P_COLS.map((c) => `p.${c}`).join(', ')}
      FROM predictions p JOIN instances i ON i.image_id = p.image_id
      WHERE i.series_uid = ? AND p.source IN ('safe', 'risky')`).all(seriesUid) as Record<string, unknown>[];
  const found = new Map<string, EnsemblePredictions>();
  for (const r of rows) {
    const id = String(r.image_id);
    const e = found.get(id) ?? { safe: null, risky: null, oof: false };
    const probs = P_COLS.map((c) => Number(r[c]));
    if (r.source === 'safe') e.safe = probs;
    else e.risky = probs;
    e.oof ||= r.oof === 1;
    found.set(id, e);
  }
  return found;
}

/** Images whose safe-ensemble prediction is out of fold (a labelled image's; a new prediction must not replace it). */
export function outOfFoldImageIds(ws: Workspace): Set<string> {
  return new Set((ws.db.prepare("SELECT image_id FROM predictions WHERE source = 'safe' AND oof = 1").all() as { image_id: string }[]).map((r) => r.image_id));
}

export function saveEnsembleRecord(ws: Workspace, name: string, fit: unknown, metrics: unknown): void {
  ws.db.prepare('INSERT OR REPLACE INTO ensembles (name, fit_json, metrics_json, created_at) VALUES (?, ?, ?, ?)')
    .run(name, JSON.stringify(fit), JSON.stringify(metrics), new Date().toISOString());
}

export function loadEnsembleRecord<F = unknown, M = unknown>(ws: Workspace, name: string): { fit: F; metrics: M; createdAt: string } | undefined {
  const r = ws.db.prepare('SELECT fit_json, metrics_json, created_at FROM ensembles WHERE name = ?').get(name) as { fit_json: string; metrics_json: string; created_at: string } | undefined;
  return r ? { fit: JSON.parse(r.fit_json) as F, metrics: JSON.parse(r.metrics_json) as M, createdAt: r.created_at } : undefined;
}

/**
 * CT images to predict: those of `studyUids` (all indexed studies when omitted), only the ones without a
 * stored safe prediction of the active version when `missingOnly`.
 */
export function imagesToPredict(ws: Workspace, opts: { studyUids?: readonly string[]; missingOnly?: boolean }): string[] {
  const where: string[] = ["s.modality = 'CT'"];
  const params: string[] = [];
  if (opts.studyUids) {
    if (opts.studyUids.length === 0) return [];
    where.push(`i.study_uid IN (${opts.studyUids.map(() => '?').join(', ')})`);
    params.push(...opts.studyUids);
  }
  if (opts.missingOnly) where.push("NOT EXISTS (SELECT 1 FROM predictions p WHERE p.image_id = i.image_id AND p.source = 'safe')");
  const rows = ws.db.prepare(`SELECT i.image_id FROM instances i JOIN series s ON s.series_uid = i.series_uid WHERE ${where.join(' AND ')} ORDER BY i.image_id`).all(...params) as { image_id: string }[];
  return rows.map((r) => r.image_id);
}
