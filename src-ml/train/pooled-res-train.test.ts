import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../api/training.ts';
import { CancelledError } from '../jobs/progress.ts';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { clampProbabilities } from '../metrics/probability-floor.ts';
import { featureDirOf } from './feature-stage.ts';
import { inputNormOf, loadPooledRes, predictSeriesProbs } from '../predict/pooled-res-predict.ts';
import { trainingFeatureStats } from './series-data.ts';
import { createRng } from '../base/random.ts';
import { getModel, getRun, labeledImages, loadFolds, unlabeledImages } from '../store/training-store.ts';
import { Workspace } from '../store/workspace.ts';
import { makeFeatureWorkspace, type FeatureWorkspace } from '../testing/feature-workspace.ts';
import { tempDir } from '../testing/fixtures.ts';
import { modelDirOf } from './base-train.ts';
import { fullheadModelId, readMemberOutputs } from './member-outputs.ts';
import { baseOofReport } from './oof.ts';
import { trainPooledRes } from './pooled-res-train.ts';
import { averageSnapshots, restoreWeights, snapshotWeights } from './weight-snapshots.ts';
import type { Preset } from './presets.ts';
import { loadFeatureSet, seriesWithFeatures } from './series-data.ts';

const tmp = tempDir('ich-pooled-res-');
let fx: FeatureWorkspace;
let ws: Workspace;
let preset: Preset;

beforeAll(async () => {
  const t0 = performance.now();
  fx = await makeFeatureWorkspace(tmp.dir);
  console.log(`feature workspace: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  ws = Workspace.open(fx.wsDir);
  preset = { ...fx.preset, pooledRes: { ...fx.preset.pooledRes, epochs: 3, batchSize: 4, bestAverage: 2, oofPasses: 3, testPasses: 2 } };
}, 240_000);

afterAll(() => {
  ws?.close();
  tmp.cleanup();
});

describe('parameter averaging', () => {
  it('averages trainable parameters over the snapshots and takes batch-norm moving statistics from the best', async () => {
    const input = tf.input({ shape: [3] });
    const dense = tf.layers.dense({ units: 4, name: 'd' }).apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(dense) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: bn });
    const before = tf.memory().numTensors;
    const snaps = [];
    for (const k of [1, 2, 3]) {
      tf.tidy(() => model.setWeights(model.weights.map((w) => tf.fill(w.shape as number[], k * (w.trainable ? 1 : 10)))));
      snaps.push(await snapshotWeights(model));
    }
    const best = snaps[1]!;
    const avg = averageSnapshots(model, snaps, best);
    restoreWeights(model, avg);
    expect(tf.memory().numTensors).toBe(before);
    const names = model.weights.map((w) => w.originalName);
    expect(names.some((n) => n.includes('moving_mean'))).toBe(true);
    model.weights.forEach((w) => {
      const v = Array.from(w.read().dataSync());
      // trainable: mean(1, 2, 3) = 2; moving stats: the best snapshot's (20 here; 30 below, where it differs from the mean)
      expect(v.every((x) => x === (w.trainable ? 2 : 20))).toBe(true);
    });
    const avg2 = averageSnapshots(model, snaps, snaps[2]!);
    restoreWeights(model, avg2);
    model.weights.forEach((w) => {
      const v = Array.from(w.read().dataSync());
      expect(v.every((x) => x === (w.trainable ? 2 : 30))).toBe(true);
    });
    // real (non-constant) values: element-wise mean
    const a = { values: snaps[0]!.values.map((v) => Float32Array.from(v, (_, i) => i)) };
    const b = { values: snaps[0]!.values.map((v) => Float32Array.from(v, (_, i) => 3 * i + 1)) };
    const m = averageSnapshots(model, [a, b], a);
    model.weights.forEach((w, j) => {
      const got = m.values[j]!;
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(w.trainable ? (i + 3 * i + 1) / 2 : i, 5);
    });
    model.dispose();
  });
});

describe('Pooled-Res stage', () => {
  it('trains a fold, writes the model and the OOF/test outputs, records the run; tensors flat', async () => {
    const base = preset.base[0]!;
    const events: TrainingEvent[] = [];
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const r = await trainPooledRes({ ws, preset, base, fold: 0, folds: preset.folds, backend: fx.backend, onEvent: (e) => events.push(e) });
    console.log(`trainPooledRes fold 0 (3 epochs): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(tf.memory().numTensors).toBe(before);
    const { curve: _curve, perClass: _pc, oofPerClass: _opc, ...brief } = r.metrics;
    console.log(`fold 0 metrics: ${JSON.stringify(brief)}`);
    expect(r.modelId).toBe(fullheadModelId('pooled-res', base.name, preset.folds, 0));

    const run = getRun(ws, r.runId)!;
    expect(run.status).toBe('done');
    expect(run.stage).toBe('pooled-res');
    const m = r.metrics;
    expect(typeof m.valMetric).toBe('number');
    expect(typeof m.oofMetric).toBe('number');
    expect(m.curve).toHaveLength(3);
    expect((m.keptEpochs as number[]).length).toBeGreaterThanOrEqual(1);
    expect(m.valMetric as number).toBeLessThanOrEqual((m.bestEpochMetric as number) + 1e-9);
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(events.find((e) => e.type === 'batch')).toMatchObject({ stage: 'pooled-res', model: base.name, fold: 0, epochs: 3, backend: fx.backend });

    const rec = getModel(ws, r.modelId)!;
    expect(rec.stage).toBe('pooled-res');
    const fs = await loadFeatureSet(featureDirOf(ws, base.name, preset.folds.k, 0));
    expect(rec.featureSize).toBe(fs.featureSize);

    // outputs: exactly the fold's labelled (validation) images and the unlabelled images
    const folds = loadFolds(ws, preset.folds.k, preset.folds.seed);
    const valIds = labeledImages(ws).filter((im) => folds.get(im.patientId) === 0).map((im) => im.imageId);
    const out = await readMemberOutputs(modelDirOf(ws, r.modelId));
    expect([...out.oofIds].sort()).toEqual([...valIds].sort());
    expect([...out.testIds].sort()).toEqual(unlabeledImages(ws).map((im) => im.imageId).sort());
    expect(out.testIds.length).toBeGreaterThan(0);
    for (const p of [...out.oofProbs, ...out.testProbs]) expect(p > 0 && p < 1).toBe(true);
    // OOF ids in series order, slices in z order (as seriesWithFeatures lists them)
    const series = seriesWithFeatures(ws, fs, preset.folds).filter((s) => s.split === 'train' && s.fold === 0);
    expect(out.oofIds).toEqual(series.flatMap((s) => s.imageIds));

    const { model, meta } = await loadPooledRes(modelDirOf(ws, r.modelId));
    expect(meta).toMatchObject({ stage: 'pooled-res', baseModel: base.name, fold: 0, nFolds: preset.folds.k, featureSize: fs.featureSize, preset: preset.name });
    expect(meta.labels).toEqual(['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']);
    model.dispose();
    // The probability floor of its training images (the other folds' labelled slices) bounds every output.
    const trainImages = labeledImages(ws).filter((im) => (folds.get(im.patientId) ?? -1) >= 0 && folds.get(im.patientId) !== 0).length;
    expect(meta.trainImages).toBe(trainImages);
    expect(meta.probabilityFloor).toBeCloseTo(0.5 / (trainImages + 1), 12);
    const f32 = Math.fround(meta.probabilityFloor as number);
    for (const p of [...out.oofProbs, ...out.testProbs]) expect(p >= f32 && p <= Math.fround(1 - (meta.probabilityFloor as number))).toBe(true);

    // Report only: Pooled-Res OOF over all folds vs the base CNN's OOF (tiny fixture, not asserted).
    const t1 = performance.now();
    const r1 = await trainPooledRes({ ws, preset, base, fold: 1, folds: preset.folds, backend: fx.backend });
    console.log(`trainPooledRes fold 1 (3 epochs): ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const labels = new Map(labeledImages(ws).map((im) => [im.imageId, im.labels]));
    const probs: number[] = [];
    const ys: number[] = [];
    for (const id of [r.modelId, r1.modelId]) {
      const o = await readMemberOutputs(modelDirOf(ws, id));
      o.oofIds.forEach((imageId, i) => {
        for (let k = 0; k < 6; k++) {
          probs.push(o.oofProbs[i * 6 + k]!);
          ys.push(labels.get(imageId)![k]!);
        }
      });
    }
    const baseReport = await baseOofReport(ws, base.name, preset.folds);
    console.log(`OOF metric: pooled-res ${weightedLogLoss(probs, ys).loss.toFixed(4)} vs base CNN ${baseReport?.oofMetric.toFixed(4)} (prevalence baseline ${baseReport?.baselineMetric.toFixed(4)}); per-fold pooled-res val ${String(m.valMetric)} / ${String(r1.metrics.valMetric)}`);
  }, 240_000);

  it('zscore + inputDropout: the fold training statistics are saved as inputNorm and reproduce the OOF outputs', async () => {
    const base = preset.base[0]!;
    const zPreset: Preset = { ...preset, pooledRes: { ...preset.pooledRes, epochs: 4, lr: 0.003, zscore: true, inputDropout: 0.5 } };
    const before = tf.memory().numTensors;
    const r = await trainPooledRes({ ws, preset: zPreset, base, fold: 1, folds: zPreset.folds, backend: fx.backend });
    expect(tf.memory().numTensors).toBe(before);
    const dir = modelDirOf(ws, r.modelId);
    const { model, meta } = await loadPooledRes(dir);
    try {
      const fs = await loadFeatureSet(featureDirOf(ws, base.name, zPreset.folds.k, 1));
      const norm = inputNormOf(meta, fs.featureSize, dir)!;
      const series = seriesWithFeatures(ws, fs, zPreset.folds).filter((s) => s.split === 'train');
      const want = trainingFeatureStats(fs.train, fs.featureSize, series.filter((s) => s.fold !== 1).flatMap((s) => s.imageRows));
      expect(norm.mean).toEqual(want.mean);
      expect(norm.std).toEqual(want.std);
      expect((meta.config as { inputDropout?: number }).inputDropout).toBe(0.5);
      // The saved OOF outputs are what the saved model gives with the saved statistics (and not without them).
      const out = await readMemberOutputs(dir);
      const first = series.find((s) => s.fold === 1)!;
      const key = `pooled-res:${base.name}:k${zPreset.folds.k}:f1:oof:${first.seriesUid}`;
      const args = [model, fs.train.features, fs.featureSize, fs.train.copies, first.imageRows, zPreset.pooledRes.trainCopies, zPreset.pooledRes.oofPasses] as const;
      const again = clampProbabilities(await predictSeriesProbs(...args, createRng(key), norm), meta.probabilityFloor as number);
      const saved = out.oofProbs.subarray(0, again.length);
      for (let i = 0; i < again.length; i++) expect(again[i]).toBeCloseTo(saved[i]!, 5);
      // (the kept parameters are a trained epoch's, not the prior's input-free start, so inputs matter)
      expect(r.metrics.bestEpoch as number).toBeGreaterThan(0);
      const raw = await predictSeriesProbs(...args, createRng(key));
      expect(Math.max(...raw.map((v, i) => Math.abs(v - saved[i]!)))).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
    expect(inputNormOf({}, 4, 'x')).toBeUndefined();
    expect(() => inputNormOf({ inputNorm: { mean: [0, 0], std: [1, 0] } }, 2, '/m')).toThrow(/\/m: meta.json inputNorm.std must be 2 finite positive numbers/);
  }, 240_000);

  it('bag: N nets trained one after another, numbered on in the events, saved as one graph averaging their probabilities', async () => {
    const base = preset.base[0]!;
    const bagPreset: Preset = { ...preset, pooledRes: { ...preset.pooledRes, epochs: 2, bag: 2, zscore: true } };
    const events: TrainingEvent[] = [];
    const before = tf.memory().numTensors;
    const r = await trainPooledRes({ ws, preset: bagPreset, base, fold: 1, folds: bagPreset.folds, backend: fx.backend, onEvent: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    // One run of 2 x 2 epochs: the epoch events count on across the members, out of 4.
    const epochEvents = events.filter((e) => e.type === 'epoch') as { epoch: number; epochs: number }[];
    expect(epochEvents.map((e) => [e.epoch, e.epochs])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    const batches = events.filter((e) => e.type === 'batch') as { epoch: number; epochs: number; etaSec: number }[];
    expect(batches.every((e) => e.epochs === 4)).toBe(true);
    // The ETA of member 0's last batch still counts member 1's steps.
    const lastOfFirst = batches.filter((e) => e.epoch === 2).at(-1)!;
    expect(lastOfFirst.etaSec).toBeGreaterThan(0);
    expect(r.metrics.curve).toHaveLength(4);
    const bag = r.metrics.bag as { bestEpoch: number; keptEpochs: number[] }[];
    expect(bag).toHaveLength(2);
    const dir = modelDirOf(ws, r.modelId);
    const { model, meta } = await loadPooledRes(dir);
    try {
      expect(meta.config).toMatchObject({ bag: 2 });
      const names = model.layers.map((l) => l.name);
      expect(names).toContain('bag0_conv_slices');
      expect(names).toContain('bag1_logits');
      expect(model.layers.at(-1)!.getClassName()).toBe('ICHProbabilityMean');
      // The saved OOF outputs are what the saved bag gives (floored), and the two members differ.
      const fs = await loadFeatureSet(featureDirOf(ws, base.name, bagPreset.folds.k, 1));
      const norm = inputNormOf(meta, fs.featureSize, dir)!;
      const first = seriesWithFeatures(ws, fs, bagPreset.folds).find((s) => s.split === 'train' && s.fold === 1)!;
      const key = `pooled-res:${base.name}:k${bagPreset.folds.k}:f1:oof:${first.seriesUid}`;
      const again = clampProbabilities(await predictSeriesProbs(model, fs.train.features, fs.featureSize, fs.train.copies, first.imageRows, bagPreset.pooledRes.trainCopies, bagPreset.pooledRes.oofPasses, createRng(key), norm), meta.probabilityFloor as number);
      const saved = (await readMemberOutputs(dir)).oofProbs.subarray(0, again.length);
      for (let i = 0; i < again.length; i++) expect(again[i]).toBeCloseTo(saved[i]!, 5);
      const w0 = model.getLayer('bag0_conv_slices').getWeights()[0]!.dataSync();
      const w1 = model.getLayer('bag1_conv_slices').getWeights()[0]!.dataSync();
      expect(Math.max(...Array.from(w0, (v, i) => Math.abs(v - w1[i]!)))).toBeGreaterThan(1e-3);
    } finally {
      model.dispose();
    }
  }, 240_000);

  it('cancellation through the AbortSignal marks the run cancelled and leaves no tensors', async () => {
    const base = preset.base[0]!;
    const ac = new AbortController();
    let runId = '';
    const before = tf.memory().numTensors;
    const p = trainPooledRes({ ws, preset: { ...preset, pooledRes: { ...preset.pooledRes, epochs: 50 } }, base, fold: 1, folds: preset.folds, backend: fx.backend, signal: ac.signal, onEvent: (e) => {
      if (e.type === 'batch') {
        runId = e.runId;
        ac.abort();
      }
    } });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(getRun(ws, runId)?.status).toBe('cancelled');
    expect(tf.memory().numTensors).toBe(before);
    // the finished model of fold 1 is untouched
    expect(existsSync(modelDirOf(ws, fullheadModelId('pooled-res', base.name, preset.folds, 1)))).toBe(true);
  }, 60_000);
});
