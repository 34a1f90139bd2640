/**
 * Zahar's shallow NN stage (docs/seed-pipeline.md section 5), one run per base feature set x fold:
 *   - inputs: the base model's TTA features of the fold (features/<base>.k<K>/<fold>/), z-scored with the
 *     mean/std over all train copies of the fold's TRAINING series' images (std 0 left unscaled), the 38
 *     continuous + 10 categorical metadata columns per slice, dummy rows = the all-black image;
 *   - 'shallow': from scratch, lrSteps [[lr, epochs]...], a new torch Adam (betas, coupled L2) every epoch
 *     (TorchAdam.reset), loss shallowNnLoss, batch `batchSize` series, shuffled, drop_last; the LAST epoch kept;
 *   - 'shallow-weighted' (the "risky" models): starts from the fold's 'shallow' model (and its z-score
 *     statistics), each epoch draws #train samples with replacement with probability proportional to the
 *     series weight (mean of its images' stored sample weights), lrSteps of preset.shallow.weighted;
 *   - preset.shallow.bag > 1 ('shallow' only): that many nets, each from its own initialisation and order,
 *     saved as one graph that averages their probabilities (models/bag.ts); the fine-tune trains that graph;
 *   - every probability (validation, OOF, test) is clamped to the probability floor of the training images.
 * Every epoch each image draws one random TTA copy and each series a random offset, from
 * createRng(1234 + sample index + 10000·epoch) (the seed's per-item seeding; sample index = position in
 * the stage's sample list, so a series drawn twice in a weighted epoch gets the same layout twice, as in the seed).
 * Per-epoch validation: the competition metric over the fold's labelled validation series with TTA copy 0
 * and offset 0 (the seed's setFeats(0); offset 0 is our deterministic choice).
 * Outputs: OOF = the validation series, test = every unlabelled series, each the mean over `passes`
 * passes of sigmoid with random copies and offsets; the passes of series i draw from
 * createRng(1234 + i + 10000·(100 + e)), e = 0 for OOF and 1 for test (the seed's "epoch = anum + 100").
 * Deviations: series longer than 60 slices become sliding windows (train: each window a sample; inference:
 * windows merged); when the training set has fewer samples than one batch, one batch of all of them is used
 * per epoch (drop_last would leave nothing to train on).
 */
import * as tf from '@tensorflow/tfjs';
import { metadataRowsFromWorkspace } from '../data/metadata-rows.ts';
import { computeMetadataFeatures, N_CAT, N_CONTINUOUS, type MetaFeatures } from '../data/metadata-features.ts';
import { shuffledIndices } from '../data/sampler.ts';
import { randomOffset, shallowSample } from '../data/series-layout.ts';
import { slidingWindows } from '../data/sliding-windows.ts';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { LABELS as METRIC_LABELS } from '../../src-shared/labels.ts';
import { shallowNnLoss } from '../models/fullhead-losses.ts';
import { assembleShallowBag, buildShallowNN, seedShallowNnConfig } from '../models/shallow-nn.ts';
import { saveModel } from '../nn/model-io.ts';
import { TorchAdam } from '../nn/torch-adam.ts';
import { featureDirOf } from './feature-stage.ts';
import { loadShallow, predictShallowMany, saveShallowStats, stackShallow, type ShallowInputs, type ShallowItem } from '../predict/shallow-predict.ts';
import { getModel, sampleWeightsByRow, upsertModel } from '../store/training-store.ts';
import { createRng, type Rng } from '../base/random.ts';
import { baseModelId, modelDirOf, prevalenceBaselineFor } from './base-train.ts';
import { fullheadModelId, writeMemberOutputs } from './member-outputs.ts';
import { labelPrior, repeatedOrder, setOutputPrior } from './prior-init.ts';
import { clampProbabilities, probabilityFloor } from '../metrics/probability-floor.ts';
import type { BaseModelPreset } from './presets.ts';
import { restoreWeights } from './weight-snapshots.ts';
import { loadFeatureSet, seriesWithFeatures, trainingFeatureStats, trainLabelMatrix, type SeriesRecord } from './series-data.ts';
import { epochSeedKey, runStage, scoreValidation, stepFloor, trainBag, type Validation, type StageOptions } from './stage-runner.ts';
import { parallelTrainStep, STAGE_LOSSES } from './parallel-step.ts';

export const SHALLOW_STAGE = 'shallow';
export const SHALLOW_WEIGHTED_STAGE = 'shallow-weighted';

export interface ShallowStageOptions extends StageOptions {
  base: BaseModelPreset;
  weighted?: boolean;
  /** Overrides the preset's lrSteps (of the stage: preset.shallow or preset.shallow.weighted). */
  lrSteps?: [number, number][];
  /** Overrides preset.shallow.passes (OOF and test passes). */
  passes?: number;
}

/** `count` indices drawn with replacement, P(i) = w_i / sum(w) (torch WeightedRandomSampler, replacement=True). */
export function weightedDraw(weights: ArrayLike<number>, count: number, rng: Rng): Int32Array {
  const n = weights.length;
  const cum = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weightedDraw: weight ${i} is ${w}`);
    total += w;
    cum[i] = total;
  }
  if (!(total > 0)) throw new Error('weightedDraw: all weights are 0');
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out[k] = lo;
  }
  return out;
}


/** Metadata columns of a split's images, aligned to its image order by id. */
function metadataOf(meta: MetaFeatures, rowOf: ReadonlyMap<string, number>, ids: readonly string[]): { continuous: Float32Array; categorical: Int32Array } {
  const continuous = new Float32Array(ids.length * N_CONTINUOUS);
  const categorical = new Int32Array(ids.length * N_CAT);
  ids.forEach((id, i) => {
    const r = rowOf.get(id);
    if (r === undefined) throw new Error(`image ${id} has features but no indexed metadata (re-scan the workspace)`);
    continuous.set(meta.continuous.subarray(r * N_CONTINUOUS, (r + 1) * N_CONTINUOUS), i * N_CONTINUOUS);
    categorical.set(meta.categorical.subarray(r * N_CAT, (r + 1) * N_CAT), i * N_CAT);
  });
  return { continuous, categorical };
}

/** Per-image probabilities of `series` concatenated in series order, their ids and (train split) labels. */
function collect(series: readonly SeriesRecord[], probs: readonly Float32Array[], labels?: Uint8Array): { ids: string[]; probs: Float32Array; labels: Uint8Array } {
  const ids = series.flatMap((s) => s.imageIds);
  const out = new Float32Array(ids.length * 6);
  const y = new Uint8Array(ids.length * 6);
  let at = 0;
  series.forEach((s, i) => {
    out.set(probs[i]!, at * 6);
    if (labels) s.imageRows.forEach((r, k) => y.set(labels.subarray(r * 6, r * 6 + 6), (at + k) * 6));
    at += s.imageIds.length;
  });
  return { ids, probs: out, labels: y };
}

interface TrainSample {
  /** Image rows (train split) of the sample's slices, z order, at most 60. */
  rows: number[];
  weight: number;
}

export async function trainShallow(opts: ShallowStageOptions): Promise<{ modelId: string; runId: string; metrics: Record<string, unknown> }> {
  const { ws, preset, base, fold, folds } = opts;
  const sh = preset.shallow;
  const weighted = opts.weighted ?? false;
  const stage = weighted ? SHALLOW_WEIGHTED_STAGE : SHALLOW_STAGE;
  const lrSteps = opts.lrSteps ?? (weighted ? sh.weighted.lrSteps : sh.lrSteps);
  const passes = opts.passes ?? sh.passes;
  const epochLrs = lrSteps.flatMap(([lr, n]) => Array.from({ length: n }, () => lr));
  const epochs = epochLrs.length;
  if (epochs === 0) throw new Error(`${stage}: lrSteps give no epochs`);
  const modelId = fullheadModelId(stage, base.name, folds, fold);
  const config = { preset: preset.name, presetVersion: preset.version, base: base.name, fold, folds, weighted, lrSteps, passes, batchSize: sh.batchSize, betas: sh.betas, weightDecay: sh.weightDecay };

  return runStage(opts, { stage, idName: `${stage}-${base.name}`, modelName: base.name, config }, async (run) => {
    const { runId } = run;
    // ---- data ----
    const fs = run.own(await loadFeatureSet(featureDirOf(ws, base.name, folds.k, fold)));
    const F = fs.featureSize;
    const series = seriesWithFeatures(ws, fs, folds, (line) => run.message('warn', line));
    const trainSeries = series.filter((s) => s.split === 'train' && s.fold !== fold);
    const valSeries = series.filter((s) => s.split === 'train' && s.fold === fold);
    const testSeries = series.filter((s) => s.split === 'test');
    if (trainSeries.length === 0 || valSeries.length === 0) {
      throw new Error(`fold ${fold} of ${folds.k}: ${trainSeries.length} training and ${valSeries.length} validation series with features; need both`);
    }
    const labels = trainLabelMatrix(ws, fs);
    // The metadata of every image is computed once and only the splits' columns kept.
    const { trainMeta, testMeta } = (() => {
      const meta = computeMetadataFeatures(metadataRowsFromWorkspace(ws));
      const metaRow = new Map(meta.imageIds.map((id, i) => [id, i]));
      return { trainMeta: metadataOf(meta, metaRow, fs.train.ids), testMeta: metadataOf(meta, metaRow, fs.test.ids) };
    })();

    // ---- model and statistics ----
    const shallowId = fullheadModelId(SHALLOW_STAGE, base.name, folds, fold);
    const nnConfig = seedShallowNnConfig(F);
    // The weighted fine-tune goes on from the fold's shallow model (a bag as a whole); from scratch, a bag of
    // `bag` nets is trained, each from its own initialisation and order (member 0 with the seed's).
    let start: tf.LayersModel | null = null;
    let mean: Float32Array;
    let std: Float32Array;
    if (weighted) {
      if (!getModel(ws, shallowId)) throw new Error(`${stage} starts from ${shallowId}, which is not trained yet`);
      const loaded = await loadShallow(modelDirOf(ws, shallowId));
      start = run.own(loaded.model);
      if (loaded.meta.mean.length !== F) throw new Error(`${shallowId} was trained on ${loaded.meta.mean.length} features, ${fs.dir} has ${F}`);
      ({ mean, std } = loaded.meta);
    } else {
      ({ mean, std } = trainingFeatureStats(fs.train, F, trainSeries.flatMap((s) => s.imageRows)));
    }
    const bagSize = weighted ? 1 : (sh.bag ?? 1);
    if (bagSize > 1) run.message('info', `a bag of ${bagSize} nets: each trained for ${epochs} epochs from its own initialisation and order, their probabilities averaged`);
    const trainInputs: ShallowInputs = {
      features: fs.train.features, featureSize: F, copiesPerImage: fs.train.copies, mean, std, black: fs.black, ...trainMeta, labels,
    };
    const testInputs: ShallowInputs = { features: fs.test.features, featureSize: F, copiesPerImage: fs.test.copies, mean, std, black: fs.black, ...testMeta };

    // ---- training samples (windows of series beyond 60 slices) ----
    // Sample weights by train row (NaN: none stored).
    let imageWeights: Float64Array | undefined;
    if (weighted) {
      const { weights, stored } = sampleWeightsByRow(ws, fs.train.index, fs.train.ids.length);
      if (stored === 0) throw new Error(`no sample weights in ${ws.dir}: run the sample-weight step before ${stage}`);
      imageWeights = weights;
    }
    const samples: TrainSample[] = [];
    for (const s of trainSeries) {
      for (const w of slidingWindows(s.imageRows.length)) {
        let weight = 1;
        if (imageWeights) {
          let sum = 0;
          for (let k = w.start; k < w.start + w.length; k++) {
            const v = imageWeights[s.imageRows[k]!]!;
            if (Number.isNaN(v)) throw new Error(`image ${s.imageIds[k]} has no sample weight (re-run the sample-weight step)`);
            sum += v;
          }
          weight = sum / w.length;
        }
        samples.push({ rows: s.imageRows.slice(w.start, w.start + w.length), weight });
      }
    }

    const seedKey = `${stage}:${base.name}:k${folds.k}:f${fold}`;
    const bs = Math.min(sh.batchSize, samples.length);
    // The step floor: with few series, each epoch goes through them several times (prior-init.ts).
    const minSteps = weighted ? sh.weighted.minSteps : sh.minSteps;
    const { repeats, batches } = stepFloor(samples.length, bs, epochs, minSteps, true);
    if (repeats > 1) run.message('info', `${stage} fold ${fold}: ${samples.length} training windows, ${repeats} passes per epoch (step floor ${minSteps})`);
    // No odds finer than the training images resolve, in validation (the epoch choice) and every output.
    const trainImages = trainSeries.reduce((a, s) => a + s.imageRows.length, 0);
    const floor = probabilityFloor(trainImages);
    const valLabels = collect(valSeries, valSeries.map((s) => new Float32Array(s.imageIds.length * 6)), labels).labels;
    const baselineMetric = prevalenceBaselineFor(collect(trainSeries, trainSeries.map((s) => new Float32Array(s.imageIds.length * 6)), labels).labels, valLabels);
    const validate = async (m: tf.LayersModel): Promise<Validation> =>
      scoreValidation(clampProbabilities(collect(valSeries, await predictShallowMany(m, trainInputs, valSeries.map((s) => s.imageRows), 1, () => 'fixed')).probs, floor), valLabels);

    // Each member: its own initialisation and order (member 0 keeps the seed's keys: a bag of one is the seed's net).
    const { results: members, curve } = await trainBag(bagSize, epochs, seedKey, async ({ index: b, key, span, curveWith }) => {
      let net: tf.LayersModel;
      if (start) net = start;
      else {
        net = run.own(buildShallowNN(nnConfig, { seed: 7919 * (fold + 1) + folds.k + 104_729 * b }));
        // Untrained, the model predicts the training series' prevalence (prior-init.ts).
        setOutputPrior(net, 'logits', labelPrior(labels, trainSeries.flatMap((s) => s.imageRows)), true);
      }
      // ---- optimizer on a twin of the model (the saved model carries no optimizer config) ----
      const compiled = tf.model({ inputs: net.inputs, outputs: net.outputs });
      const optimizer = run.own(new TorchAdam({ lr: epochLrs[0]!, beta1: sh.betas[0], beta2: sh.betas[1], weightDecay: sh.weightDecay }));
      compiled.compile({ optimizer, loss: shallowNnLoss });
      const trainStep = await parallelTrainStep(run, { model: net, loss: STAGE_LOSSES.shallow, optimizer, seedKey: key, preset, backend: opts.backend });
      // Each image's copy and each series' offset: the seed's per-item seeding for member 0.
      const itemRng = (idx: number, epoch: number): Rng => (b === 0 ? createRng(1234 + idx + 10000 * epoch) : createRng(`${key}:item:${idx}:${epoch}`));
      // The best epoch by validation metric is kept; the starting point (the prior, or for the weighted
      // fine-tune the shallow model) is epoch 0, so a run that never improves on it keeps it.
      const { history, kept } = await run.fit({
        model: net, compiled, trainStep, epochs, batches, repeats, batchSize: bs, trainLoss: 'per-batch', keepBest: 1, epochEventLr: false, span, validate,
        beginEpoch: (epoch) => {
          optimizer.reset(epochLrs[epoch]!); // a new Adam every epoch
          const order = weighted
            ? repeatedOrder(repeats, (r) => weightedDraw(samples.map((s) => s.weight), samples.length, createRng(epochSeedKey(key, 'sampler', epoch, r))))
            : repeatedOrder(repeats, (r) => shuffledIndices(samples.length, createRng(epochSeedKey(key, 'shuffle', epoch, r))));
          return (bi) => {
            const items: ShallowItem[] = [];
            for (let k = bi * bs; k < (bi + 1) * bs; k++) {
              const idx = order[k]!;
              const s = samples[idx]!;
              const rng = itemRng(idx, epoch);
              const offsetRows = randomOffset(s.rows.length, rng);
              const copies = s.rows.map(() => rng.int(0, fs.train.copies - 1));
              items.push(shallowSample({
                features: trainInputs.features, featureSize: F, copiesPerImage: trainInputs.copiesPerImage, mean, std, black: fs.black,
                continuous: trainInputs.continuous, categorical: trainInputs.categorical, sliceRows: s.rows, copyOf: (slot) => copies[slot]!, offset: offsetRows, labels,
              }));
            }
            const { xs, y } = stackShallow(items, F, N_CONTINUOUS, N_CAT);
            return { xs, y, n: bs };
          };
        },
        learningRate: (_step, epoch) => epochLrs[epoch]!,
        progress: (h) => ({ valMetric: h[h.length - 1]!.valMetric, epochsDone: curveWith(h).length, baselineMetric }),
      });
      trainStep.release();
      run.release(optimizer);
      const best = kept[0]!;
      restoreWeights(net, best.snap);
      return { result: { net, best }, history };
    });

    // ---- outputs of the best epoch (of each member, merged) ----
    run.checkCancel();
    const model = bagSize === 1 ? members[0]!.net : run.own(assembleShallowBag(nnConfig, members.map((m) => m.net)));
    const best = members[0]!.best;
    const bagVal = bagSize === 1 ? null : await validate(model);
    const oof = collect(valSeries, await predictShallowMany(model, trainInputs, valSeries.map((s) => s.imageRows), passes, (i) => createRng(1234 + i + 10000 * 100)), labels);
    const test = collect(testSeries, await predictShallowMany(model, testInputs, testSeries.map((s) => s.imageRows), passes, (i) => createRng(1234 + i + 10000 * 101)));
    clampProbabilities(oof.probs, floor);
    clampProbabilities(test.probs, floor);
    const oofMetric = weightedLogLoss(oof.probs, oof.labels).loss;
    const chosen = curve.find((r) => r.epoch === best.epoch);
    const metrics: Record<string, unknown> = {
      valMetric: bagVal?.valMetric ?? best.valMetric, valLoss: bagVal?.valLoss ?? chosen?.valLoss ?? null, oofMetric, baselineMetric, epoch: best.epoch, bestEpoch: best.epoch,
      epochsDone: curve.length, passes, repeats,
      trainSeries: trainSeries.length, valSeries: valSeries.length, testSeries: testSeries.length, trainSamples: samples.length,
      curve: curve.map((r) => ({ epoch: r.epoch, lr: r.lr, trainLoss: r.trainLoss, valLoss: r.valLoss, valMetric: r.valMetric })),
      ...(bagSize > 1 ? { bag: members.map((m) => ({ bestEpoch: m.best.epoch, bestEpochMetric: m.best.valMetric })) } : {}),
    };
    const dir = modelDirOf(ws, modelId);
    await saveModel(model, dir, {
      modelId, stage, baseModel: baseModelId(base.name, folds, fold), baseName: base.name, fold, nFolds: folds.k, foldSeed: folds.seed,
      featureSize: F, preset: preset.name, presetVersion: preset.version, shallow: { ...sh, lrSteps: weighted ? sh.lrSteps : lrSteps, weighted: weighted ? { lrSteps } : sh.weighted },
      initFrom: weighted ? shallowId : null, metrics, labels: [...METRIC_LABELS], statsFile: 'stats.npy', runId, backend: opts.backend,
      trainedAt: new Date().toISOString(), probabilityFloor: floor, trainImages, seeds: { sample: '1234 + index + 10000*epoch', oof: '1234 + series + 10000*100', test: '1234 + series + 10000*101' },
    });
    await saveShallowStats(dir, mean, std);
    await writeMemberOutputs(dir, { oofIds: oof.ids, oofProbs: oof.probs, testIds: test.ids, testProbs: test.probs });
    upsertModel(ws, { id: modelId, stage, modelName: base.name, fold, nFolds: folds.k, runId, featureSize: F, metrics });
    run.done(metrics, modelId);
    return { modelId, runId, metrics };
  });
}
