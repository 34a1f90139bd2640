// Training job events and records shared by the CLI, the engine host and the renderer (types only).

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

/** Emitted after every training batch. */
export interface TrainBatchEvent {
  type: 'batch';
  runId: string;
  stage: string;
  model: string;
  fold: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  imagesPerSec: number;
  etaSec: number;
  backend: string;
}

/** Emitted after every epoch's validation. */
export interface TrainEpochEvent {
  type: 'epoch';
  runId: string;
  stage: string;
  model: string;
  fold: number;
  epoch: number;
  epochs: number;
  trainLoss: number;
  /** The seed's my_loss on the validation fold (mean over N x 6 of w_k BCE, any x2). */
  valLoss: number;
  /** The competition metric on the validation fold (seed spec section 8). */
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

/** The pipeline's stages, in order (`ich pipeline --stages`, the training panel's checkboxes). */
export const PIPELINE_STAGES = ['base', 'features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

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
