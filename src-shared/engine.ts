// The engine contract's data: every record, query and event the renderer exchanges with the engine, whatever
// the transport (HTTP + WebSocket through `ich serve`, Electron IPC in the desktop app). Types only, plus the
// label order; the methods that carry them are engine-methods.ts, the request checks engine-validate.ts.
// No Node or DOM imports: every process imports this file.
import { LABELS, type Label } from './labels.ts';
import type { PipelineStage, TrainPresetName } from './stages.ts';
import type { TrainJobState } from './training.ts';

/** The six labels in the project's order (labels.ts LABELS); `any` is last. */
export const ENGINE_LABELS = LABELS;
export type EngineLabel = Label;

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
  /**
   * Per label, how many of the study's slices have a probability (the higher of safe and risky) at or above the
   * threshold: which subtypes the models see, and on how many slices. Absent without predictions (and from an
   * engine older than it).
   */
  slicesAbove?: Record<EngineLabel, number>;
  /** DICOM TM (HHMMSS.frac) of the study as one of its slices' headers gives it; "" when none does (absent from an older engine). */
  studyTime?: string;
  /**
   * The study's key images: its (at most KEY_IMAGES) slices with the highest `any` (the higher of safe and
   * risky), highest first; absent without predictions (and from an engine older than it).
   */
  keyImages?: KeyImage[];
}

/** How many key images a worklist row carries. */
export const KEY_IMAGES = 3;

/** One of a study's top slices, with what the renderer needs to draw its thumbnail and open it. */
export interface KeyImage {
  seriesUid: string;
  imageId: string;
  /** The frame (from 1) in a multi-frame file; null for single-frame. */
  frame: number | null;
  /** The file's URL, as SliceInfo.dicomUrl gives it. */
  dicomUrl: string;
  /** The higher of the safe and risky `any`. */
  pAny: number;
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
  /** Absolute folder of `ich weights import` bodies the base CNNs start from (`--init`); excludes fromScratch. */
  initDir?: string;
  /** Base CNNs from random init with the preset's from-scratch rates (`--from-scratch`); only `true` is sent. */
  fromScratch?: boolean;
  /** Absolute unlabelled test DICOM folders, 1..MAX_TEST_DIRS, scanned first (`--test`). */
  testDirs?: string[];
}


/** A file a scan could not index (not DICOM, unreadable, no pixels, not CT, an unsupported encoding) and why. */
export interface ScanProblemRecord {
  path: string;
  kind: 'not_dicom' | 'unreadable' | 'no_pixels' | 'not_ct' | 'unsupported';
  /** One line. */
  message: string;
}

/** What predictStudies predicts: these studies, or (without studyUids) every indexed CT slice still without a prediction. */
export interface PredictStudiesRequest {
  studyUids?: string[];
}

/** What getSaliency computes: the map of one label on one slice. */
export interface SaliencyRequest {
  imageId: string;
  label: EngineLabel;
}

/** How a saliency map was made: Grad-CAM on the base CNN's last feature map, or SmoothGrad input gradients. */
export type SaliencyMethod = 'grad-cam' | 'smoothgrad';

/**
 * Where the active model version's base CNNs look for one label on one slice, as a heat map over the stored
 * image's whole pixel grid (columns x rows, at a coarser resolution: width / height = columns / rows).
 */
export interface SaliencyMap {
  imageId: string;
  label: EngineLabel;
  /** The model version whose base CNNs made it (v1, v2 ...). */
  version: string;
  method: SaliencyMethod;
  /** The base CNNs averaged (one per fold), by model id. */
  models: string[];
  width: number;
  height: number;
  /** Row-major width x height, 0..1 (1: the strongest attention on this slice for this label). */
  values: number[];
  /** Milliseconds the engine spent on it (0 when it came from its cache). */
  ms: number;
  cached: boolean;
}
