/**
 * The one training-stage runner that the base CNN, Pooled-Res and the shallow NN share (timm's
 * train_one_epoch / validate / CheckpointSaver in one place):
 *   - the run's lifecycle (runStage): the run record (new, or a resumed one claimed), the run folder and its
 *     log.jsonl, cancellation, the failed or cancelled status of a run that throws, disposal of what it owns;
 *   - the epoch loop (StageRun.fit): the trainer's batches through trainOnBatch (their tensors disposed),
 *     the step floor's batch count (stepFloor), validation after every epoch, the batch and epoch progress
 *     events, the run record's metrics after every epoch;
 *   - the best parameters: kept in memory (the starting point, every epoch and, under the step floor, every
 *     pass; BestSnapshots) or on disk as per-epoch checkpoints (with resume: StageRun.resume), and the
 *     average of the best ones kept when it validates no worse (keepBestOrAverage).
 * A trainer keeps what is its own: the model, the batches, the loss, the optimizer and its schedule, and
 * what it writes once trained.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainingEvent } from '../api/training.ts';
import { errorMessage } from '../base/errors.ts';
import { CancelledError } from '../jobs/progress.ts';
import { myLoss, weightedLogLoss } from '../metrics/log-loss.ts';
import { createRun, getRun, updateRun } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { runDirOf } from '../store/workspace-paths.ts';
import { listCheckpoints, pruneCheckpoints, readCheckpoint, writeCheckpoint, type EpochRecord } from './checkpoint.ts';
import { epochRepeats, passBoundaries } from './prior-init.ts';
import type { FoldSpec, Preset } from './presets.ts';
import { averageSnapshots, restoreWeights, snapshotWeights, type WeightSnapshot } from './weight-snapshots.ts';

export type { EpochRecord };

/** What every stage trainer is given. */
export interface StageOptions {
  ws: Workspace;
  preset: Preset;
  fold: number;
  folds: FoldSpec;
  backend: string;
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
}

/** The run a stage trainer starts. */
export interface RunSpec {
  stage: string;
  /** The run id is `<time>-<idName>-f<fold>-<4 hex>`. */
  idName: string;
  /** The model trained: the run record's and the progress events' `model`. */
  modelName: string;
  /** The run record's config. */
  config: object;
  /** Continues this run (claimed; fit resumes after its last checkpoint) instead of starting a new one. */
  resumeRunId?: string;
}

/** One validation of the held-out fold. */
export interface Validation {
  probs: Float32Array;
  /** The seed's my_loss. */
  valLoss: number;
  /** The competition metric. */
  valMetric: number;
  perClass: Record<string, number>;
}

export function scoreValidation(probs: Float32Array, labels: ArrayLike<number>): Validation {
  const metric = weightedLogLoss(probs, labels);
  return { probs, valLoss: myLoss(probs, labels), valMetric: metric.loss, perClass: metric.perClass };
}

/** One training batch; the runner disposes its tensors. */
export interface Batch {
  xs: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
  /** Samples in the batch. */
  n: number;
}

/** What a run has done (a checkpoint's state): epochs completed, optimizer steps, the epochs' records. */
export interface Progress {
  epoch: number;
  step: number;
  history: EpochRecord[];
}

/** Optimizer moments in and out of checkpoints (BertAdam). */
export interface CheckpointedOptimizer {
  exportMoments(names: readonly string[]): Promise<Float32Array[]>;
  importMoments(names: readonly string[], arrays: readonly Float32Array[], iterations: number): void;
  readonly iterations: number;
}

/** Per-epoch checkpoints: the last epoch (to resume) and the best `keepBest` (to keep or average) stay on disk. */
export interface CheckpointSpec {
  optimizer: CheckpointedOptimizer;
  /** The trainable variables' names, the order of the moments. */
  varNames: string[];
  keepBest: number;
  /** More files for the epoch's checkpoint folder, from its validation. */
  extras?: (v: Validation) => Record<string, Uint8Array>;
}

export interface EpochLoop {
  /** The model validated, snapshotted and checkpointed; `compiled` (a twin sharing its layers) trains. */
  model: tf.LayersModel;
  /** The twin that carries the optimizer and the loss (trainOnBatch). */
  compiled: tf.LayersModel;
  /** One optimizer step on a batch, its loss back (parallel-step.ts); default compiled.trainOnBatch. */
  trainStep?: (batch: Batch, step: number) => Promise<number>;
  epochs: number;
  /** Batches per epoch and passes over the data per epoch (stepFloor). */
  batches: number;
  repeats: number;
  /** Nominal samples per batch (the events' images per second). */
  batchSize: number;
  /** Starts epoch `epoch` (0-based: draws its seeded order) and returns its batches by index. */
  beginEpoch(epoch: number): (b: number) => Batch | Promise<Batch>;
  /** Sets the optimizer's learning rate for step `step` (0-based over the run) and returns the rate reported. */
  learningRate(step: number, epoch: number): number;
  validate(model: tf.LayersModel): Validation | Promise<Validation>;
  /** An epoch's train loss: the batch losses weighted by their samples, or their plain mean. */
  trainLoss: 'per-sample' | 'per-batch';
  /** The run record's metrics after each epoch. */
  progress(history: readonly EpochRecord[]): object;
  /** Keeps the best `keepBest` parameter sets in memory: the starting point (epoch 0), every epoch, every pass of a floored epoch. */
  keepBest?: number;
  /** Checkpoints every epoch instead. */
  checkpoints?: CheckpointSpec;
  /** Continues after a checkpoint (StageRun.resume). */
  from?: Progress | null;
  /** Whether the epoch event carries the epoch's learning rate (default true; the shallow NN's does not). */
  epochEventLr?: boolean;
  /**
   * This loop is one part of a longer run (a bag member): its events number epochs from `offset` + 1 of
   * `total`, and their ETA covers the parts still to come (same length each).
   */
  span?: { offset: number; total: number };
}

export interface FitResult extends Progress {
  /** With keepBest: the kept parameter sets, best first. */
  kept: KeptSnapshot[];
}

export interface KeptSnapshot {
  /** Fractional within an epoch for a pass of a floored epoch; 0: the starting point. */
  epoch: number;
  valMetric: number;
  snap: WeightSnapshot;
}

/** The best `k` parameter sets by validation metric (the earlier of equal ones), best first. */
export class BestSnapshots {
  kept: KeptSnapshot[] = [];
  constructor(private readonly k: number) {}

  async consider(epoch: number, valMetric: number, model: tf.LayersModel): Promise<void> {
    const worst = this.kept.length < this.k ? Infinity : Math.max(...this.kept.map((s) => s.valMetric));
    if (valMetric < worst || this.kept.length < this.k) {
      this.kept.push({ epoch, valMetric, snap: await snapshotWeights(model) });
      this.kept = this.kept.sort((a, b) => a.valMetric - b.valMetric).slice(0, this.k);
    }
  }
}

/**
 * The step floor (prior-init.ts): the passes over `samples` per epoch that give `epochs` epochs at least
 * `minSteps` steps, and the batches per epoch; `dropLast`: full batches only.
 */
export function stepFloor(samples: number, batchSize: number, epochs: number, minSteps: number | undefined, dropLast = false): { repeats: number; batches: number } {
  const round = dropLast ? Math.floor : Math.ceil;
  const repeats = epochRepeats(round(samples / batchSize), epochs, minSteps);
  return { repeats, batches: round((samples * repeats) / batchSize) };
}

/** The seed key of draw `what` of epoch `epoch`, pass `r` (pass 0 has none: the key of a run without the step floor). */
export function epochSeedKey(seedKey: string, what: string, epoch: number, r: number): string {
  return `${seedKey}:${what}:${epoch}${r ? `:${r}` : ''}`;
}

/** The epoch with the lowest validation metric (the first of equal ones). */
/** One member of a bag (preset `bag`), as trainBag hands it to the trainer. */
export interface BagMember {
  index: number;
  /** The run's seed key for member 0 (a bag of one is the single net), `${key}:bag${i}` for the others. */
  key: string;
  /** EpochLoop.span: the member's epochs numbered on across the bag. */
  span: { offset: number; total: number };
  /** The bag's curve so far with `history` (this member's epochs) appended, numbered on. */
  curveWith(history: readonly EpochRecord[]): EpochRecord[];
}

/**
 * Trains the `size` members of a bag one after another (`train` fits one and returns what it keeps with its
 * epoch history); returns each member's result and the bag's curve, the members' epochs numbered on.
 */
export async function trainBag<T>(size: number, epochs: number, seedKey: string, train: (m: BagMember) => Promise<{ result: T; history: readonly EpochRecord[] }>): Promise<{ results: T[]; curve: EpochRecord[] }> {
  const curve: EpochRecord[] = [];
  const results: T[] = [];
  for (let index = 0; index < size; index++) {
    const offset = index * epochs;
    const numbered = (h: readonly EpochRecord[]): EpochRecord[] => h.map((r) => ({ ...r, epoch: r.epoch + offset }));
    const { result, history } = await train({
      index, key: index === 0 ? seedKey : `${seedKey}:bag${index}`, span: { offset, total: size * epochs }, curveWith: (h) => [...curve, ...numbered(h)],
    });
    curve.push(...numbered(history));
    results.push(result);
  }
  return { results, curve };
}

export function bestOf(history: readonly EpochRecord[]): EpochRecord {
  return history.reduce((a, r) => (r.valMetric < a.valMetric ? r : a));
}

/** The epochs of the `n` lowest validation metrics, best first. */
export function bestEpochs(history: readonly EpochRecord[], n: number): number[] {
  return [...history].sort((a, b) => a.valMetric - b.valMetric).slice(0, Math.max(1, n)).map((r) => r.epoch);
}

/** The learning curve of the run record's metrics. */
export function curveOf(history: readonly EpochRecord[]): { epoch: number; trainLoss: number; valLoss: number; valMetric: number }[] {
  return history.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, valLoss: r.valLoss, valMetric: r.valMetric }));
}

export interface AverageOutcome {
  /** The epochs whose parameters the model now holds (several when averaged). */
  epochs: number[];
  averaged: boolean;
  /** The average's validation metric; null when there was one set only. */
  averageMetric: number | null;
  /** The average's validation, when it was kept. */
  validation: Validation | null;
}

/**
 * The seed's mean_model: `model` gets the average of the `kept` sets (best first) when it validates no
 * worse than the best alone, else the best; `everyWeight`: averageSnapshots'.
 */
export async function keepBestOrAverage(model: tf.LayersModel, kept: readonly KeptSnapshot[], validate: (m: tf.LayersModel) => Validation | Promise<Validation>, opts: { everyWeight?: boolean } = {}): Promise<AverageOutcome> {
  const best = kept[0];
  if (!best) throw new Error('keepBestOrAverage: nothing kept');
  if (kept.length > 1) {
    const avg = averageSnapshots(model, kept.map((k) => k.snap), best.snap, opts);
    restoreWeights(model, avg);
    const v = await validate(model);
    if (v.valMetric <= best.valMetric) return { epochs: kept.map((k) => k.epoch), averaged: true, averageMetric: v.valMetric, validation: v };
    restoreWeights(model, best.snap);
    return { epochs: [best.epoch], averaged: false, averageMetric: v.valMetric, validation: null };
  }
  restoreWeights(model, best.snap);
  return { epochs: [best.epoch], averaged: false, averageMetric: null, validation: null };
}

/**
 * The checkpoints of `epochs` (best first) as kept sets; the model of the first one is returned to keep
 * (the caller disposes it). With one epoch no snapshot is taken.
 */
export async function loadCheckpointed(runDir: string, epochs: readonly number[], history: readonly EpochRecord[]): Promise<{ model: tf.LayersModel; kept: KeptSnapshot[] }> {
  const metricOf = (e: number): number => history.find((r) => r.epoch === e)?.valMetric ?? Infinity;
  const first = await readCheckpoint(runDir, epochs[0]!);
  if (epochs.length < 2) return { model: first.model, kept: [] };
  const kept: KeptSnapshot[] = [{ epoch: epochs[0]!, valMetric: metricOf(epochs[0]!), snap: await snapshotWeights(first.model) }];
  for (const e of epochs.slice(1)) {
    const other = await readCheckpoint(runDir, e);
    kept.push({ epoch: e, valMetric: metricOf(e), snap: await snapshotWeights(other.model) });
    other.model.dispose();
  }
  return { model: first.model, kept };
}

function newRunId(name: string, fold: number): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${t}-${name}-f${fold}-${randomBytes(2).toString('hex')}`;
}

/** The run record of a new run, or the claimed record of `spec.resumeRunId`. */
function openRun(opts: StageOptions, spec: RunSpec): string {
  const { ws, fold, folds } = opts;
  if (spec.resumeRunId) {
    const run = getRun(ws, spec.resumeRunId);
    if (!run) throw new Error(`no run ${spec.resumeRunId} in ${ws.dir}`);
    if (run.status === 'done') throw new Error(`run ${spec.resumeRunId} is already done`);
    if (run.status === 'running') throw new Error(`run ${spec.resumeRunId} is running in process ${run.pid}`);
    updateRun(ws, spec.resumeRunId, { status: 'running', error: null, claim: true });
    return spec.resumeRunId;
  }
  const runId = newRunId(spec.idName, fold);
  createRun(ws, { id: runId, stage: spec.stage, preset: opts.preset.name, modelName: spec.modelName, fold, nFolds: folds.k, config: spec.config });
  return runId;
}

/**
 * Runs `body` as a run of `spec`: a run that throws is marked cancelled (CancelledError) or failed with
 * the error's first line; what the body handed to `run.own` is disposed in any case, last owned first.
 */
export async function runStage<T>(opts: StageOptions, spec: RunSpec, body: (run: StageRun) => Promise<T>): Promise<T> {
  const run = new StageRun(opts, spec, openRun(opts, spec));
  try {
    await mkdir(run.runDir, { recursive: true });
    return await body(run);
  } catch (err) {
    const cancelled = err instanceof CancelledError;
    updateRun(opts.ws, run.runId, { status: cancelled ? 'cancelled' : 'failed', error: errorMessage(err) });
    throw err;
  } finally {
    run.disposeOwned();
  }
}

export class StageRun {
  readonly runDir: string;
  private readonly logFile: string;
  private readonly owned: { dispose(): void }[] = [];

  constructor(private readonly opts: StageOptions, private readonly spec: RunSpec, readonly runId: string) {
    this.runDir = runDirOf(opts.ws, runId);
    this.logFile = path.join(this.runDir, 'log.jsonl');
  }

  /** Emits an event; log.jsonl gets every event but batches (every 20th and an epoch's last). */
  record(e: TrainingEvent): void {
    this.opts.onEvent?.(e);
    if (e.type !== 'batch' || e.batch === e.batches || e.batch % 20 === 0) void appendFile(this.logFile, JSON.stringify({ t: Date.now(), ...e }) + '\n').catch(() => {});
  }

  message(level: 'info' | 'warn', text: string): void {
    this.record({ type: 'message', runId: this.runId, level, text });
  }

  checkCancel(): void {
    if (this.opts.signal?.aborted) throw new CancelledError('training');
  }

  /** Disposed when the run ends, however it ends. */
  own<D extends { dispose(): void }>(d: D): D {
    this.owned.push(d);
    return d;
  }

  /** Disposes `d` (handed to `own`) now rather than when the run ends. */
  release(d: { dispose(): void }): void {
    const i = this.owned.lastIndexOf(d);
    if (i >= 0) this.owned.splice(i, 1);
    d.dispose();
  }

  disposeOwned(): void {
    while (this.owned.length > 0) this.owned.pop()!.dispose();
  }

  /** Marks the run done with its final metrics. */
  done(metrics: Record<string, unknown>, modelId: string): void {
    updateRun(this.opts.ws, this.runId, { status: 'done', metrics: { ...metrics, modelId } });
  }

  /** A resumed run: `model` and the optimizer get the last checkpoint's state; null when there is none to resume. */
  async resume(model: tf.LayersModel, ck: CheckpointSpec, epochs: number): Promise<Progress | null> {
    if (!this.spec.resumeRunId) return null;
    const done = await listCheckpoints(this.runDir);
    if (done.length === 0) return null;
    const last = await readCheckpoint(this.runDir, done[done.length - 1]!);
    model.setWeights(last.model.getWeights());
    last.model.dispose();
    if (last.state.varNames.length !== ck.varNames.length) throw new Error(`checkpoint ${last.dir} has ${last.state.varNames.length} variables, the model ${ck.varNames.length}`);
    ck.optimizer.importMoments(ck.varNames, last.moments, last.state.iterations);
    this.message('info', `resuming ${this.runId} after epoch ${last.state.epoch} of ${epochs}`);
    return { epoch: last.state.epoch, step: last.state.step, history: last.state.history };
  }

  /** The epoch loop. */
  async fit(loop: EpochLoop): Promise<FitResult> {
    const { epochs, batches, model } = loop;
    const { stage, modelName } = this.spec;
    const { fold, backend } = this.opts;
    const runId = this.runId;
    const tTotal = epochs * batches;
    const offset = loop.span?.offset ?? 0;
    const eventEpochs = loop.span?.total ?? epochs;
    // Steps still to come after this loop's (the later parts of a span).
    const laterSteps = (eventEpochs - offset - epochs) * batches;
    const history = loop.from?.history ?? [];
    let step = loop.from?.step ?? 0;
    const best = loop.keepBest ? new BestSnapshots(loop.keepBest) : null;
    // The starting point (the prior, or the model fine-tuned from) is a candidate: a run that never beats it keeps it.
    if (best) await best.consider(0, (await loop.validate(model)).valMetric, model);
    // Under the step floor an epoch is several passes; on small data the best parameters may come within one.
    const passEnds = passBoundaries(batches, loop.repeats);
    const started = performance.now();
    let stepsHere = 0;
    for (let epoch = loop.from?.epoch ?? 0; epoch < epochs; epoch++) {
      const t0 = performance.now();
      const batchAt = loop.beginEpoch(epoch);
      let lossSum = 0;
      let lossN = 0;
      let lr = 0;
      for (let b = 0; b < batches; b++) {
        this.checkCancel();
        const batch = await batchAt(b);
        lr = loop.learningRate(step, epoch);
        let loss: number;
        try {
          loss = loop.trainStep ? await loop.trainStep(batch, step) : ((await loop.compiled.trainOnBatch(batch.xs, batch.y)) as number);
        } finally {
          tf.dispose([...(Array.isArray(batch.xs) ? batch.xs : [batch.xs]), batch.y]);
        }
        if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at epoch ${epoch + 1}, batch ${b + 1}`);
        if (loop.trainLoss === 'per-sample') {
          lossSum += loss * batch.n;
          lossN += batch.n;
        } else {
          lossSum += loss;
          lossN++;
        }
        step++;
        stepsHere++;
        const elapsed = (performance.now() - started) / 1000;
        this.record({
          type: 'batch', runId, stage, model: modelName, fold, epoch: offset + epoch + 1, epochs: eventEpochs, batch: b + 1, batches, loss, lr,
          imagesPerSec: (stepsHere * loop.batchSize) / Math.max(elapsed, 1e-9), etaSec: (elapsed / stepsHere) * (tTotal - step + laterSteps), backend,
        });
        if (best && passEnds.has(b + 1)) await best.consider(Number((epoch + (b + 1) / batches).toFixed(3)), (await loop.validate(model)).valMetric, model);
      }
      this.checkCancel();
      const v = await loop.validate(model);
      const rec: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / Math.max(lossN, 1), valLoss: v.valLoss, valMetric: v.valMetric, perClass: v.perClass,
        seconds: (performance.now() - t0) / 1000, lr,
      };
      history.push(rec);
      const { lr: _lr, ...withoutLr } = rec;
      this.record({ type: 'epoch', runId, stage, model: modelName, fold, epochs: eventEpochs, ...(loop.epochEventLr === false ? withoutLr : rec), epoch: offset + rec.epoch });
      await best?.consider(rec.epoch, rec.valMetric, model);
      if (loop.checkpoints) await this.checkpoint(model, loop.checkpoints, { epoch: rec.epoch, step, history }, v);
      updateRun(this.opts.ws, runId, { metrics: loop.progress(history) });
    }
    return { epoch: epochs, step, history, kept: best?.kept ?? [] };
  }

  private async checkpoint(model: tf.LayersModel, ck: CheckpointSpec, at: Progress, v: Validation): Promise<void> {
    await writeCheckpoint(this.runDir, model, await ck.optimizer.exportMoments(ck.varNames), { epoch: at.epoch, step: at.step, iterations: ck.optimizer.iterations, history: at.history, varNames: ck.varNames },
      { runId: this.runId, epoch: at.epoch }, ck.extras?.(v) ?? {});
    await pruneCheckpoints(this.runDir, new Set([at.epoch, ...bestEpochs(at.history, ck.keepBest)]));
  }
}
