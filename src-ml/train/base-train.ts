/**
 * One base-CNN training run (one model x one fold), docs/seed-pipeline.md section 3: the fold's training patients,
 * the per-epoch negative subsampling, augmentation on HU images, BertAdam with discriminative LRs under
 * the warmup-exponential-cosine-restart schedule, weighted BCE (or focal), validation on the held-out
 * fold after every epoch, an atomic checkpoint per epoch, and the best or last epoch kept as the model.
 * Everything random is seeded per (model, fold, epoch), so a resumed run redoes an interrupted epoch
 * with the same batches and augmentations.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunStatus } from '../api/training.ts';
import { augmentConfigOf } from '../data/augment-presets.ts';
import { createBatchMaker } from '../data/batch-prefetch.ts';
import { sampleEpoch, sampleEpochPerClass } from '../data/sampler.ts';
import { SliceImages } from '../data/slice-images.ts';
import { CancelledError } from '../jobs/progress.ts';
import { sigmoid, weightedLogLoss } from '../metrics/log-loss.ts';
import { LABELS as METRIC_LABELS } from '../../src-shared/labels.ts';
import { BASE_ARCHS, type BaseCnnArch } from '../models/base-cnn-presets.ts';
import { buildBaseCnn, isNoDecay, paramGroupOf } from '../models/base-cnn.ts';
import { BertAdam } from '../nn/bert-adam.ts';
import { lossFunction } from '../nn/losses.ts';
import { lrMultiplier } from '../nn/lr-schedule.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';
import { createRng } from '../base/random.ts';
import { encodeNpy } from '../store/npy.ts';
import { writeFileAtomicSync as writeFileAtomic } from '../base/atomic-write.ts';
import { modelId } from '../base/model-id.ts';
import { getModel, labeledImages, upsertModel, type LabeledImage } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { modelDirOf, runDirOf } from '../store/workspace-paths.ts';
import { applyImportedBody, describeInit, resolveBaseInit, type BaseInit } from './base-init.ts';
import { checkpointFile } from './checkpoint.ts';
import { countsByPatient, ensureFolds } from './ensure-folds.ts';
import { clampProbabilities, probabilityFloor } from '../metrics/probability-floor.ts';
import { labelPrior, repeatedOrder, samplingCorrection, setOutputPrior, shiftClassifierBias } from './prior-init.ts';
import type { BaseModelPreset, FoldSpec } from './presets.ts';
import {
  bestEpochs, bestOf, curveOf, epochSeedKey, keepBestOrAverage, loadCheckpointed, runStage, scoreValidation, stepFloor,
  type CheckpointSpec, type EpochRecord, type StageOptions, type Validation,
} from './stage-runner.ts';

export const BASE_STAGE = 'base';
export const VAL_PROBS_FILE = 'val_probs.npy';
export const OOF_PROBS_FILE = 'oof_probs.npy';
export const OOF_IDS_FILE = 'oof_ids.json';

export interface BaseRunConfig {
  preset: string;
  presetVersion: number;
  model: BaseModelPreset;
  fold: number;
  folds: FoldSpec;
  epochs: number;
  /** Where the weights started (absent in runs recorded before it was): base-init.ts. */
  init?: BaseInit;
}

export interface TrainBaseOptions extends StageOptions {
  model: BaseModelPreset;
  /** Overrides the preset's epochs. */
  epochs?: number;
  /**
   * Where the weights start, from resolveBaseInit (base-init.ts) for the same `model` (whose rates it may have
   * swapped for the from-scratch ones). Default: resolveBaseInit without flags.
   */
  init?: BaseInit;
}

export interface TrainBaseResult {
  runId: string;
  modelId: string;
  status: RunStatus;
  metrics: Record<string, unknown>;
}

export function baseModelId(modelName: string, folds: FoldSpec, fold: number): string {
  return modelId(modelName, folds.k, fold);
}

export { modelDirOf, runDirOf };

/** Sha-256 of the training data (image ids and labels), recorded with the model. */
function fingerprint(images: readonly LabeledImage[]): string {
  const h = createHash('sha256');
  for (const im of images) h.update(`${im.imageId}:${im.labels.join('')}\n`);
  return h.digest('hex').slice(0, 16);
}

interface FoldData {
  train: LabeledImage[];
  val: LabeledImage[];
  trainLabels: Uint8Array;
  valLabels: Uint8Array;
}

/** The images' labels, 6 per image, in list order. */
function packLabels(list: readonly LabeledImage[]): Uint8Array {
  const out = new Uint8Array(list.length * 6);
  list.forEach((im, i) => out.set(im.labels, i * 6));
  return out;
}

function splitFold(ws: Workspace, folds: FoldSpec, fold: number): FoldData {
  const images = labeledImages(ws);
  if (images.length === 0) throw new Error(`workspace ${ws.dir} has no labelled images: import labels first (ich labels import)`);
  const assign = ensureFolds(ws, folds, countsByPatient(images.length, (i) => images[i]!.patientId, packLabels(images), 6));
  if (!(fold >= 0 && fold < folds.k)) throw new Error(`fold ${fold} is outside 0..${folds.k - 1}`);
  const train = images.filter((im) => assign.get(im.patientId) !== fold);
  const val = images.filter((im) => assign.get(im.patientId) === fold);
  if (train.length === 0 || val.length === 0) throw new Error(`fold ${fold} of ${folds.k}: ${train.length} training and ${val.length} validation images; need patients on both sides`);
  return { train, val, trainLabels: packLabels(train), valLabels: packLabels(val) };
}

function sampledOnce(model: BaseModelPreset, labels: Uint8Array, key: string): Int32Array {
  const rng = createRng(key);
  const s = model.sampler;
  return s.perClassRepeats ? sampleEpochPerClass(labels, s.negativeFraction, s.perClassRepeats, rng) : sampleEpoch(labels, s.negativeFraction, rng);
}

/** The epoch's samples: `repeats` independent draws of the sampler (more than one only under the step floor). */
function epochOrder(model: BaseModelPreset, labels: Uint8Array, seedKey: string, epoch: number, repeats = 1): Int32Array {
  return repeatedOrder(repeats, (r) => sampledOnce(model, labels, epochSeedKey(seedKey, 'sample', epoch, r)));
}

function compileFor(trainModel: tf.LayersModel, arch: BaseCnnArch, m: BaseModelPreset): { compiled: tf.LayersModel; optimizer: BertAdam; varNames: string[] } {
  // A twin of the model (same layers, so the same weights) carries the optimizer; the model itself stays
  // uncompiled so its saved files hold no optimizer config that another process could not rebuild.
  const compiled = tf.model({ inputs: trainModel.inputs, outputs: trainModel.outputs });
  const optimizer = new BertAdam((name) => {
    const group = paramGroupOf(arch, name);
    const lr = m.optimizer.lr[group];
    if (lr === undefined) throw new Error(`preset model ${m.name}: no learning rate for parameter group "${group}" (weight ${name})`);
    return { lr, weightDecay: isNoDecay(name) ? 0 : m.optimizer.weightDecay };
  }, { maxGradNorm: m.optimizer.maxGradNorm });
  compiled.compile({ optimizer, loss: lossFunction(m.loss) });
  return { compiled, optimizer, varNames: trainModel.trainableWeights.map((w) => w.name) };
}

/**
 * Logits of the validation images (eval mode, no augmentation), as probabilities N x 6. `offset`: added to each
 * class's logit (the sampling correction) before the sigmoid; `floor`: the probabilities are clamped to
 * [floor, 1 - floor] (probabilityFloor: no odds finer than the training images resolve).
 */
async function predictProbs(model: tf.LayersModel, images: readonly LabeledImage[], source: SliceImages, batchSize: number, offset: Float64Array, floor: number, signal?: AbortSignal): Promise<Float32Array> {
  const size = source.size;
  const out = new Float32Array(images.length * 6);
  for (let at = 0; at < images.length; at += batchSize) {
    if (signal?.aborted) throw new CancelledError('training');
    const chunk = images.slice(at, at + batchSize);
    const x = new Float32Array(chunk.length * size * size);
    for (let i = 0; i < chunk.length; i++) x.set(await source.get(chunk[i]!), i * size * size);
    const logits = tf.tidy(() => model.predict(tf.tensor4d(x, [chunk.length, size, size, 1])) as tf.Tensor);
    const v = await logits.data();
    logits.dispose();
    for (let i = 0; i < v.length; i++) out[at * 6 + i] = sigmoid(v[i]! + offset[i % 6]!);
  }
  return clampProbabilities(out, floor);
}


/** Starts a new run, or continues `resumeRunId` from its last checkpoint. */
export async function trainBase(opts: TrainBaseOptions, resumeRunId?: string): Promise<TrainBaseResult> {
  const { ws, preset, model: m, fold, folds } = opts;
  const arch = BASE_ARCHS[m.arch];
  if (!arch) throw new Error(`unknown arch ${m.arch}`);
  const epochs = opts.epochs ?? m.epochs;
  // Without a resolved start, the preset decides (an ImageNet `init` without weights refuses here).
  const init: BaseInit = opts.init ?? resolveBaseInit(ws, preset.name, m).init;
  const config: BaseRunConfig = { preset: preset.name, presetVersion: preset.version, model: m, fold, folds, epochs, init };

  return runStage<TrainBaseResult>(opts, { stage: BASE_STAGE, idName: m.name, modelName: m.name, config, resumeRunId }, async (run) => {
    const { runId, runDir } = run;
    const built = buildBaseCnn(arch, m.imageSize);
    const trainModel = run.own(built.trainModel);
    const { compiled, optimizer, varNames } = compileFor(trainModel, arch, m);
    run.own(optimizer);
    const data = splitFold(ws, folds, fold);
    const seedKey = `${m.name}:k${folds.k}:f${fold}`;
    const images = new SliceImages(m.imageSize, 1 << 30, (line) => run.message('warn', line));
    // Training batches made one ahead on a worker thread where that pays (data/batch-prefetch.ts; ICH_PREFETCH=0:
    // inline, from `images`). Made here so the worker starts while the run sets up; `images` keeps the validation slices.
    const batchMaker = run.own(createBatchMaker(images, { cacheBytes: 1 << 30, warn: (line) => run.message('warn', line), signal: opts.signal }));
    const firstDraw = epochOrder(m, data.trainLabels, seedKey, 0);
    // The step floor: small data go through each epoch's sampler several times (prior-init.ts).
    const { repeats, batches } = stepFloor(firstDraw.length, m.batchSize, epochs, m.minSteps);
    const tTotal = epochs * batches;
    const cycles = m.cycles ?? epochs;

    // A checkpoint per epoch: the last (to resume) and the best `bestAverage` (to keep or average) stay on disk.
    const checkpoints: CheckpointSpec = {
      optimizer, varNames, keepBest: m.bestAverage ?? 1,
      extras: (v) => ({ [VAL_PROBS_FILE]: encodeNpy(v.probs, [data.val.length, 6]) }),
    };
    const from = await run.resume(trainModel, checkpoints, epochs);
    if (!from && m.initFrom) {
      const fromId = baseModelId(m.initFrom, folds, fold);
      if (!getModel(ws, fromId)) throw new Error(`model ${m.name} starts from ${fromId}, which is not trained yet`);
      const { model: parent } = await loadModel(modelDirOf(ws, fromId));
      trainModel.setWeights(parent.getWeights());
      parent.dispose();
    } else if (!from) {
      // The body from imported ImageNet weights (the windowing layer and the classifier are not in them).
      if (init.kind === 'imported') await applyImportedBody(trainModel, init);
      // The classifier starts at the log-prior of what it is trained on (the sampled epoch's labels).
      setOutputPrior(trainModel, 'classifier', labelPrior(data.trainLabels, firstDraw), false);
    }
    if (!from) run.message('info', `${m.name} fold ${fold}: ${describeInit(init)}`);
    if (repeats > 1) run.message('info', `${m.name} fold ${fold}: ${repeats} draws of the sampler per epoch (step floor ${m.minSteps})`);
    // The sampler enriches positives (negative subsampling): the trained logits are shifted by the odds
    // ratio of the sampled to the true prevalence. Validation undoes the shift, and the saved model has it
    // folded into its classifier bias, so its probabilities are calibrated to the real prevalence.
    const correction = samplingCorrection(data.trainLabels, firstDraw);
    // The probabilities it is judged (and the epochs chosen) by are clamped to the resolution of its training
    // images: a class with no positive among them is not predicted rarer than 1 in 2n (prior-init.ts).
    const floor = probabilityFloor(data.train.length);
    const validate = async (model: tf.LayersModel): Promise<Validation> =>
      scoreValidation(await predictProbs(model, data.val, images, m.features?.batchSize ?? 64, correction, floor, opts.signal), data.valLabels);

    const size = m.imageSize;
    const augCfg = augmentConfigOf(m.augment);
    const maxLr = Math.max(...Object.values(m.optimizer.lr));
    const { history } = await run.fit({
      model: trainModel, compiled, epochs, batches, repeats, batchSize: m.batchSize, validate, trainLoss: 'per-sample', checkpoints, from,
      beginEpoch: (epoch) => {
        const order = epochOrder(m, data.trainLabels, seedKey, epoch, repeats);
        const augRng = createRng(`${seedKey}:augment:${epoch}`);
        const itemsOf = (b: number): LabeledImage[] => Array.from(order.subarray(b * m.batchSize, Math.min(order.length, (b + 1) * m.batchSize)), (i) => data.train[i]!);
        const batchAt = batchMaker.epoch(batches, itemsOf, augCfg ? { cfg: augCfg, rng: augRng } : null);
        return async (b) => {
          const { x, y, n } = await batchAt(b);
          return { xs: tf.tensor4d(x, [n, size, size, 1]), y: tf.tensor2d(y, [n, 6]), n };
        };
      },
      learningRate: (step) => {
        optimizer.multiplier = lrMultiplier(step, tTotal, { cycles, tau: m.schedule.tau, warmup: m.schedule.warmup });
        return optimizer.multiplier * maxLr;
      },
      progress: (h) => ({ ...summarize(h, m.keep), baselineMetric: prevalenceBaselineFor(data.trainLabels, data.valLabels) }),
    });

    // Keep the best or the last epoch as the model, as the preset says. With bestAverage > 1 the weights of
    // the best epochs are averaged (the seed's mean_model over snapshots of the restart schedule), kept
    // when that validates no worse than the best epoch alone.
    const chosen = m.keep === 'best' ? bestOf(history) : history[history.length - 1]!;
    const top = m.keep === 'best' ? bestEpochs(history, m.bestAverage ?? 1) : [chosen.epoch];
    const { model: keptModel, kept } = await loadCheckpointed(runDir, top, history);
    let averaged: { epochs: number[]; valMetric: number; probs: Float32Array } | null = null;
    if (kept.length > 1) {
      const outcome = await keepBestOrAverage(keptModel, kept, validate, { everyWeight: true });
      if (outcome.validation) averaged = { epochs: outcome.epochs, valMetric: outcome.validation.valMetric, probs: outcome.validation.probs };
      run.message('info', `${m.name} fold ${fold}: mean of epochs ${top.join(', ')} validates ${outcome.averageMetric!.toFixed(4)} vs best epoch ${chosen.valMetric.toFixed(4)}: ${averaged ? 'averaged' : 'best epoch'} kept`);
    }
    shiftClassifierBias(keptModel, correction);
    const modelId = baseModelId(m.name, folds, fold);
    const metrics = {
      ...summarize(history, m.keep), baselineMetric: prevalenceBaselineFor(data.trainLabels, data.valLabels),
      ...(averaged ? { valMetric: averaged.valMetric, averagedEpochs: averaged.epochs } : {}),
    };
    const meta = {
      modelId, stage: BASE_STAGE, preset: preset.name, presetVersion: preset.version, modelName: m.name, arch: m.arch, archConfig: arch,
      imageSize: m.imageSize, labels: [...METRIC_LABELS], windows: arch.windows, fold, nFolds: folds.k, foldSeed: folds.seed,
      featureSize: built.featureSize, keep: m.keep, epoch: chosen.epoch, epochs, metrics, runId, backend: opts.backend, probabilityFloor: floor,
      trainedAt: new Date().toISOString(), trainImages: data.train.length, valImages: data.val.length,
      dataFingerprint: fingerprint([...data.train, ...data.val]), features: m.features ?? null, init,
    };
    await saveModel(keptModel, modelDirOf(ws, modelId), meta);
    keptModel.dispose();
    // Out-of-fold predictions of the kept epoch, for the OOF metric over all folds.
    if (averaged) writeFileAtomic(path.join(modelDirOf(ws, modelId), OOF_PROBS_FILE), encodeNpy(averaged.probs, [data.val.length, 6]));
    else await copyFile(checkpointFile(runDir, chosen.epoch, VAL_PROBS_FILE), path.join(modelDirOf(ws, modelId), OOF_PROBS_FILE));
    writeFileAtomic(path.join(modelDirOf(ws, modelId), OOF_IDS_FILE), new TextEncoder().encode(JSON.stringify(data.val.map((im) => im.imageId))));
    upsertModel(ws, { id: modelId, stage: BASE_STAGE, modelName: m.name, fold, nFolds: folds.k, runId, featureSize: built.featureSize, metrics });
    run.done(metrics, modelId);
    return { runId, modelId, status: 'done', metrics };
  });
}

/**
 * Whether base model `modelId` was trained on this fold's current images and labels (its meta.json's
 * data fingerprint): a pipeline on changed data retrains it instead of keeping it.
 */
export function trainedOnCurrentData(ws: Workspace, modelId: string, folds: FoldSpec, fold: number): boolean {
  try {
    const meta = JSON.parse(readFileSync(path.join(modelDirOf(ws, modelId), 'meta.json'), 'utf8')) as { dataFingerprint?: string };
    const data = splitFold(ws, folds, fold);
    return meta.dataFingerprint === fingerprint([...data.train, ...data.val]);
  } catch {
    return false;
  }
}

/** The metric of predicting the training folds' prevalence for every validation image. */
export function prevalenceBaselineFor(trainLabels: Uint8Array, valLabels: Uint8Array): number {
  const prev = new Float64Array(6);
  const n = trainLabels.length / 6;
  for (let i = 0; i < trainLabels.length; i++) prev[i % 6]! += trainLabels[i]! / n;
  const probs = new Float64Array(valLabels.length);
  for (let i = 0; i < probs.length; i++) probs[i] = prev[i % 6]!;
  return weightedLogLoss(probs, valLabels).loss;
}

function summarize(history: readonly EpochRecord[], keep: 'best' | 'last'): Record<string, unknown> {
  if (history.length === 0) return {};
  const best = bestOf(history);
  const chosen = keep === 'best' ? best : history[history.length - 1]!;
  return { valMetric: chosen.valMetric, valLoss: chosen.valLoss, epoch: chosen.epoch, bestEpoch: best.epoch, epochsDone: history.length, curve: curveOf(history) };
}
