/**
 * The Pooled-Res stage for one base model x one fold (docs/seed-pipeline.md section 4): train on the labelled series
 * of the other folds (every sliding window of a long series is a sample), validate each epoch on the
 * fold's labelled series with fixed copies, keep the average of the best `bestAverage` epochs' trainable
 * parameters (batch-norm moving statistics of the best epoch) when it is not worse than the best epoch,
 * then write the OOF (fold's validation images, `oofPasses` passes of 3-of-4 copies) and test (unlabelled
 * images, `testPasses` passes of 4-of-8) probabilities next to the saved model. With `bag` > 1 (preset), that
 * many nets are trained so, each from its own initialisation and sample order, and saved as one graph that
 * averages their probabilities (models/pooled-res.ts `assemblePooledResBag`): on small data one net's
 * out-of-fold loss moves by several percent with its seed alone.
 *
 * The runs are short: a killed run is not resumed (the pipeline reruns the stage for a missing model
 * record), and saveModel is atomic, so no half-written model folder is left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { shuffledIndices } from '../data/sampler.ts';
import { slidingWindows } from '../data/sliding-windows.ts';
import { LABELS_PER_IMAGE, LAYOUT_SLICES, pooledResSample, type InputNorm } from '../data/series-layout.ts';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { LABELS as METRIC_LABELS } from '../../src-shared/labels.ts';
import { maskedWeightedBce } from '../models/fullhead-losses.ts';
import { assemblePooledResBag, buildPooledRes } from '../models/pooled-res.ts';
import { BertAdam } from '../nn/bert-adam.ts';
import { lrMultiplier } from '../nn/lr-schedule.ts';
import { saveModel } from '../nn/model-io.ts';
import { featureDirOf } from './feature-stage.ts';
import { POOLED_RES_STAGE, predictSeriesProbs } from '../predict/pooled-res-predict.ts';
import { upsertModel } from '../store/training-store.ts';
import { labelPrior, repeatedOrder, setOutputPrior } from './prior-init.ts';
import { clampProbabilities, probabilityFloor } from '../metrics/probability-floor.ts';
import { createRng, type Rng } from '../base/random.ts';
import { baseModelId, modelDirOf, prevalenceBaselineFor } from './base-train.ts';
import { fullheadModelId, writeMemberOutputs } from './member-outputs.ts';
import type { BaseModelPreset } from './presets.ts';
import { loadFeatureSet, seriesWithFeatures, trainingFeatureStats, trainLabelMatrix, type FeatureSetData, type SeriesRecord } from './series-data.ts';
import { bestOf, curveOf, epochSeedKey, keepBestOrAverage, runStage, scoreValidation, stepFloor, trainBag, type EpochRecord, type StageOptions, type Validation } from './stage-runner.ts';
import { parallelTrainStep, STAGE_LOSSES } from './parallel-step.ts';

export interface FullheadStageOptions extends StageOptions {
  base: BaseModelPreset;
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

function gatherLabels(labels: Uint8Array, series: readonly SeriesRecord[]): Uint8Array {
  const n = series.reduce((a, s) => a + s.imageRows.length, 0);
  const out = new Uint8Array(n * LABELS_PER_IMAGE);
  let at = 0;
  for (const s of series) {
    for (const r of s.imageRows) out.set(labels.subarray(r * LABELS_PER_IMAGE, (r + 1) * LABELS_PER_IMAGE), LABELS_PER_IMAGE * at++);
  }
  return out;
}

/**
 * Inverted dropout on the first `count` values (the real slices' features; rows past the series end keep
 * their padding value): each is zeroed with probability p, the rest scaled by 1 / (1 - p). Training rows'
 * features come from a base CNN that saw those images and are more confident than the out-of-fold ones
 * the model is scored on and the unseen ones it serves; dropping features keeps it from leaning on a few.
 */
function dropInputs(x: Float32Array, count: number, p: number, rng: Rng): void {
  const keep = 1 / (1 - p);
  for (let i = 0; i < count; i++) x[i] = rng.next() < p ? 0 : x[i]! * keep;
}

/** Numeric weight-init seed from a string key (the seed: SEED + fold). */
function initSeed(key: string): number {
  return createRng(`${key}:init`).int(0, 2 ** 30);
}

export async function trainPooledRes(opts: FullheadStageOptions): Promise<FullheadStageResult> {
  const { ws, preset, base, fold, folds } = opts;
  const cfg = preset.pooledRes;
  const modelId = fullheadModelId(POOLED_RES_STAGE, base.name, folds, fold);
  const config = { preset: preset.name, presetVersion: preset.version, base: base.name, fold, folds, pooledRes: cfg };
  return runStage(opts, { stage: POOLED_RES_STAGE, idName: `pooled-res-${base.name}`, modelName: base.name, config }, async (run) => {
    const { runId } = run;
    const warn = (text: string): void => run.message('warn', text);
    if (!(fold >= 0 && fold < folds.k)) throw new Error(`fold ${fold} is outside 0..${folds.k - 1}`);
    const fs: FeatureSetData = run.own(await loadFeatureSet(featureDirOf(ws, base.name, folds.k, fold)));
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
    // No odds finer than the training images resolve, in validation (the epoch choice) and every output.
    const floor = probabilityFloor(trainLabels.length / LABELS_PER_IMAGE);

    const clampCopies = (want: number, have: number, what: string): number => {
      if (want <= have) return want;
      warn(`pooledRes.${what} = ${want} but the feature set has ${have} copies per image; using ${have}`);
      return have;
    };
    const trainCopies = clampCopies(cfg.trainCopies, fs.train.copies, 'trainCopies');
    const valCopies = clampCopies(cfg.valCopies, fs.train.copies, 'valCopies');
    const testCopies = clampCopies(cfg.testCopies, fs.test.copies, 'testCopies');

    // Standardised inputs (preset zscore): statistics over every copy of the training series' images.
    const norm: InputNorm | undefined = cfg.zscore ? trainingFeatureStats(fs.train, F, trainSeries.flatMap((s) => s.imageRows)) : undefined;

    const seedKey = `pooled-res:${base.name}:k${folds.k}:f${fold}`;
    const samples = windowSamples(trainSeries);
    const dropout = cfg.inputDropout ?? 0;
    const epochs = cfg.epochs;
    const bagSize = cfg.bag ?? 1;
    // The step floor: with few series, each epoch goes through them several times.
    const { repeats, batches } = stepFloor(samples.length, cfg.batchSize, epochs, cfg.minSteps);
    if (repeats > 1) warn(`${samples.length} training windows: ${repeats} passes per epoch (step floor ${cfg.minSteps})`);
    if (bagSize > 1) run.message('info', `a bag of ${bagSize} nets: each trained for ${epochs} epochs from its own initialisation and order, their probabilities averaged`);
    const tTotal = epochs * batches;
    const sampleX = LAYOUT_SLICES * trainCopies * F;
    const sampleY = LAYOUT_SLICES * LABELS_PER_IMAGE;

    const validate = async (m: tf.LayersModel): Promise<Validation> => {
      const probs = new Float32Array(valLabels.length);
      let at = 0;
      for (const s of valSeries) {
        run.checkCancel();
        const p = await predictSeriesProbs(m, fs.train.features, F, fs.train.copies, s.imageRows, valCopies, 1, 'fixed', norm);
        probs.set(p, at);
        at += p.length;
      }
      return scoreValidation(clampProbabilities(probs, floor), valLabels);
    };

    const started = performance.now();
    // Each member: its own initialisation and order (member 0 keeps the seed's keys: a bag of one is the seed's net).
    const { results: members, curve } = await trainBag(bagSize, epochs, seedKey, async ({ key, span, curveWith }) => {
      const net = run.own(buildPooledRes(F, { seed: initSeed(key) }));
      // Untrained, the model predicts the training series' prevalence (prior-init.ts).
      setOutputPrior(net, 'logits', labelPrior(trainLabels), true);
      // A twin (same layers and weights) carries the optimizer, so the saved model holds no optimizer config.
      const compiled = tf.model({ inputs: net.inputs, outputs: net.outputs });
      const optimizer = run.own(new BertAdam(() => ({ lr: cfg.lr, weightDecay: cfg.weightDecay }), { maxGradNorm: cfg.maxGradNorm }));
      compiled.compile({ optimizer, loss: maskedWeightedBce });
      const trainStep = await parallelTrainStep(run, { model: net, loss: STAGE_LOSSES.pooledRes, optimizer, seedKey: key, preset, backend: opts.backend });
      // The best `bestAverage` parameter sets (the untrained prior, every epoch, every pass of a floored epoch).
      const { history, kept } = await run.fit({
        model: net, compiled, trainStep, epochs, batches, repeats, batchSize: cfg.batchSize, validate, trainLoss: 'per-sample', keepBest: cfg.bestAverage, span,
        beginEpoch: (epoch) => {
          const order = repeatedOrder(repeats, (r) => shuffledIndices(samples.length, createRng(epochSeedKey(key, 'shuffle', epoch, r))));
          const copyRng = createRng(`${key}:copies:${epoch}`);
          const dropRng = createRng(`${key}:input-dropout:${epoch}`);
          return (bi) => {
            const chunk = order.subarray(bi * cfg.batchSize, (bi + 1) * cfg.batchSize);
            const n = chunk.length;
            const x = new Float32Array(n * sampleX);
            const y = new Float32Array(n * sampleY);
            chunk.forEach((k, i) => {
              const s = pooledResSample(fs.train.features, F, fs.train.copies, samples[k]!.rows, trainCopies, copyRng, labels, norm);
              if (dropout > 0) dropInputs(s.x, s.n * trainCopies * F, dropout, dropRng);
              x.set(s.x, i * sampleX);
              y.set(s.y, i * sampleY);
            });
            return { xs: tf.tensor4d(x, [n, LAYOUT_SLICES, trainCopies, F]), y: tf.tensor3d(y, [n, LAYOUT_SLICES, LABELS_PER_IMAGE]), n };
          };
        },
        learningRate: (step) => {
          optimizer.multiplier = lrMultiplier(step, tTotal, { cycles: cfg.cycles, tau: cfg.tau, warmup: cfg.warmup });
          return optimizer.multiplier * cfg.lr;
        },
        progress: (h) => summarize(curveWith(h)),
      });
      trainStep.release();
      run.release(optimizer);
      // Best epoch, or the average of the best `bestAverage` when it validates no worse.
      return { result: { net, best: kept[0]!, chosen: await keepBestOrAverage(net, kept, validate) }, history };
    });
    const model = bagSize === 1 ? members[0]!.net : run.own(assemblePooledResBag(F, members.map((m) => m.net)));
    const best = members[0]!.best;
    const chosen = members[0]!.chosen;
    const finalVal = await validate(model);

    // OOF and test outputs: sigmoid per pass, averaged over passes.
    const oofIds: string[] = [];
    const oofProbs = new Float32Array(valLabels.length);
    let at = 0;
    for (const s of valSeries) {
      run.checkCancel();
      const p = clampProbabilities(await predictSeriesProbs(model, fs.train.features, F, fs.train.copies, s.imageRows, trainCopies, cfg.oofPasses, createRng(`${seedKey}:oof:${s.seriesUid}`), norm), floor);
      oofProbs.set(p, at);
      at += p.length;
      oofIds.push(...s.imageIds);
    }
    const testIds: string[] = [];
    const testParts: Float32Array[] = [];
    for (const s of testSeries) {
      run.checkCancel();
      testParts.push(clampProbabilities(await predictSeriesProbs(model, fs.test.features, F, fs.test.copies, s.imageRows, testCopies, cfg.testPasses, createRng(`${seedKey}:test:${s.seriesUid}`), norm), floor));
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
      epoch: best.epoch, bestEpoch: best.epoch, bestEpochMetric: best.valMetric, keptEpochs: chosen.epochs, averaged: chosen.averaged, averageMetric: chosen.averageMetric,
      baselineMetric: prevalenceBaselineFor(trainLabels, valLabels), epochsDone: curve.length,
      trainSeries: trainSeries.length, trainSamples: samples.length, valSeries: valSeries.length, valImages: oofIds.length, testSeries: testSeries.length, testImages: testIds.length,
      curve: curveOf(curve),
      ...(bagSize > 1 ? { bag: members.map((m) => ({ bestEpoch: m.best.epoch, bestEpochMetric: m.best.valMetric, keptEpochs: m.chosen.epochs, averaged: m.chosen.averaged, averageMetric: m.chosen.averageMetric })) } : {}),
      seconds: (performance.now() - started) / 1000,
    };
    run.checkCancel();
    const meta = {
      modelId, stage: POOLED_RES_STAGE, baseModel: base.name, baseModelId: baseModelId(base.name, folds, fold), preset: preset.name, presetVersion: preset.version,
      config: { ...cfg, trainCopies, valCopies, testCopies }, fold, nFolds: folds.k, foldSeed: folds.seed, featureSize: F, labels: [...METRIC_LABELS],
      inputCopies: { train: trainCopies, val: valCopies, oof: trainCopies, test: testCopies }, copiesPerImage: { train: fs.train.copies, test: fs.test.copies },
      metrics, runId, backend: opts.backend, trainedAt: new Date().toISOString(), probabilityFloor: floor, trainImages: trainLabels.length / LABELS_PER_IMAGE,
      ...(norm ? { inputNorm: { mean: [...norm.mean], std: [...norm.std] } } : {}),
    };
    const modelDir = modelDirOf(ws, modelId);
    await saveModel(model, modelDir, meta);
    await writeMemberOutputs(modelDir, { oofIds, oofProbs, testIds, testProbs });
    upsertModel(ws, { id: modelId, stage: POOLED_RES_STAGE, modelName: base.name, fold, nFolds: folds.k, runId, featureSize: F, metrics });
    run.done(metrics, modelId);
    return { modelId, runId, metrics };
  });
}

function summarize(history: readonly EpochRecord[]): Record<string, unknown> {
  const best = bestOf(history);
  return { valMetric: best.valMetric, valLoss: best.valLoss, bestEpoch: best.epoch, epochsDone: history.length, curve: curveOf(history) };
}
