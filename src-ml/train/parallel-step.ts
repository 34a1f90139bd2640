/**
 * The train step of the stage trainers through the data-parallel trainer (nn/data-parallel.ts): the
 * preset's `trainWorkers` ranks (ICH_TRAIN_WORKERS overrides; never more than the cores, 1 off wasm), the
 * workers owned by the run (terminated however it ends), and the losses named so a worker can load them.
 * With one rank it is the same step in-process; either way the dropout masks are seeded by the run's key
 * and the step, so a run repeats for a given seed and worker count.
 */
import type * as tf from '@tensorflow/tfjs';
import { createDataParallel, trainWorkerCount, type LossSpec } from '../nn/data-parallel.ts';
import type { LossName } from '../nn/losses.ts';
import type { Preset } from './presets.ts';
import type { Batch, StageRun } from './stage-runner.ts';

const LOSSES = new URL('../nn/losses.ts', import.meta.url).href;
const FULLHEAD_LOSSES = new URL('../models/fullhead-losses.ts', import.meta.url).href;

/** The stage trainers' losses, as LossSpecs. */
export const STAGE_LOSSES = {
  base: (name: LossName): LossSpec => ({ module: LOSSES, export: 'lossFunction', args: [name] }),
  pooledRes: { module: FULLHEAD_LOSSES, export: 'maskedWeightedBce' } as LossSpec,
  shallow: { module: FULLHEAD_LOSSES, export: 'shallowNnLoss' } as LossSpec,
};

export interface ParallelStepSpec {
  model: tf.LayersModel;
  loss: LossSpec;
  optimizer: tf.Optimizer;
  /** The run's seed key (the dropout seeds derive from it, the step and the rank). */
  seedKey: string;
  preset: Preset;
  backend: string;
}

/** One optimizer step on a batch, its mean loss back; `release` ends its workers before the run ends. */
export type ParallelTrainStep = ((batch: Batch, step: number) => Promise<number>) & { release(): void };

/** EpochLoop.trainStep for `run`: one optimizer step on a batch, its mean loss back. */
export async function parallelTrainStep(run: StageRun, spec: ParallelStepSpec): Promise<ParallelTrainStep> {
  const workers = trainWorkerCount(spec.preset.trainWorkers ?? 1, spec.backend);
  const dp = run.own(await createDataParallel({ model: spec.model, loss: spec.loss, optimizer: spec.optimizer, workers, seedKey: spec.seedKey }));
  if (workers > 1) run.message('info', `data-parallel training on ${workers} ranks (each batch split ${workers} ways, batch-norm statistics per slice)`);
  return Object.assign((batch: Batch, step: number) => dp.step(batch.xs, batch.y, step), { release: () => run.release(dp) });
}
