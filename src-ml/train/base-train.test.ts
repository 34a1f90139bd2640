import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../api/training.ts';
import { CancelledError } from '../jobs/progress.ts';
import { initBackend } from '../nn/backend.ts';
import { loadModel } from '../nn/model-io.ts';
import { extractFeatures } from './feature-stage.ts';
import { decodeNpy } from '../store/npy.ts';
import { getRun, labeledImages, listModels, loadFolds } from '../store/training-store.ts';
import { Workspace } from '../store/workspace.ts';
import { tempDir } from '../testing/fixtures.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { baseModelId, modelDirOf, OOF_IDS_FILE, OOF_PROBS_FILE, runDirOf, trainBase } from './base-train.ts';
import { listCheckpoints } from './checkpoint.ts';
import { baseOofReport } from './oof.ts';
import { testPreset } from './test-preset.ts';

const tmp = tempDir('ich-train-');
let ws: Workspace;
let backend: string;

beforeAll(async () => {
  backend = await initBackend({ purpose: 'train' }, { log: () => {} });
  ws = Workspace.open(await makeSynthWorkspace(tmp.dir, { studies: 6, seed: 3, size: 64 }));
}, 120_000);

afterAll(() => {
  ws.close();
  tmp.cleanup();
});

describe('base-CNN training runs', () => {
  const preset = testPreset();
  const m = preset.base[0]!;
  const folds = preset.folds;

  it('trains a fold: checkpoints per epoch, keeps the best, stores folds, numTensors flat across epochs and features', async () => {
    const counts: number[] = [];
    const events: TrainingEvent[] = [];
    const before = tf.memory().numTensors;
    const r = await trainBase({ ws, preset, model: m, fold: 0, folds, backend, onEvent: (e) => {
      events.push(e);
      if (e.type === 'epoch') counts.push(tf.memory().numTensors);
    } });
    expect(tf.memory().numTensors).toBe(before);
    expect(counts).toHaveLength(2);
    expect(counts[1]).toBe(counts[0]);
    expect(r.status).toBe('done');
    expect(r.modelId).toBe(baseModelId(m.name, folds, 0));

    // folds by patient, stored once and shared
    const assigned = loadFolds(ws, 2, 8153);
    const patients = new Set(labeledImages(ws).map((im) => im.patientId));
    expect(assigned.size).toBe(patients.size);
    expect(new Set(assigned.values())).toEqual(new Set([0, 1]));

    // progress events carry what the GUI shows
    const batch = events.find((e) => e.type === 'batch');
    expect(batch).toMatchObject({ stage: 'base', model: m.name, fold: 0, epochs: 2, backend });
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2]);

    const run = getRun(ws, r.runId)!;
    expect(run.status).toBe('done');
    const curve = run.metrics.curve as { valMetric: number }[];
    expect(curve).toHaveLength(2);
    // The best epoch, or the mean of the best epochs' weights (bestAverage) when that validates better.
    const bestOfCurve = Math.min(...curve.map((c) => c.valMetric));
    if (run.metrics.averagedEpochs) expect(run.metrics.valMetric as number).toBeLessThanOrEqual(bestOfCurve);
    else expect(run.metrics.valMetric).toBe(bestOfCurve);
    expect(typeof run.metrics.baselineMetric).toBe('number');
    // last and best checkpoints only, no temp folders left
    const kept = await listCheckpoints(runDirOf(ws, r.runId));
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(path.join(runDirOf(ws, r.runId), 'checkpoints')).filter((n) => n.includes('.tmp'))).toEqual([]);

    const { model, meta } = await loadModel<{ fold: number; featureSize: number; labels: string[]; probabilityFloor: number; trainImages: number }>(modelDirOf(ws, r.modelId));
    expect(meta.fold).toBe(0);
    // Its probabilities are clamped to the resolution of its training images, in the OOF file too.
    expect(meta.probabilityFloor).toBeCloseTo(0.5 / (meta.trainImages + 1), 12);
    const oofProbs = decodeNpy(readFileSync(path.join(modelDirOf(ws, r.modelId), OOF_PROBS_FILE))).data;
    expect(Math.min(...oofProbs)).toBeGreaterThanOrEqual(Math.fround(meta.probabilityFloor));
    expect(Math.max(...oofProbs)).toBeLessThanOrEqual(Math.fround(1 - meta.probabilityFloor));
    expect(meta.labels).toEqual(['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']);
    model.dispose();
    const oofIds = JSON.parse(readFileSync(path.join(modelDirOf(ws, r.modelId), OOF_IDS_FILE), 'utf8')) as string[];
    expect(oofIds.length).toBe(labeledImages(ws).filter((im) => assigned.get(im.patientId) === 0).length);

    // feature extraction: image-major TTA copies, seeded, leak-free
    const fBefore = tf.memory().numTensors;
    const f = await extractFeatures({ ws, modelId: r.modelId });
    expect(tf.memory().numTensors).toBe(fBefore);
    const n = labeledImages(ws).length;
    const feats = decodeNpy(readFileSync(path.join(f.dir, 'train.npy')));
    expect(feats.shape).toEqual([n * 2, meta.featureSize]);
    expect(decodeNpy(readFileSync(path.join(f.dir, 'train_logits.npy'))).shape).toEqual([n * 2, 6]);
    expect(decodeNpy(readFileSync(path.join(f.dir, 'test.npy'))).shape).toEqual([0, meta.featureSize]);
    const ids = JSON.parse(readFileSync(path.join(f.dir, 'ids.json'), 'utf8')) as { train: { ids: string[]; copies: number } };
    expect(ids.train.ids).toEqual(labeledImages(ws).map((im) => im.imageId));
    // two copies of one image differ (independent transforms) ...
    const F = meta.featureSize;
    const row = (i: number) => Array.from(feats.data.subarray(i * F, (i + 1) * F));
    expect(row(0)).not.toEqual(row(1));
    // ... and a re-run writes the same numbers
    const again = await extractFeatures({ ws, modelId: r.modelId });
    expect(decodeNpy(readFileSync(path.join(again.dir, 'train.npy'))).data).toEqual(feats.data);
    expect(existsSync(path.join(f.dir, '.parts'))).toBe(false);
  }, 240_000);

  it('cancels mid-epoch, keeps the last checkpoint, and resumes to completion', async () => {
    const ac = new AbortController();
    let runId = '';
    await expect(trainBase({ ws, preset, model: m, fold: 1, folds, backend, signal: ac.signal, onEvent: (e) => {
      if (e.type === 'batch') runId = e.runId;
      if (e.type === 'batch' && e.epoch === 2 && e.batch === 2) ac.abort();
    } })).rejects.toBeInstanceOf(CancelledError);
    expect(getRun(ws, runId)!.status).toBe('cancelled');
    expect(await listCheckpoints(runDirOf(ws, runId))).toEqual([1]);

    const epochs: number[] = [];
    const r = await trainBase({ ws, preset, model: m, fold: 1, folds, backend, onEvent: (e) => {
      if (e.type === 'epoch') epochs.push(e.epoch);
    } }, runId);
    expect(epochs).toEqual([2]);
    expect(r.status).toBe('done');
    expect((getRun(ws, runId)!.metrics.curve as unknown[]).length).toBe(2);
    await expect(trainBase({ ws, preset, model: m, fold: 1, folds, backend }, runId)).rejects.toThrow(/already done/);

    // both folds trained: the out-of-fold metric covers every labelled image once
    const oof = (await baseOofReport(ws, m.name, folds))!;
    expect(oof.missingFolds).toEqual([]);
    expect(oof.n).toBe(labeledImages(ws).length);
    expect(oof.oofMetric).toBeGreaterThan(0);
    expect(listModels(ws, 'base').map((x) => x.id)).toEqual([baseModelId(m.name, folds, 0), baseModelId(m.name, folds, 1)]);
  }, 240_000);
});
