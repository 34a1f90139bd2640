/**
 * Messages between the data-parallel trainer (data-parallel.ts, main thread) and its workers
 * (data-parallel-worker.ts). Arrays travel as transferred buffers; nothing here imports tfjs.
 */
import type { LossSpec } from './data-parallel-grads.ts';

export interface ArrayMsg {
  data: Float32Array;
  shape: number[];
}

/** First message: build the model from its topology, on the same backend as the main thread. */
export interface InitMsg {
  type: 'init';
  backend: string;
  /** model.toJSON(null, false) of the main thread's model. */
  topology: object;
  loss: LossSpec;
  /** Shapes of model.trainableWeights, checked against the worker's own model. */
  trainableShapes: number[][];
}

/** One step: every weight of the main thread's model, then this rank's slice. */
export interface StepMsg {
  type: 'step';
  id: number;
  /** model.weights in order, concatenated. */
  weights: Float32Array;
  xs: ArrayMsg[];
  y: ArrayMsg;
  seedKey: string;
  step: number;
  rank: number;
}

export type ToWorker = InitMsg | StepMsg;

export type FromWorker =
  | { type: 'ready' }
  | { type: 'grads'; id: number; loss: number; grads: Float32Array }
  | { type: 'error'; id: number | null; message: string };
