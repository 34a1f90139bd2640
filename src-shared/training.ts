// Training job events and records shared by the CLI, the engine host and the renderer (types only; the
// stage and preset lists are stages.ts).
import type { PipelineStage } from './stages.ts';

export type RunStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** One line of `ich runs --json`. */
export interface RunSummary {
  id: string;
  stage: string;
  preset: string;
  fold: number | null;
  status: RunStatus;
  metrics: Record<string, unknown>;
  model?: string;
  nFolds?: number | null;
  startedAt?: string;
  updatedAt?: string;
  error?: string | null;
}

/** Where a training run is: the model, fold and epoch a batch or epoch event belongs to. */
export interface TrainPosition {
  runId: string;
  stage: string;
  model: string;
  fold: number;
  epoch: number;
  epochs: number;
}

/** Emitted after every training batch. */
export interface TrainBatchEvent extends TrainPosition {
  type: 'batch';
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  imagesPerSec: number;
  etaSec: number;
  backend: string;
}

/** Emitted after every epoch's validation. */
export interface TrainEpochEvent extends TrainPosition {
  type: 'epoch';
  trainLoss: number;
  /** The seed's my_loss on the validation fold (mean over N x 6 of w_k BCE, any x2). */
  valLoss: number;
  /** The competition metric on the validation fold (docs/seed-pipeline.md section 8). */
  valMetric: number;
  perClass: Record<string, number>;
  seconds: number;
}

/** Emitted for each feature-extraction batch. */
export interface FeatureProgressEvent {
  type: 'features';
  modelId: string;
  split: 'train' | 'test';
  done: number;
  total: number;
  imagesPerSec: number;
}

export interface JobMessageEvent {
  type: 'message';
  runId?: string;
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** A pipeline stage starts, finishes one unit of work (a model trained, a feature set written), ends or is skipped. */
export interface PipelineStageEvent {
  type: 'stage';
  stage: PipelineStage;
  status: 'started' | 'running' | 'done' | 'skipped';
  /** Units of work of the stage (models or feature sets) and how many are finished (trained before included). */
  units: number;
  done: number;
}

export type TrainingEvent = TrainBatchEvent | TrainEpochEvent | FeatureProgressEvent | JobMessageEvent | PipelineStageEvent;

// ---- training jobs launched from the GUI (engine host: host/training-jobs.ts) ----

export type TrainJobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
/** A stage row's state; a stage still running when its job ends becomes failed or cancelled, as the job. */
export type StageState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

/**
 * A training run: a preset, the stages, optionally data to scan and labels to import first. Over the engine
 * API `preset` is one of TRAIN_PRESETS (validated); the engine host itself also takes a preset file (tests, CLI).
 */
export interface TrainRequest {
  preset: string;
  stages?: PipelineStage[];
  /** Absolute DICOM folder scanned before training. */
  data?: string;
  /** Absolute RSNA-format labels CSV imported before training. */
  labels?: string;
  /** Patient folds (`--folds`); default: the preset's. */
  folds?: number;
  /** Absolute folder of `ich weights import` bodies the base CNNs start from (`--init`); excludes fromScratch. */
  initDir?: string;
  /** Base CNNs from random init, with the preset's from-scratch rates (`--from-scratch`); excludes initDir. */
  fromScratch?: boolean;
  /** Absolute unlabelled test DICOM folders scanned first (`--test`): the risky ensemble's sample weights aim at them. */
  testDirs?: string[];
}

export interface TrainJobState {
  jobId: string;
  request: TrainRequest;
  status: TrainJobStatus;
  startedAt: string;
  endedAt?: string;
  stage?: PipelineStage;
  stages: Record<PipelineStage, { state: StageState; units: number; done: number }>;
  batch?: TrainBatchEvent;
  features?: FeatureProgressEvent;
  lastEpoch?: TrainEpochEvent;
  /**
   * Seconds left for the whole job (every stage still to run), estimated from the stage units (see
   * host/training-jobs.ts); absent until there is progress to estimate from, and once the job ended.
   */
  etaSec?: number;
  /** Latest log line of the child (stderr) or message event. */
  message?: string;
  /** One line, when failed. */
  error?: string;
  /** The report's metric per stage, when done, and the model version the run made (absent when it ran no ensembles). */
  report?: { baseline: number; stages: { name: string; oofMetric: number }[]; version?: string };
  /**
   * The cancelled or failed job this one continues (the same request again: the pipeline resumes where
   * that one stopped); its charts' history carries on from that job's.
   */
  resumes?: string;
}

export interface TrainHistory {
  jobId: string;
  epochs: TrainEpochEvent[];
  /** Batch losses, thinned to at most 2000 points (every other point dropped when full). */
  losses: { step: number; loss: number; model: string; fold: number; stage: string }[];
}

// ---- model versions (store/versions.ts; `ich models list|promote`) ----

export type VersionStatus = 'active' | 'candidate' | 'archived';

/** One bin of a reliability diagram: the mean predicted probability of its slices, the rate observed among them, how many. */
export interface ReliabilityBin {
  p: number;
  observed: number;
  n: number;
}

/** One label's out-of-fold calibration: sensitivity and specificity at the flag threshold and a 10-bin reliability diagram. */
export interface ClassCalibration {
  threshold: number;
  /** Positives at or above the threshold / positives; null without positives. */
  sensitivity: number | null;
  /** Negatives below the threshold / negatives; null without negatives. */
  specificity: number | null;
  positives: number;
  negatives: number;
  /** Equal-width bins over [0, 1] (the last one closed); empty bins left out. */
  bins: ReliabilityBin[];
}

/** A pipeline run's report.json: the out-of-fold metric of every stage, against the prevalence baseline. */
export interface VersionReport {
  baseline: number;
  /** The prevalence baseline per label (reports from before it was recorded lack it). */
  baselinePerClass?: Record<string, number>;
  stages: {
    name: string; oofMetric: number; perClass: Record<string, number>; n: number; models: string[]; worseThanBaseline?: boolean;
    /** The ensembles' per-label calibration (reports from before it was recorded lack it). */
    calibration?: Record<string, ClassCalibration>;
  }[];
  preset?: string;
  images?: number;
  createdAt?: string;
}

/** One row of `ich models list --json` and of the api's listVersions, newest first. */
export interface VersionSummary {
  version: string;
  status: VersionStatus;
  createdAt: string;
  preset: string;
  report: VersionReport | null;
  /** What it was trained on: counts and hashes of studies, images, labels, folds and preset. */
  fingerprint: Record<string, unknown>;
  promotedAt: string | null;
}

export interface PromoteResult {
  /** The version now active, and the one it replaced. */
  active: string;
  previous: string | null;
}
