import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../api/training.ts';
import { featureStats } from '../data/series-layout.ts';
import { CancelledError } from '../jobs/progress.ts';
import { weightedLogLoss } from '../metrics/log-loss.ts';
import { loadShallow } from '../predict/shallow-predict.ts';
import { featureDirOf } from './feature-stage.ts';
import { createRng } from '../base/random.ts';
import { makeFeatureWorkspace, type FeatureWorkspace } from '../testing/feature-workspace.ts';
import { getModel, getRun, labeledImages, loadFolds, loadSampleWeights, saveSampleWeights, unlabeledImages, upsertModel } from '../store/training-store.ts';
import { Workspace } from '../store/workspace.ts';
import { modelDirOf } from './base-train.ts';
import { fullheadModelId, readMemberOutputs, writeMemberOutputs } from './member-outputs.ts';
import { baseOofReport } from './oof.ts';
import { computeAndStoreSampleWeights } from './sample-weights-stage.ts';
import { loadFeatureSet } from './series-data.ts';
import { trainShallow, weightedDraw } from './shallow-train.ts';
import { trainingFeatureStats } from './series-data.ts';

let root: string;
let fx: FeatureWorkspace;
let ws: Workspace;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'shallow-train-'));
  const t0 = performance.now();
  fx = await makeFeatureWorkspace(root);
  console.log(`fixture: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  ws = Workspace.open(fx.wsDir);
}, 180_000);

afterAll(async () => {
  ws.close();
  await rm(root, { recursive: true, force: true });
});

describe('weightedDraw (WeightedRandomSampler, replacement=True)', () => {
  it('draws in proportion to the weights, never a zero weight', () => {
    const counts = new Float64Array(4);
    const n = 100_000;
    for (const i of weightedDraw([1, 3, 0, 6], n, createRng(1))) counts[i]!++;
    expect(counts[2]).toBe(0);
    expect(counts[0]! / n).toBeCloseTo(0.1, 2);
    expect(counts[1]! / n).toBeCloseTo(0.3, 2);
    expect(counts[3]! / n).toBeCloseTo(0.6, 2);
    expect(() => weightedDraw([0, 0], 1, createRng(1))).toThrow(/all weights/);
  });
});

describe('trainingFeatureStats', () => {
  it('equals featureStats over the copied rows of the chosen images', () => {
    const rng = createRng(4);
    const F = 5;
    const copies = 3;
    const features = Float32Array.from({ length: 10 * copies * F }, (_, i) => (i % F === 2 ? 7 : rng.normal()));
    const images = [1, 4, 8];
    const rows = new Float32Array(images.length * copies * F);
    images.forEach((img, k) => rows.set(features.subarray(img * copies * F, (img + 1) * copies * F), k * copies * F));
    const a = trainingFeatureStats({ features, copies }, F, images);
    const b = featureStats(rows, F);
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    Array.from(a.std).forEach((v, i) => expect(v).toBeCloseTo(b.std[i]!, 6));
    expect(a.std[2]).toBe(1);
  });
});

describe('shallow NN stages on the feature workspace', () => {
  const steps: [number, number][] = [[1e-3, 2], [2e-4, 1]];

  it('trains fold 0 from scratch: model, stats, outputs for exactly the validation / unlabelled images, run done, no leak', async () => {
    const base = fx.preset.base[0]!;
    const events: TrainingEvent[] = [];
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const r = await trainShallow({ ws, preset: fx.preset, base, fold: 0, folds: fx.preset.folds, backend: fx.backend, lrSteps: steps, passes: 2, onEvent: (e) => events.push(e) });
    console.log(`trainShallow fold 0 (3 epochs, 2 passes): ${((performance.now() - t0) / 1000).toFixed(1)} s; metrics ${JSON.stringify({ valMetric: r.metrics.valMetric, oofMetric: r.metrics.oofMetric, baselineMetric: r.metrics.baselineMetric })}`);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.modelId).toBe(fullheadModelId('shallow', base.name, fx.preset.folds, 0));
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
    expect(events.some((e) => e.type === 'batch' && e.stage === 'shallow')).toBe(true);
    expect(getRun(ws, r.runId)?.status).toBe('done');
    expect(getRun(ws, r.runId)?.stage).toBe('shallow');
    expect(getModel(ws, r.modelId)?.stage).toBe('shallow');

    const folds = loadFolds(ws, fx.preset.folds.k, fx.preset.folds.seed);
    const fs = await loadFeatureSet(featureDirOf(ws, base.name, fx.preset.folds.k, 0));
    const valIds = labeledImages(ws).filter((im) => folds.get(im.patientId) === 0 && fs.train.index.has(im.imageId)).map((im) => im.imageId);
    const out = await readMemberOutputs(modelDirOf(ws, r.modelId));
    expect([...out.oofIds].sort()).toEqual([...valIds].sort());
    expect([...out.testIds].sort()).toEqual(unlabeledImages(ws).map((im) => im.imageId).sort());
    for (const v of [...out.oofProbs, ...out.testProbs]) expect(v > 0 && v < 1).toBe(true);

    const { model, meta } = await loadShallow(modelDirOf(ws, r.modelId));
    expect(meta.stage).toBe('shallow');
    expect(meta.featureSize).toBe(fs.featureSize);
    expect(meta.mean.length).toBe(fs.featureSize);
    model.dispose();
    // The probability floor of its training images (the other folds' slices with features) bounds every output.
    const trainImages = labeledImages(ws).filter((im) => (folds.get(im.patientId) ?? -1) >= 0 && folds.get(im.patientId) !== 0 && fs.train.index.has(im.imageId)).length;
    expect(meta.trainImages).toBe(trainImages);
    expect(meta.probabilityFloor).toBeCloseTo(0.5 / (trainImages + 1), 12);
    const lo = Math.fround(meta.probabilityFloor as number);
    const hi = Math.fround(1 - (meta.probabilityFloor as number));
    for (const v of [...out.oofProbs, ...out.testProbs]) expect(v >= lo && v <= hi).toBe(true);
  }, 170_000);

  it('both folds with the preset\'s own lrSteps; the OOF metric over both folds is reported against the base CNN', async () => {
    const base = fx.preset.base[0]!;
    for (let fold = 0; fold < fx.preset.folds.k; fold++) {
      const t0 = performance.now();
      await trainShallow({ ws, preset: fx.preset, base, fold, folds: fx.preset.folds, backend: fx.backend });
      console.log(`trainShallow fold ${fold} (preset lrSteps ${JSON.stringify(fx.preset.shallow.lrSteps)}, ${fx.preset.shallow.passes} passes): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const labels = new Map(labeledImages(ws).map((im) => [im.imageId, im.labels]));
    const probs: number[] = [];
    const ys: number[] = [];
    for (let f = 0; f < fx.preset.folds.k; f++) {
      const out = await readMemberOutputs(modelDirOf(ws, fullheadModelId('shallow', base.name, fx.preset.folds, f)));
      out.oofIds.forEach((id, i) => {
        for (let k = 0; k < 6; k++) {
          probs.push(out.oofProbs[i * 6 + k]!);
          ys.push(labels.get(id)![k]!);
        }
      });
    }
    const shallow = weightedLogLoss(probs, ys).loss;
    const baseReport = await baseOofReport(ws, base.name, fx.preset.folds);
    console.log(`OOF metric: shallow ${shallow.toFixed(4)} vs base CNN ${baseReport?.oofMetric.toFixed(4)} (prevalence baseline ${baseReport?.baselineMetric.toFixed(4)}); shallow ${baseReport && shallow < baseReport.oofMetric ? 'beats' : 'does not beat'} the base`);
    expect(Number.isFinite(shallow)).toBe(true);
  }, 170_000);

  it('computes and stores one sample weight per labelled image, mean 1, from pooled-res test probabilities', async () => {
    // A stand-in Pooled-Res member (that stage is written elsewhere): P(any) for every unlabelled image.
    const folds = fx.preset.folds;
    const testIds = unlabeledImages(ws).map((im) => im.imageId);
    const rng = createRng(77);
    const testProbs = Float32Array.from({ length: testIds.length * 6 }, () => 0.05 + 0.5 * rng.next());
    const id = fullheadModelId('pooled-res', fx.preset.base[0]!.name, folds, 0);
    await mkdir(modelDirOf(ws, id), { recursive: true });
    await writeMemberOutputs(modelDirOf(ws, id), { testIds, testProbs });
    upsertModel(ws, { id, stage: 'pooled-res', modelName: fx.preset.base[0]!.name, fold: 0, nFolds: folds.k, runId: null, featureSize: null, metrics: {} });
    const report = await computeAndStoreSampleWeights(ws, folds);
    const labelled = labeledImages(ws);
    expect(report.weights.length).toBe(labelled.length);
    const stored = loadSampleWeights(ws);
    expect([...stored.keys()].sort()).toEqual(labelled.map((im) => im.imageId).sort());
    const mean = [...stored.values()].reduce((a, b) => a + b, 0) / stored.size;
    expect(mean).toBeCloseTo(1, 5);
    console.log(`sample weights: ${JSON.stringify({ fallback: report.fallback, targetImages: report.targetImages, pxlMinRatio: report.pxlMinRatio, groups: report.groups, zeroed: report.zeroed })}`);
  });

  it('the weighted fine-tune starts from the shallow model and changes its weights', async () => {
    const base = fx.preset.base[0]!;
    const folds = fx.preset.folds;
    // Non-uniform weights (the stage's may be its uniform fallback on so small a target).
    const rngW = createRng(3);
    saveSampleWeights(ws, new Map(labeledImages(ws).map((im) => [im.imageId, 0.2 + 2 * rngW.next()])));
    const from = await loadShallow(modelDirOf(ws, fullheadModelId('shallow', base.name, folds, 0)));
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const r = await trainShallow({ ws, preset: fx.preset, base, fold: 0, folds, backend: fx.backend, weighted: true, lrSteps: [[1e-3, 1]], passes: 1 });
    console.log(`weighted fine-tune (1 epoch): ${((performance.now() - t0) / 1000).toFixed(1)} s; valMetric ${String(r.metrics.valMetric)}`);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.modelId).toBe(fullheadModelId('shallow-weighted', base.name, folds, 0));
    expect(getRun(ws, r.runId)?.stage).toBe('shallow-weighted');
    const after = await loadShallow(modelDirOf(ws, r.modelId));
    expect(after.meta.initFrom).toBe(fullheadModelId('shallow', base.name, folds, 0));
    expect(Array.from(after.meta.mean)).toEqual(Array.from(from.meta.mean));
    const w0 = from.model.getWeights().map((w) => w.dataSync());
    const w1 = after.model.getWeights().map((w) => w.dataSync());
    expect(w1.length).toBe(w0.length);
    // Same architecture; trained weights moved, but only a little (1 epoch from the shallow model).
    let moved = 0;
    let maxRel = 0;
    w0.forEach((a, i) => {
      const b = w1[i]!;
      let d = 0;
      let n = 0;
      for (let k = 0; k < a.length; k++) {
        d += (a[k]! - b[k]!) ** 2;
        n += a[k]! ** 2;
      }
      if (d > 0) moved++;
      if (n > 0) maxRel = Math.max(maxRel, Math.sqrt(d / n));
    });
    // The best epoch by validation is kept, the starting point (epoch 0) included: a fine-tune that did
    // not improve on it keeps the shallow model's weights exactly.
    const curve = r.metrics.curve as { valMetric: number }[];
    if (r.metrics.bestEpoch === 0) {
      expect(moved).toBe(0);
      expect(curve.every((c) => c.valMetric >= (r.metrics.valMetric as number))).toBe(true);
    } else {
      expect(moved).toBeGreaterThan(0);
      expect(maxRel).toBeLessThan(1);
    }
    from.model.dispose();
    after.model.dispose();
  }, 170_000);

  it('bag: two nets saved as one graph averaging their probabilities; the weighted fine-tune goes on from the whole graph', async () => {
    const base = fx.preset.base[0]!;
    const folds = fx.preset.folds;
    const preset = { ...fx.preset, shallow: { ...fx.preset.shallow, bag: 2 } };
    const events: TrainingEvent[] = [];
    const before = tf.memory().numTensors;
    const r = await trainShallow({ ws, preset, base, fold: 1, folds, backend: fx.backend, lrSteps: [[1e-3, 1]], passes: 1, onEvent: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(events.filter((e) => e.type === 'epoch').map((e) => [(e as { epoch: number }).epoch, (e as { epochs: number }).epochs])).toEqual([[1, 2], [2, 2]]);
    expect(r.metrics.bag).toHaveLength(2);
    expect(r.metrics.curve).toHaveLength(2);
    const dir = modelDirOf(ws, r.modelId);
    const bag = await loadShallow(dir);
    try {
      const names = bag.model.layers.map((l) => l.name);
      expect(names).toContain('bag0_stem_conv');
      expect(names).toContain('bag1_logits');
      expect(bag.model.layers.at(-1)!.getClassName()).toBe('ICHProbabilityMean');
      expect(bag.model.outputs[0]!.shape).toEqual([null, 60, 6]);
      // Its OOF file is what the saved graph predicts (pass 0's seeded layout, floored).
      const out = await readMemberOutputs(dir);
      expect(Math.min(...out.oofProbs)).toBeGreaterThanOrEqual(Math.fround(bag.meta.probabilityFloor as number));
      const w0 = bag.model.getLayer('bag0_stem_conv').getWeights()[0]!.dataSync();
      const w1 = bag.model.getLayer('bag1_stem_conv').getWeights()[0]!.dataSync();
      expect(Math.max(...Array.from(w0, (v, i) => Math.abs(v - w1[i]!)))).toBeGreaterThan(1e-3);
    } finally {
      bag.model.dispose();
    }
    const rw = await trainShallow({ ws, preset, base, fold: 1, folds, backend: fx.backend, weighted: true, lrSteps: [[1e-3, 1]], passes: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const tuned = await loadShallow(modelDirOf(ws, rw.modelId));
    expect(tuned.model.layers.map((l) => l.name)).toContain('bag1_logits');
    expect(rw.metrics.bag).toBeUndefined();
    tuned.model.dispose();
  }, 170_000);

  it('cancellation marks the run cancelled', async () => {
    const ac = new AbortController();
    let runId = '';
    const before = tf.memory().numTensors;
    await expect(trainShallow({
      ws, preset: fx.preset, base: fx.preset.base[0]!, fold: 1, folds: fx.preset.folds, backend: fx.backend, lrSteps: [[1e-3, 5]], signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'batch') {
          runId = e.runId;
          ac.abort();
        }
      },
    })).rejects.toBeInstanceOf(CancelledError);
    expect(getRun(ws, runId)?.status).toBe('cancelled');
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
