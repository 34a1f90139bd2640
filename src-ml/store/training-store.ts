// Training records in the index: folds by patient, runs (one per stage x model x fold), trained models
// and their feature sets. Image lists for training come from here, in a stable order (image_id).
import type { RunSummary } from '../api/training.ts';
import { LABELS } from '../../src-shared/labels.ts';
import type { Workspace } from './workspace.ts';

export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface ImageRecord {
  imageId: string;
  path: string;
  /** 1-based frame of a multi-frame file, or null. */
  frame: number | null;
  patientId: string;
  studyUid: string;
  seriesUid: string;
}

export interface LabeledImage extends ImageRecord {
  /** epidural, intraparenchymal, intraventricular, subarachnoid, subdural, any (0/1). */
  labels: number[];
}

const IMAGE_COLUMNS = `i.image_id, f.path, i.frame, st.patient_id, i.study_uid, i.series_uid`;
const IMAGE_JOIN = `FROM instances i JOIN files f USING (file_id) JOIN studies st ON st.study_uid = i.study_uid`;

interface ImageRow { image_id: string; path: string; frame: number | null; patient_id: string; study_uid: string; series_uid: string }

function toImage(r: ImageRow): ImageRecord {
  return { imageId: r.image_id, path: r.path, frame: r.frame, patientId: r.patient_id, studyUid: r.study_uid, seriesUid: r.series_uid };
}

/** Indexed images with usable labels (not excluded), ordered by image id. */
export function labeledImages(ws: Workspace): LabeledImage[] {
  const cols = LABELS.map((l) => `l."${l}"`).join(', ');
  const rows = ws.db.prepare(`SELECT ${IMAGE_COLUMNS}, ${cols} ${IMAGE_JOIN} JOIN labels l ON l.image_id = i.image_id
    WHERE l.excluded = 0 ORDER BY i.image_id`).all() as unknown as (ImageRow & Record<string, number>)[];
  return rows.map((r) => ({ ...toImage(r), labels: LABELS.map((l) => r[l]!) }));
}

/**
 * The labelled images of labeledImages (same order) as columns, for the stages that hold every labelled
 * image at once (at the RSNA size 752,797): ids, labels (6 per image) and each image's patient and study as
 * indices into `patients` and `studies` (each listed once, in order of first appearance), without a record
 * object per image.
 */
export interface LabelledImageTable {
  ids: string[];
  labels: Uint8Array;
  patient: Int32Array;
  patients: string[];
  study: Int32Array;
  studies: string[];
}

export function labelledImageTable(ws: Workspace): LabelledImageTable {
  const cols = LABELS.map((l, k) => `l."${l}" AS y${k}`).join(', ');
  const sql = `SELECT i.image_id, st.patient_id, i.study_uid, ${cols} ${IMAGE_JOIN} JOIN labels l ON l.image_id = i.image_id WHERE l.excluded = 0 ORDER BY i.image_id`;
  const n = Number((ws.db.prepare(`SELECT COUNT(*) AS n FROM (${sql})`).get() as { n: number }).n);
  const ids: string[] = [];
  const labels = new Uint8Array(n * LABELS.length);
  const patient = new Int32Array(n);
  const study = new Int32Array(n);
  const patients: string[] = [];
  const studies: string[] = [];
  const patientIndex = new Map<string, number>();
  const studyIndex = new Map<string, number>();
  const intern = (index: Map<string, number>, list: string[], v: string): number => {
    let k = index.get(v);
    if (k === undefined) index.set(v, (k = list.push(v) - 1));
    return k;
  };
  let i = 0;
  for (const r of ws.db.prepare(sql).iterate() as Iterable<Record<string, string | number>>) {
    if (i >= n) break; // a write between the count and the read (the index is in WAL mode): keep the counted rows
    ids.push(String(r.image_id));
    for (let k = 0; k < LABELS.length; k++) labels[i * LABELS.length + k] = Number(r[`y${k}`]);
    patient[i] = intern(patientIndex, patients, String(r.patient_id));
    study[i++] = intern(studyIndex, studies, String(r.study_uid));
  }
  return { ids, labels: labels.subarray(0, i * LABELS.length), patient: patient.subarray(0, i), patients, study: study.subarray(0, i), studies };
}

/** Indexed images without labels (the "test" side of feature extraction), ordered by image id. */
export function unlabeledImages(ws: Workspace): ImageRecord[] {
  const rows = ws.db.prepare(`SELECT ${IMAGE_COLUMNS} ${IMAGE_JOIN} LEFT JOIN labels l ON l.image_id = i.image_id
    WHERE l.image_id IS NULL ORDER BY i.image_id`).all() as unknown as ImageRow[];
  return rows.map(toImage);
}

// ---- folds ----

/** How a fold set was drawn (data/folds.ts): part of its key, with the number of folds and the seed. */
export type FoldScheme = 'kfold' | 'stratified';

export function loadFolds(ws: Workspace, nFolds: number, seed: number, scheme: FoldScheme = 'kfold'): Map<string, number> {
  const rows = ws.db.prepare('SELECT patient_id, fold FROM folds WHERE n_folds = ? AND seed = ? AND scheme = ?').all(nFolds, seed, scheme) as { patient_id: string; fold: number }[];
  return new Map(rows.map((r) => [r.patient_id, r.fold]));
}

/** Adds fold assignments for new patients (existing ones never move: every stage shares them). */
export function addFolds(ws: Workspace, nFolds: number, seed: number, assignments: Map<string, number>, scheme: FoldScheme = 'kfold'): number {
  const batch = ((ws.db.prepare('SELECT MAX(batch) b FROM folds WHERE n_folds = ? AND seed = ? AND scheme = ?').get(nFolds, seed, scheme) as { b: number | null }).b ?? -1) + 1;
  const ins = ws.db.prepare('INSERT OR IGNORE INTO folds (n_folds, seed, scheme, patient_id, fold, batch) VALUES (?, ?, ?, ?, ?, ?)');
  let added = 0;
  ws.transaction(() => {
    for (const [pid, fold] of assignments) added += Number(ins.run(nFolds, seed, scheme, pid, fold, batch).changes);
  });
  return added;
}

// ---- runs ----

export interface RunRecord {
  id: string;
  stage: string;
  preset: string;
  modelName: string;
  fold: number | null;
  nFolds: number | null;
  status: RunStatus;
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  error: string | null;
  pid: number | null;
  startedAt: string;
  updatedAt: string;
}

interface RunRow {
  run_id: string; stage: string; preset: string; model_name: string; fold: number | null; n_folds: number | null; status: RunStatus;
  config_json: string; metrics_json: string; error: string | null; pid: number | null; started_at: string; updated_at: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function toRun(r: RunRow): RunRecord {
  // A run whose process died without saying so (killed, crashed) reads as failed.
  const dead = r.status === 'running' && r.pid !== null && r.pid !== process.pid && !processAlive(r.pid);
  return {
    id: r.run_id, stage: r.stage, preset: r.preset, modelName: r.model_name, fold: r.fold, nFolds: r.n_folds,
    status: dead ? 'failed' : r.status,
    config: JSON.parse(r.config_json) as Record<string, unknown>,
    metrics: JSON.parse(r.metrics_json) as Record<string, unknown>,
    error: dead ? (r.error ?? `process ${r.pid} ended without finishing (killed?); resume with --resume ${r.run_id}`) : r.error,
    pid: r.pid, startedAt: r.started_at, updatedAt: r.updated_at,
  };
}

export function createRun(ws: Workspace, run: { id: string; stage: string; preset: string; modelName: string; fold: number | null; nFolds: number | null; config: object }): void {
  const now = new Date().toISOString();
  ws.db.prepare(`INSERT INTO runs (run_id, stage, preset, model_name, fold, n_folds, status, config_json, pid, started_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`).run(run.id, run.stage, run.preset, run.modelName, run.fold, run.nFolds, JSON.stringify(run.config), process.pid, now, now);
}

export function updateRun(ws: Workspace, id: string, patch: { status?: RunStatus; metrics?: object; error?: string | null; claim?: boolean }): void {
  const sets: string[] = ['updated_at = ?'];
  const args: (string | number | null)[] = [new Date().toISOString()];
  if (patch.status !== undefined) { sets.push('status = ?'); args.push(patch.status); }
  if (patch.metrics !== undefined) { sets.push('metrics_json = ?'); args.push(JSON.stringify(patch.metrics)); }
  if (patch.error !== undefined) { sets.push('error = ?'); args.push(patch.error); }
  if (patch.claim) { sets.push('pid = ?'); args.push(process.pid); }
  args.push(id);
  ws.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE run_id = ?`).run(...args);
}

export function getRun(ws: Workspace, id: string): RunRecord | undefined {
  const r = ws.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(id) as RunRow | undefined;
  return r ? toRun(r) : undefined;
}

export function listRuns(ws: Workspace): RunRecord[] {
  return (ws.db.prepare('SELECT * FROM runs ORDER BY started_at, run_id').all() as unknown as RunRow[]).map(toRun);
}

/** The rows of `ich runs --json` and of the api's listRuns (one shape for both). */
export function listRunSummaries(ws: Workspace): RunSummary[] {
  return listRuns(ws).map((r) => ({
    id: r.id, stage: r.stage, preset: r.preset, fold: r.fold, status: r.status, metrics: r.metrics,
    model: r.modelName, nFolds: r.nFolds, startedAt: r.startedAt, updatedAt: r.updatedAt, error: r.error,
  }));
}

// ---- models and feature sets ----

export interface ModelRecord {
  id: string;
  stage: string;
  modelName: string;
  fold: number | null;
  nFolds: number | null;
  runId: string | null;
  featureSize: number | null;
  metrics: Record<string, unknown>;
  createdAt: string;
}

export function upsertModel(ws: Workspace, m: Omit<ModelRecord, 'createdAt'>): void {
  ws.db.prepare(`INSERT OR REPLACE INTO models (model_id, stage, model_name, fold, n_folds, run_id, feature_size, metrics_json, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(m.id, m.stage, m.modelName, m.fold, m.nFolds, m.runId, m.featureSize, JSON.stringify(m.metrics), new Date().toISOString());
}

interface ModelRow { model_id: string; stage: string; model_name: string; fold: number | null; n_folds: number | null; run_id: string | null; feature_size: number | null; metrics_json: string; created_at: string }

function toModel(r: ModelRow): ModelRecord {
  return { id: r.model_id, stage: r.stage, modelName: r.model_name, fold: r.fold, nFolds: r.n_folds, runId: r.run_id, featureSize: r.feature_size,
    metrics: JSON.parse(r.metrics_json) as Record<string, unknown>, createdAt: r.created_at };
}

export function getModel(ws: Workspace, id: string): ModelRecord | undefined {
  const r = ws.db.prepare('SELECT * FROM models WHERE model_id = ?').get(id) as ModelRow | undefined;
  return r ? toModel(r) : undefined;
}

export function listModels(ws: Workspace, stage?: string): ModelRecord[] {
  const rows = stage === undefined
    ? ws.db.prepare('SELECT * FROM models ORDER BY model_id').all()
    : ws.db.prepare('SELECT * FROM models WHERE stage = ? ORDER BY model_id').all(stage);
  return (rows as unknown as ModelRow[]).map(toModel);
}

export interface FeatureSetRecord {
  modelId: string;
  dir: string;
  trainImages: number;
  testImages: number;
  trainCopies: number;
  testCopies: number;
  featureSize: number;
}

export function upsertFeatureSet(ws: Workspace, f: FeatureSetRecord): void {
  ws.db.prepare(`INSERT OR REPLACE INTO feature_sets (model_id, dir, train_images, test_images, train_copies, test_copies, feature_size, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(f.modelId, f.dir, f.trainImages, f.testImages, f.trainCopies, f.testCopies, f.featureSize, new Date().toISOString());
}

// ---- sample weights ----

/** Replaces the stored per-image sample weights (docs/seed-pipeline.md section 5). */
export function saveSampleWeights(ws: Workspace, weights: Iterable<readonly [string, number]>): void {
  const ins = ws.db.prepare('INSERT INTO sample_weights (image_id, weight) VALUES (?, ?)');
  ws.transaction(() => {
    ws.db.exec('DELETE FROM sample_weights');
    for (const [id, w] of weights) ins.run(id, w);
  });
}

/**
 * The stored sample weights of the images `index` numbers (id -> row), as one array by row (NaN where an
 * image has none), and how many weights are stored in all: no Map of every weight.
 */
export function sampleWeightsByRow(ws: Workspace, index: ReadonlyMap<string, number>, rows: number): { weights: Float64Array; stored: number } {
  const weights = new Float64Array(rows).fill(Number.NaN);
  let stored = 0;
  for (const r of ws.db.prepare('SELECT image_id, weight FROM sample_weights').iterate() as Iterable<{ image_id: string; weight: number }>) {
    stored++;
    const i = index.get(r.image_id);
    if (i !== undefined && i >= 0 && i < rows) weights[i] = r.weight;
  }
  return { weights, stored };
}

export function loadSampleWeights(ws: Workspace): Map<string, number> {
  const rows = ws.db.prepare('SELECT image_id, weight FROM sample_weights').all() as { image_id: string; weight: number }[];
  return new Map(rows.map((r) => [r.image_id, r.weight]));
}
