/**
 * The Pooled-Res stage for one base model x one fold (docs/seed-pipeline.md section 4): train on the labelled series
 * of the other folds (every sliding window of a long series is a sample), validate each epoch on the
 * fold's labelled series with fixed copies, keep the average of the best `bestAverage` epochs' trainable
 * parameters (batch-norm moving statistics of the best epoch) when it is not worse than the best epoch,
 * then write the OOF (fold's validation images, `oofPasses` passes of 3-of-4 copies) and test (unlabelled
 * images, `testPasses` passes of 4-of-8) probabilities next to the saved model.
 *
 * The runs are short: a killed run is not resumed (the pipeline reruns the stage for a missing model
 * record), and saveModel is atomic, so no half-written model folder is left behind.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrainingEvent } from '../api/training.ts';
import { slidingWindows } from '../data/sliding-windows.ts';
import { LABELS_PER_IMAGE, LAYOUT_SLICES, pooledResSample } from '../data/series-layout.ts';
import { CancelledError } from '../jobs/progress.ts';
import { METRIC_LABELS, myLoss, weightedLogLoss } from '../metrics/log-loss.ts';
import { maskedWeightedBce } from '../models/fullhead-losses.ts';
import { buildPooledRes } from '../models/pooled-res.ts';
import { BertAdam } from '../nn/bert-adam.ts';
import { lrMultiplier } from '../nn/lr-schedule.ts';
import { saveModel } from '../nn/model-io.ts';
import { featureDirOf } from './feature-stage.ts';
import { POOLED_RES_STAGE, predictSeriesProbs } from '../predict/pooled-res-predict.ts';
import { createRun, updateRun, upsertModel } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { epochRepeats, labelPrior, passBoundaries, setOutputPrior } from './prior-init.ts';
import { averageSnapshots, restoreWeights, snapshotWeights, type WeightSnapshot } from './weight-snapshots.ts';
import { createRng, type Rng } from '../base/random.ts';
import { baseModelId, modelDirOf, prevalenceBaselineFor, runDirOf } from './base-train.ts';
import { fullheadModelId, writeMemberOutputs } from './member-outputs.ts';
import type { BaseModelPreset, FoldSpec, Preset } from './presets.ts';
import { loadFeatureSet, seriesWithFeatures, trainLabelMatrix, type FeatureSetData, type SeriesRecord } from './series-data.ts';

export interface FullheadStageOptions {
  ws: Workspace;
  preset: Preset;
  base: BaseModelPreset;
  fold: number;
  folds: FoldSpec;
  backend: string;
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
}

export interface FullheadStageResult {
  modelId: string;
  runId: string;
  metrics: Record<string, unknown>;
}

// ---- data ----

interface Sample {
  rows: number[];
}

/** Each series window (sliding windows beyond 60 slices) is one training sample. */
function windowSamples(series: readonly SeriesRecord[]): Sample[] {
  const out: Sample[] = [];
  for (const s of series) for (const w of slidingWindows(s.imageRows.length)) out.push({ rows: s.imageRows.slice(w.start, w.start + w.length) });
  return out;
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

function gatherLabels(labels: Uint8Array, series: readonly SeriesRecord[]): Uint8Array {
  const n = series.reduce((a, s) => a + s.imageRows.length, 0);
  const out = new Uint8Array(n * LABELS_PER_IMAGE);
  let at = 0;
  for (const s of series) {
    for (const r of s.imageRows) out.set(labels.subarray(r * LABELS_PER_IMAGE, (r + 1) * LABELS_PER_IMAGE), LABELS_PER_IMAGE * at++);
  }
  return out;
}


interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valMetric: number;
  perClass: Record<string, number>;
  seconds: number;
  lr: number;
}

function newRunId(name: string, fold: number): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${t}-pooled-res-${name}-f${fold}-${randomBytes(2).toString('hex')}`;
}

/** Numeric weight-init seed from a string key (the seed: SEED + fold). */
function initSeed(key: string): number {
  return createRng(`${key}:init`).int(0, 2 ** 30);
}

export async function trainPooledRes(opts: FullheadStageOptions): Promise<FullheadStageResult> {
  const { ws, preset, base, fold, folds } = opts;
  const cfg = preset.pooledRes;
  const emit = opts.onEvent ?? (() => {});
  const modelId = fullheadModelId(POOLED_RES_STAGE, base.name, folds, fold);
  const runId = newRunId(base.name, fold);
  createRun(ws, { id: runId, stage: POOLED_RES_STAGE, preset: preset.name, modelName: base.name, fold, nFolds: folds.k, config: { preset: preset.name, presetVersion: preset.version, base: base.name, fold, folds, pooledRes: cfg } });
  const runDir = runDirOf(ws, runId);
  const logFile = path.join(runDir, 'log.jsonl');
  const record = (e: TrainingEvent): void => {
    emit(e);
    if (e.type !== 'batch' || e.batch === e.batches || e.batch % 20 === 0) void appendFile(logFile, JSON.stringify({ t: Date.now(), ...e }) + '\n').catch(() => {});
  };
  const warn = (text: string): void => record({ type: 'message', runId, level: 'warn', text });
  const checkCancel = (): void => {
    if (opts.signal?.aborted) throw new CancelledError('training');
  };

  let model: tf.LayersModel | undefined;
  let optimizer: BertAdam | undefined;
  try {
    await mkdir(runDir, { recursive: true });
    if (!(fold >= 0 && fold < folds.k)) throw new Error(`fold ${fold} is outside 0..${folds.k - 1}`);
    const fs: FeatureSetData = await loadFeatureSet(featureDirOf(ws, base.name, folds.k, fold));
    const F = fs.featureSize;
    const all = seriesWithFeatures(ws, fs, folds, warn);
    const labelled = all.filter((s) => s.split === 'train');
    const noFold = labelled.filter((s) => s.fold < 0);
    if (noFold.length > 0) warn(`${noFold.length} labelled series have no fold (patients added after the folds were drawn); left out`);
    const trainSeries = labelled.filter((s) => s.fold >= 0 && s.fold !== fold);
    const valSeries = labelled.filter((s) => s.fold === fold);
    const testSeries = all.filter((s) => s.split === 'test');
    if (trainSeries.length === 0 || valSeries.length === 0) throw new Error(`fold ${fold} of ${folds.k}: ${trainSeries.length} training and ${valSeries.length} validation series with features; need both`);
    const labels = trainLabelMatrix(ws, fs);
    const valLabels = gatherLabels(labels, valSeries);
    const trainLabels = gatherLabels(labels, trainSeries);

    const clampCopies = (want: number, have: number, what: string): number => {
      if (want <= have) return want;
      warn(`pooledRes.${what} = ${want} but the feature set has ${have} copies per image; using ${have}`);
      return have;
    };
    const trainCopies = clampCopies(cfg.trainCopies, fs.train.copies, 'trainCopies');
    const valCopies = clampCopies(cfg.valCopies, fs.train.copies, 'valCopies');
    const testCopies = clampCopies(cfg.testCopies, fs.test.copies, 'testCopies');

    const seedKey = `pooled-res:${base.name}:k${folds.k}:f${fold}`;
    model = buildPooledRes(F, { seed: initSeed(seedKey) });
    // Untrained, the model predicts the training series' prevalence (prior-init.ts).
    setOutputPrior(model, 'logits', labelPrior(trainLabels), true);
    // A twin (same layers and weights) carries the optimizer, so the saved model holds no optimizer config.
    const compiled = tf.model({ inputs: model.inputs, outputs: model.outputs });
    optimizer = new BertAdam(() => ({ lr: cfg.lr, weightDecay: cfg.weightDecay }), { maxGradNorm: cfg.maxGradNorm });
    compiled.compile({ optimizer, loss: maskedWeightedBce });

    const samples = windowSamples(trainSeries);
    const epochs = cfg.epochs;
    // The step floor: with few series, each epoch goes through them several times.
    const repeats = epochRepeats(Math.ceil(samples.length / cfg.batchSize), epochs, cfg.minSteps);
    const batches = Math.ceil((samples.length * repeats) / cfg.batchSize);
    if (repeats > 1) warn(`${samples.length} training windows: ${repeats} passes per epoch (step floor ${cfg.minSteps})`);
    const tTotal = epochs * batches;
    const sampleX = LAYOUT_SLICES * trainCopies * F;
    const sampleY = LAYOUT_SLICES * LABELS_PER_IMAGE;

    const validate = (m: tf.LayersModel): { probs: Float32Array; valLoss: number; valMetric: number; perClass: Record<string, number> } => {
      const probs = new Float32Array(valLabels.length);
      let at = 0;
      for (const s of valSeries) {
        checkCancel();
        const p = predictSeriesProbs(m, fs.train.features, F, fs.train.copies, s.imageRows, valCopies, 1, 'fixed');
        probs.set(p, at);
        at += p.length;
      }
      const metric = weightedLogLoss(probs, valLabels);
      return { probs, valLoss: myLoss(probs, valLabels), valMetric: metric.loss, perClass: metric.perClass };
    };

    const history: EpochRecord[] = [];
    // The best `bestAverage` epochs so far (by validation metric), with their parameters.
    // The untrained model (the prior) is a candidate too: a fold whose model never beats it keeps it.
    const v0 = validate(model);
    let kept: { epoch: number; valMetric: number; snap: WeightSnapshot }[] = [{ epoch: 0, valMetric: v0.valMetric, snap: snapshotWeights(model) }];
    /** Keeps the parameters at `epoch` (fractional within an epoch) if they are among the best `bestAverage`. */
    const consider = (epoch: number, valMetric: number): void => {
      const worst = kept.length < cfg.bestAverage ? Infinity : Math.max(...kept.map((k) => k.valMetric));
      if (valMetric < worst || kept.length < cfg.bestAverage) {
        kept.push({ epoch, valMetric, snap: snapshotWeights(model!) });
        kept = kept.sort((a, b) => a.valMetric - b.valMetric).slice(0, cfg.bestAverage);
      }
    };
    // Under the step floor an epoch is several passes over the series; on small data the in-fold features
    // are fitted within a pass or two, so the best parameters are looked for after every pass.
    const passEnds = passBoundaries(batches, repeats);
    const started = performance.now();
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const t0 = performance.now();
      const order = shuffled(samples, createRng(`${seedKey}:shuffle:${epoch}`));
      for (let r = 1; r < repeats; r++) order.push(...shuffled(samples, createRng(`${seedKey}:shuffle:${epoch}:${r}`)));
      const copyRng = createRng(`${seedKey}:copies:${epoch}`);
      let lossSum = 0;
      let lossN = 0;
      let lr = 0;
      for (let b = 0; b < batches; b++) {
        checkCancel();
        const chunk = order.slice(b * cfg.batchSize, (b + 1) * cfg.batchSize);
        const n = chunk.length;
        const x = new Float32Array(n * sampleX);
        const y = new Float32Array(n * sampleY);
        chunk.forEach((smp, i) => {
          const s = pooledResSample(fs.train.features, F, fs.train.copies, smp.rows, trainCopies, copyRng, labels);
          x.set(s.x, i * sampleX);
          y.set(s.y, i * sampleY);
        });
        const mult = lrMultiplier(step, tTotal, { cycles: cfg.cycles, tau: cfg.tau, warmup: cfg.warmup });
        optimizer.multiplier = mult;
        lr = mult * cfg.lr;
        const xt = tf.tensor4d(x, [n, LAYOUT_SLICES, trainCopies, F]);
        const yt = tf.tensor3d(y, [n, LAYOUT_SLICES, LABELS_PER_IMAGE]);
        let loss: number;
        try {
          loss = (await compiled.trainOnBatch(xt, yt)) as number;
        } finally {
          tf.dispose([xt, yt]);
        }
        if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at epoch ${epoch + 1}, batch ${b + 1}`);
        lossSum += loss * n;
        lossN += n;
        step++;
        const elapsed = (performance.now() - started) / 1000;
        record({
          type: 'batch', runId, stage: POOLED_RES_STAGE, model: base.name, fold, epoch: epoch + 1, epochs, batch: b + 1, batches, loss, lr,
          imagesPerSec: (step * cfg.batchSize) / Math.max(elapsed, 1e-9), etaSec: (elapsed / step) * (tTotal - step), backend: opts.backend,
        });
        if (passEnds.has(b + 1)) consider(Number((epoch + (b + 1) / batches).toFixed(3)), validate(model).valMetric);
      }
      const v = validate(model);
      const rec: EpochRecord = { epoch: epoch + 1, trainLoss: lossSum / Math.max(lossN, 1), valLoss: v.valLoss, valMetric: v.valMetric, perClass: v.perClass, seconds: (performance.now() - t0) / 1000, lr };
      history.push(rec);
      record({ type: 'epoch', runId, stage: POOLED_RES_STAGE, model: base.name, fold, epochs, ...rec });
      consider(rec.epoch, rec.valMetric);
      updateRun(ws, runId, { metrics: summarize(history) });
    }

    // Best epoch, or the average of the best `bestAverage` when it validates no worse.
    const best = kept[0]!;
    let chosen = { snap: best.snap, epochs: [best.epoch], averaged: false };
    let averageMetric: number | null = null;
    if (kept.length > 1) {
      const avg = averageSnapshots(model, kept.map((k) => k.snap), best.snap);
      restoreWeights(model, avg);
      averageMetric = validate(model).valMetric;
      if (averageMetric <= best.valMetric) chosen = { snap: avg, epochs: kept.map((k) => k.epoch), averaged: true };
    }
    restoreWeights(model, chosen.snap);
    const finalVal = validate(model);

    // OOF and test outputs: sigmoid per pass, averaged over passes.
    const oofIds: string[] = [];
    const oofProbs = new Float32Array(valLabels.length);
    let at = 0;
    for (const s of valSeries) {
      checkCancel();
      const p = predictSeriesProbs(model, fs.train.features, F, fs.train.copies, s.imageRows, trainCopies, cfg.oofPasses, createRng(`${seedKey}:oof:${s.seriesUid}`));
      oofProbs.set(p, at);
      at += p.length;
      oofIds.push(...s.imageIds);
    }
    const testIds: string[] = [];
    const testParts: Float32Array[] = [];
    for (const s of testSeries) {
      checkCancel();
      testParts.push(predictSeriesProbs(model, fs.test.features, F, fs.test.copies, s.imageRows, testCopies, cfg.testPasses, createRng(`${seedKey}:test:${s.seriesUid}`)));
      testIds.push(...s.imageIds);
    }
    const testProbs = new Float32Array(testIds.length * LABELS_PER_IMAGE);
    at = 0;
    for (const p of testParts) {
      testProbs.set(p, at);
      at += p.length;
    }
    const oof = weightedLogLoss(oofProbs, valLabels);

    const metrics: Record<string, unknown> = {
      valMetric: finalVal.valMetric, valLoss: finalVal.valLoss, perClass: finalVal.perClass, oofMetric: oof.loss, oofPerClass: oof.perClass,
      epoch: best.epoch, bestEpoch: best.epoch, bestEpochMetric: best.valMetric, keptEpochs: chosen.epochs, averaged: chosen.averaged, averageMetric,
      baselineMetric: prevalenceBaselineFor(trainLabels, valLabels), epochsDone: history.length,
      trainSeries: trainSeries.length, trainSamples: samples.length, valSeries: valSeries.length, valImages: oofIds.length, testSeries: testSeries.length, testImages: testIds.length,
      curve: history.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, valLoss: r.valLoss, valMetric: r.valMetric })),
      seconds: (performance.now() - started) / 1000,
    };
    checkCancel();
    const meta = {
      modelId, stage: POOLED_RES_STAGE, baseModel: base.name, baseModelId: baseModelId(base.name, folds, fold), preset: preset.name, presetVersion: preset.version,
      config: { ...cfg, trainCopies, valCopies, testCopies }, fold, nFolds: folds.k, foldSeed: folds.seed, featureSize: F, labels: [...METRIC_LABELS],
      inputCopies: { train: trainCopies, val: valCopies, oof: trainCopies, test: testCopies }, copiesPerImage: { train: fs.train.copies, test: fs.test.copies },
      metrics, runId, backend: opts.backend, trainedAt: new Date().toISOString(),
    };
    const modelDir = modelDirOf(ws, modelId);
    await saveModel(model, modelDir, meta);
    await writeMemberOutputs(modelDir, { oofIds, oofProbs, testIds, testProbs });
    upsertModel(ws, { id: modelId, stage: POOLED_RES_STAGE, modelName: base.name, fold, nFolds: folds.k, runId, featureSize: F, metrics });
    updateRun(ws, runId, { status: 'done', metrics: { ...metrics, modelId } });
    return { modelId, runId, metrics };
  } catch (err) {
    const cancelled = err instanceof CancelledError;
    updateRun(ws, runId, { status: cancelled ? 'cancelled' : 'failed', error: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? null });
    throw err;
  } finally {
    optimizer?.dispose();
    model?.dispose();
  }
}

function summarize(history: readonly EpochRecord[]): Record<string, unknown> {
  const best = history.reduce((a, r) => (r.valMetric < a.valMetric ? r : a));
  return {
    valMetric: best.valMetric, valLoss: best.valLoss, bestEpoch: best.epoch, epochsDone: history.length,
    curve: history.map((r) => ({ epoch: r.epoch, trainLoss: r.trainLoss, valLoss: r.valLoss, valMetric: r.valMetric })),
  };
}
