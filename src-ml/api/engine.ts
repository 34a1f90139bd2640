// The engine contract: every request, response and event the renderer exchanges with the engine, whatever
// the transport (HTTP + WebSocket through `ich serve` today, Electron IPC later). Types plus the runtime
// validators a transport runs on every request it receives. No Node or DOM imports: the renderer may import
// this file.
import {
  PIPELINE_STAGES, TRAIN_PRESETS, type PipelineStage, type PromoteResult, type RunSummary, type TrainHistory, type TrainJobState, type TrainPresetName,
  type VersionSummary,
} from './training.ts';

/** The six labels in the project's order (= store/schema LABELS, metrics METRIC_LABELS); `any` is last. */
export const ENGINE_LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'] as const;
export type EngineLabel = (typeof ENGINE_LABELS)[number];

/** Six probabilities in ENGINE_LABELS order. */
export type Probs6 = number[];

export const DEFAULT_FLAG_THRESHOLD = 0.5;

// ---- responses ----

export interface EngineInfo {
  /** Absolute workspace folder. */
  workspace: string;
  /** Compute backend of the engine process, when it has loaded one (the web host does not). */
  backend?: string;
  counts: { studies: number; series: number; slices: number };
  models: { id: string; stage: string; fold: number | null; createdAt: string }[];
  ensemble: { createdAt: string; version: string; members: string[]; safeKept: string[]; riskyKept: string[] } | null;
  labels: EngineLabel[];
  /** The active model version (what predictions and the viewer show), null before the first. */
  activeVersion?: string | null;
}

export interface StudyQuery {
  /** Case-insensitive substring of patient id/name, study date, description or study UID. */
  filter?: string;
  /** `any` probability at or above which a study is flagged (default 0.5). */
  threshold?: number;
}

/** One worklist row. Sorted by priority: flagged first, then highest `any` (of safe and risky) desc, then date desc. */
export interface StudyRow {
  studyUid: string;
  patientId: string;
  patientName: string;
  /** DICOM DA (YYYYMMDD) as stored; may be empty. */
  studyDate: string;
  description: string;
  seriesCount: number;
  sliceCount: number;
  /** Highest `any` probability over the study's slices; null without predictions. */
  maxAnySafe: number | null;
  maxAnyRisky: number | null;
  /** max(maxAnySafe, maxAnyRisky) >= threshold. */
  flagged: boolean;
}

export interface SeriesSummary {
  seriesUid: string;
  studyUid: string;
  modality: string;
  seriesNumber: number | null;
  description: string;
  manufacturer: string;
  sliceCount: number;
  maxAnySafe: number | null;
  maxAnyRisky: number | null;
}

export interface SliceInfo {
  imageId: string;
  sopInstanceUid: string;
  /** Frame number from 1 for multi-frame files; null for single-frame files. */
  frame: number | null;
  /** Position in slice order, from 0. */
  index: number;
  /** Location along the slice normal, mm; null without geometry. */
  position: number | null;
  thickness: number | null;
  windowCenter: number | null;
  windowWidth: number | null;
  instanceNumber: number | null;
  /** Where the transport serves this slice's file bytes (relative URL over HTTP). */
  dicomUrl: string;
}

export interface SeriesDetail {
  seriesUid: string;
  studyUid: string;
  patientId: string;
  modality: string;
  rows: number | null;
  columns: number | null;
  slices: SliceInfo[];
  warnings: string[];
}

export interface ModelInfo {
  name: string;
  /** Short hash of the fitted ensemble: changes whenever it is refitted. */
  version: string;
  trainedAt: string;
  members: string[];
  /** The model version these predictions come from (v1, v2 ...); absent before versions existed. */
  modelVersion?: string;
}

export interface SlicePrediction {
  imageId: string;
  safe: Probs6 | null;
  risky: Probs6 | null;
  /** The image was labelled and predicted out of fold (a validation prediction, not a test one). */
  oof: boolean;
}

export interface SeriesPredictions {
  seriesUid: string;
  labels: EngineLabel[];
  /** In slice order, one per slice of getSeries. */
  slices: SlicePrediction[];
  /** Per label, the display threshold (ticks on the strip, overlay). */
  thresholds: number[];
  model: ModelInfo | null;
}

export interface MemberDetail {
  name: string;
  /** A: shallow NN family, B: Pooled-Res family; null when the stored ensemble does not list it. */
  group: 'A' | 'B' | null;
  probs: Probs6;
  /** Consistency bounding: `any` raised to the top subtype / lowered to the mean with the subtypes' sum. */
  bounded: { anyRaised: boolean; anyLowered: boolean };
  keptIn: ('safe' | 'risky')[];
}

export interface SliceDetail {
  imageId: string;
  seriesUid: string;
  /** The DICOM header dump: "GGGG,EEEE" -> value as text. */
  header: Record<string, string>;
  /** The seed's metadata columns as indexed (named). */
  fields: Record<string, string | number | null>;
  metadataFeatures: {
    /** The 38 continuous inputs: 16 booleans then 22 floats. */
    names: string[];
    /** Before the final affine scaling (booleans as 0/1); null where undefined. */
    raw: (number | null)[];
    scaled: number[];
    categorical: { names: string[]; values: number[] };
  } | null;
  members: MemberDetail[];
  /** Per label [wA, wB] of each ensemble's two-group blend; null when that ensemble is not fitted. */
  blend: { safe: [number, number][] | null; risky: [number, number][] | null };
  safe: Probs6 | null;
  risky: Probs6 | null;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobEvent {
  type: 'job';
  jobId: string;
  /** scan: a folder indexed; predict: studies predicted with the active model version. */
  kind: 'scan' | 'predict';
  stage: string;
  done: number;
  total: number;
  item?: string;
  status: JobStatus;
  /** One line, when failed. */
  error?: string;
  /** When done: what the scan did. */
  result?: { indexed: number; unchanged: number; removed: number; problems: number };
  /** When a predict job is done: the slices it predicted. */
  predicted?: number;
}

/** The active model version changed (a promote or rollback): stored predictions changed with it. */
export interface VersionsEvent {
  type: 'versions';
  active: string | null;
}

/** A training job's state changed (stage progress, a batch, an epoch, the end). */
export interface TrainingJobEvent {
  type: 'training';
  state: TrainJobState;
}

export type EngineEvent = JobEvent | TrainingJobEvent | VersionsEvent;

/** What the GUI may launch: a preset by name, the stages (default all), optionally data and labels to add first. */
export interface StartTrainingRequest {
  preset: TrainPresetName;
  stages?: PipelineStage[];
  /** Absolute DICOM folder scanned before training. */
  data?: string;
  /** Absolute RSNA-format labels CSV imported before training. */
  labels?: string;
  /** Patient folds, 2..20 (`ich pipeline --folds`); default: the preset's. */
  folds?: number;
}

// ---- the interface both transports implement ----

export interface EngineClient {
  info(): Promise<EngineInfo>;
  listStudies(query?: StudyQuery): Promise<StudyRow[]>;
  getSeriesList(studyUid: string): Promise<SeriesSummary[]>;
  getSeries(seriesUid: string): Promise<SeriesDetail>;
  getPredictions(seriesUid: string): Promise<SeriesPredictions>;
  getSliceDetail(imageId: string): Promise<SliceDetail>;
  /** Indexes a folder in the background; progress arrives as job events. */
  addFolder(path: string): Promise<{ jobId: string }>;
  /** Latest event of every job this engine ran (for a renderer that reconnects). */
  listJobs(): Promise<JobEvent[]>;
  /** Launches a training run in a child process (one at a time); progress arrives as training events. */
  startTraining(req: StartTrainingRequest): Promise<{ jobId: string }>;
  /** Stops a running training job (what it committed stays; launching the same request again resumes). */
  cancelTraining(jobId: string): Promise<{ cancelled: boolean }>;
  /** Latest state of every training job this engine ran. */
  listTrainingJobs(): Promise<TrainJobState[]>;
  /** Epoch records and batch losses of one training job, for the charts. */
  getTrainingHistory(jobId: string): Promise<TrainHistory>;
  /** The workspace's training runs (as `ich runs --json`). */
  listRuns(): Promise<RunSummary[]>;
  /** Model versions, newest first (as `ich models list --json`). */
  listVersions(): Promise<VersionSummary[]>;
  /** Makes a version active (promote a candidate, or roll back to an archived one); emits a versions event. */
  promoteVersion(version: string): Promise<PromoteResult>;
  /**
   * Predicts studies with the active version in the background (a 'predict' job); without studyUids,
   * every indexed CT slice still without a prediction.
   */
  predictStudies(req: PredictStudiesRequest): Promise<{ jobId: string }>;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (e: EngineEvent) => void): () => void;
}

/** Request bodies by method: the JSON a transport carries (POST /api/<method> over HTTP). */
export interface EngineRequests {
  info: Record<string, never>;
  listStudies: StudyQuery;
  getSeriesList: { studyUid: string };
  getSeries: { seriesUid: string };
  getPredictions: { seriesUid: string };
  getSliceDetail: { imageId: string };
  addFolder: { path: string };
  listJobs: Record<string, never>;
  startTraining: StartTrainingRequest;
  cancelTraining: { jobId: string };
  listTrainingJobs: Record<string, never>;
  getTrainingHistory: { jobId: string };
  listRuns: Record<string, never>;
  listVersions: Record<string, never>;
  promoteVersion: { version: string };
  predictStudies: PredictStudiesRequest;
}

export interface PredictStudiesRequest {
  studyUids?: string[];
}

export type EngineMethod = keyof EngineRequests;

export interface EngineResponses {
  info: EngineInfo;
  listStudies: StudyRow[];
  getSeriesList: SeriesSummary[];
  getSeries: SeriesDetail;
  getPredictions: SeriesPredictions;
  getSliceDetail: SliceDetail;
  addFolder: { jobId: string };
  listJobs: JobEvent[];
  startTraining: { jobId: string };
  cancelTraining: { cancelled: boolean };
  listTrainingJobs: TrainJobState[];
  getTrainingHistory: TrainHistory;
  listRuns: RunSummary[];
  listVersions: VersionSummary[];
  promoteVersion: PromoteResult;
  predictStudies: { jobId: string };
}

// ---- errors and validation ----

export type EngineErrorCode = 'invalid' | 'not_found' | 'internal';

/** An error a transport reports as-is: one line, with a code it maps to a status (400, 404, 500). */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'EngineError';
    this.code = code;
  }
}

const invalid = (message: string): never => {
  throw new EngineError('invalid', message);
};

/** DICOM UIDs (digits and dots), RSNA ids (ID_0a1b2c), frames (`<uid>#<n>`): no slashes, spaces or controls. */
export const ID_PATTERN = /^[A-Za-z0-9._#-]{1,128}$/;
const MAX_PATH = 4096;
const MAX_FILTER = 200;
/** Patient folds a training request may ask for (startTraining.folds). */
export const MIN_FOLDS = 2;
export const MAX_FOLDS = 20;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(body: Record<string, unknown>, method: string, allowed: readonly string[]): void {
  for (const k of Object.keys(body)) if (!allowed.includes(k)) invalid(`${method}: unknown field "${k.slice(0, 40)}"`);
}

export function validateId(v: unknown, field: string): string {
  if (typeof v !== 'string') return invalid(`${field} must be a string`);
  if (!ID_PATTERN.test(v)) return invalid(`${field} must be 1-128 characters of A-Z a-z 0-9 . _ # -`);
  return v;
}

/** POSIX absolute, Windows drive absolute (C:\ or C:/) or UNC (\\server\share). */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]/.test(p);
}

export function validatePath(v: unknown, field: string): string {
  if (typeof v !== 'string') return invalid(`${field} must be a string`);
  if (v.length === 0 || v.length > MAX_PATH) return invalid(`${field} must be 1-${MAX_PATH} characters`);
  if (/[\u0000-\u001f]/.test(v)) return invalid(`${field} must not contain control characters`);
  if (!isAbsolutePath(v)) return invalid(`${field} must be an absolute path`);
  return v;
}

function validateFilter(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return invalid('filter must be a string');
  if (v.length > MAX_FILTER) return invalid(`filter must be at most ${MAX_FILTER} characters`);
  if (/[\u0000-\u001f]/.test(v)) return invalid('filter must not contain control characters');
  return v;
}

function validateProbability(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) return invalid(`${field} must be a finite number`);
  if (v < 0 || v > 1) return invalid(`${field} must be between 0 and 1`);
  return v;
}

function validateStages(v: unknown): PipelineStage[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0) return invalid(`stages must be a non-empty array of ${PIPELINE_STAGES.join(', ')}`);
  const out: PipelineStage[] = [];
  for (const s of v) {
    if (typeof s !== 'string' || !(PIPELINE_STAGES as readonly string[]).includes(s)) {
      return invalid(`stages: unknown stage ${JSON.stringify(s).slice(0, 40)}; known: ${PIPELINE_STAGES.join(', ')}`);
    }
    if (out.includes(s as PipelineStage)) return invalid(`stages: "${s}" given twice`);
    out.push(s as PipelineStage);
  }
  // In pipeline order, whatever order the caller listed them in.
  return PIPELINE_STAGES.filter((s) => out.includes(s));
}

function validateStartTraining(b: Record<string, unknown>): StartTrainingRequest {
  only(b, 'startTraining', ['preset', 'stages', 'data', 'labels', 'folds']);
  if (typeof b.preset !== 'string' || !(TRAIN_PRESETS as readonly string[]).includes(b.preset)) {
    return invalid(`preset must be one of ${TRAIN_PRESETS.join(', ')}`);
  }
  const req: StartTrainingRequest = { preset: b.preset as TrainPresetName };
  const stages = validateStages(b.stages);
  if (stages) req.stages = stages;
  if (b.data !== undefined) req.data = validatePath(b.data, 'data');
  if (b.labels !== undefined) req.labels = validatePath(b.labels, 'labels');
  if (b.folds !== undefined) {
    if (typeof b.folds !== 'number' || !Number.isInteger(b.folds) || b.folds < MIN_FOLDS || b.folds > MAX_FOLDS) {
      return invalid(`folds must be an integer from ${MIN_FOLDS} to ${MAX_FOLDS}`);
    }
    req.folds = b.folds;
  }
  return req;
}

type Validators = { [M in EngineMethod]: (body: Record<string, unknown>) => EngineRequests[M] };

const VALIDATORS: Validators = {
  info: (b) => (only(b, 'info', []), {}),
  listJobs: (b) => (only(b, 'listJobs', []), {}),
  listStudies: (b) => {
    only(b, 'listStudies', ['filter', 'threshold']);
    const q: StudyQuery = {};
    const filter = validateFilter(b.filter);
    const threshold = validateProbability(b.threshold, 'threshold');
    if (filter !== undefined) q.filter = filter;
    if (threshold !== undefined) q.threshold = threshold;
    return q;
  },
  getSeriesList: (b) => (only(b, 'getSeriesList', ['studyUid']), { studyUid: validateId(b.studyUid, 'studyUid') }),
  getSeries: (b) => (only(b, 'getSeries', ['seriesUid']), { seriesUid: validateId(b.seriesUid, 'seriesUid') }),
  getPredictions: (b) => (only(b, 'getPredictions', ['seriesUid']), { seriesUid: validateId(b.seriesUid, 'seriesUid') }),
  getSliceDetail: (b) => (only(b, 'getSliceDetail', ['imageId']), { imageId: validateId(b.imageId, 'imageId') }),
  addFolder: (b) => (only(b, 'addFolder', ['path']), { path: validatePath(b.path, 'path') }),
  startTraining: validateStartTraining,
  cancelTraining: (b) => (only(b, 'cancelTraining', ['jobId']), { jobId: validateId(b.jobId, 'jobId') }),
  listTrainingJobs: (b) => (only(b, 'listTrainingJobs', []), {}),
  getTrainingHistory: (b) => (only(b, 'getTrainingHistory', ['jobId']), { jobId: validateId(b.jobId, 'jobId') }),
  listRuns: (b) => (only(b, 'listRuns', []), {}),
  listVersions: (b) => (only(b, 'listVersions', []), {}),
  promoteVersion: (b) => {
    only(b, 'promoteVersion', ['version']);
    if (typeof b.version !== 'string' || !/^v[1-9][0-9]{0,8}$/.test(b.version)) return invalid('version must look like v1, v2 ...');
    return { version: b.version };
  },
  predictStudies: (b) => {
    only(b, 'predictStudies', ['studyUids']);
    if (b.studyUids === undefined) return {};
    if (!Array.isArray(b.studyUids) || b.studyUids.length === 0 || b.studyUids.length > 10000) return invalid('studyUids must be a list of 1 to 10000 study UIDs');
    return { studyUids: b.studyUids.map((u, i) => validateId(u, `studyUids[${i}]`)) };
  },
};

export const ENGINE_METHODS = Object.keys(VALIDATORS) as EngineMethod[];

export function isEngineMethod(name: string): name is EngineMethod {
  return Object.hasOwn(VALIDATORS, name);
}

/** Checks one request body (undefined = {}); throws EngineError('invalid') with one line. */
export function validateRequest<M extends EngineMethod>(method: M, body: unknown): EngineRequests[M] {
  const b = body === undefined || body === null ? {} : body;
  if (!isObject(b)) return invalid(`${method}: the request body must be a JSON object`);
  return VALIDATORS[method](b);
}
