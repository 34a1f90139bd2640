// The engine service on a real small workspace (synth -> scan -> labels) with a few stored predictions.
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeMetadataFeatures, N_CONTINUOUS, rowOf } from '../data/metadata-features.ts';
import { metadataRowsFromWorkspace } from '../data/metadata-rows.ts';
import { listSeries } from '../store/queries.ts';
import { scanFolders } from '../store/scan.ts';
import { SYNTAX_DIR } from '../testing/fixtures.ts';
import { Workspace } from '../store/workspace.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { createRun, updateRun } from '../store/training-store.ts';
import type { EngineEvent, TrainingJobEvent } from '../api/engine.ts';
import type { TrainJobState } from '../api/training.ts';
import { EngineService } from './engine-service.ts';
import type { ScanSeries } from '../api/scan.ts';
import { probs, seedPredictions } from './test-fixtures.ts';

let root: string;
let ws: Workspace;
let service: EngineService;
let series: ScanSeries[];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-service-'));
  const dir = await makeSynthWorkspace(root, { studies: 3, seed: 1, size: 64 });
  ws = Workspace.open(dir);
  series = listSeries(ws);
  // Series sorted by uid; give each its study's role by position.
  seedPredictions(ws, series);
  service = new EngineService(ws, { dicomUrl: (id) => `/dicom/${encodeURIComponent(id)}` });
});

afterAll(async () => {
  await service?.close();
  ws?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('EngineService', () => {
  it('info: counts, models, ensemble', async () => {
    const info = await service.info();
    expect(info.workspace).toBe(ws.dir);
    expect(info.counts).toEqual({ studies: 3, series: 3, slices: series.reduce((n, s) => n + s.instances.length, 0) });
    expect(info.ensemble).toMatchObject({ members: ['m.a', 'm.b'], safeKept: ['m.a', 'm.b'], riskyKept: [] });
    expect(info.ensemble?.version).toMatch(/^[0-9a-f]{12}$/);
    expect(info.labels.at(-1)).toBe('any');
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('worklist: flagged first, then highest any, then date; filter; threshold', async () => {
    const rows = await service.listStudies();
    expect(rows.map((r) => r.studyUid)).toEqual([series[0]!.studyInstanceUid, series[1]!.studyInstanceUid, series[2]!.studyInstanceUid]);
    expect(rows[0]).toMatchObject({ flagged: true, maxAnySafe: 0.9, maxAnyRisky: null, seriesCount: 1, sliceCount: series[0]!.instances.length });
    expect(rows[1]).toMatchObject({ flagged: false, maxAnySafe: null, maxAnyRisky: 0.3 });
    expect(rows[2]).toMatchObject({ flagged: false, maxAnySafe: null, maxAnyRisky: null });
    expect(rows[0]!.patientId).toBe(series[0]!.patientId);

    const strict = await service.listStudies({ threshold: 0.95 });
    expect(strict.every((r) => !r.flagged)).toBe(true);
    expect(strict.map((r) => r.studyUid)).toEqual(rows.map((r) => r.studyUid));
    const low = await service.listStudies({ threshold: 0.2 });
    expect(low.filter((r) => r.flagged)).toHaveLength(2);
    // Slices at or above the threshold per label (the higher of safe and risky): study 0's one bleed slice
    // (safe any 0.9: EDH 0.225, IPH 0.3, SDH 0.45); study 1's (risky any 0.3); study 2 has no predictions.
    const none = { epidural: 0, intraparenchymal: 0, intraventricular: 0, subarachnoid: 0, subdural: 0, any: 0 };
    expect(low.map((r) => r.slicesAbove)).toEqual([
      { ...none, epidural: 1, intraparenchymal: 1, subdural: 1, any: 1 }, { ...none, any: 1 }, undefined,
    ]);
    expect(rows.map((r) => r.slicesAbove)).toEqual([{ ...none, any: 1 }, none, undefined]);
    // Key images: the top slices by any (at most 3), highest first, with the file's URL; none without predictions.
    const key = rows[0]!.keyImages!;
    expect(key.length).toBeGreaterThan(0);
    expect(key.length).toBeLessThanOrEqual(3);
    expect(key[0]).toMatchObject({ seriesUid: series[0]!.seriesInstanceUid, pAny: 0.9, dicomUrl: `/dicom/${encodeURIComponent(key[0]!.imageId)}` });
    expect(key.map((k) => k.pAny)).toEqual([...key.map((k) => k.pAny)].sort((a, b) => b - a));
    expect(rows[1]!.keyImages?.[0]?.pAny).toBe(0.3);
    expect(rows[2]!.keyImages).toBeUndefined();
    expect(rows.every((r) => typeof r.studyTime === 'string')).toBe(true);

    const pid = series[2]!.patientId;
    const filtered = await service.listStudies({ filter: pid.toLowerCase() });
    expect(filtered.map((r) => r.studyUid)).toEqual([series[2]!.studyInstanceUid]);
    expect(await service.listStudies({ filter: 'no such patient' })).toEqual([]);
  });

  it('series list of a study', async () => {
    const list = await service.getSeriesList(series[1]!.studyInstanceUid);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ seriesUid: series[1]!.seriesInstanceUid, modality: 'CT', sliceCount: series[1]!.instances.length, maxAnyRisky: 0.3 });
    await expect(service.getSeriesList('1.2.3')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('series slices in the index slice order, with URLs and windows', async () => {
    for (const s of series) {
      const d = await service.getSeries(s.seriesInstanceUid);
      expect(d.slices.map((x) => x.imageId)).toEqual(s.instances);
      expect(d.slices.map((x) => x.index)).toEqual(s.instances.map((_, i) => i));
      expect(d.studyUid).toBe(s.studyInstanceUid);
      const positions = d.slices.map((x) => x.position!);
      expect(positions.every((p, i) => i === 0 || p > positions[i - 1]!)).toBe(true);
      const first = d.slices[0]!;
      expect(first.dicomUrl).toBe(`/dicom/${encodeURIComponent(first.imageId)}`);
      expect(first.sopInstanceUid).toBe(first.imageId);
      expect(first.frame).toBeNull();
      expect(Number.isFinite(first.windowCenter) && Number.isFinite(first.windowWidth) && Number.isFinite(first.thickness)).toBe(true);
    }
    await expect(service.getSeries('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('frames of a multi-frame file share the file\'s URL (that of its first frame) and carry their frame number', async () => {
    const w = Workspace.open(path.join(root, 'multi-frame'));
    try {
      await scanFolders(w, { roots: [path.join(SYNTAX_DIR, 'dicomparser/encapsulated/multi-frame')] });
      const svc = new EngineService(w, { dicomUrl: (id) => `/dicom/${encodeURIComponent(id)}` });
      const framed = listSeries(w).filter((s) => s.instances.some((id) => id.includes('#')));
      expect(framed.length).toBeGreaterThan(0);
      for (const s of framed) {
        const d = await svc.getSeries(s.seriesInstanceUid);
        const bySop = new Map<string, typeof d.slices>();
        for (const x of d.slices) bySop.set(x.sopInstanceUid, [...(bySop.get(x.sopInstanceUid) ?? []), x]);
        for (const frames of bySop.values()) {
          expect(new Set(frames.map((x) => x.dicomUrl)).size).toBe(1);
          const first = frames.reduce((a, b) => (a.frame! <= b.frame! ? a : b));
          expect(first.frame).toBe(1);
          expect(first.dicomUrl).toBe(`/dicom/${encodeURIComponent(first.imageId)}`);
          expect(frames.map((x) => x.frame).sort()).toEqual(frames.map((_, i) => i + 1));
        }
      }
      await svc.close();
    } finally {
      w.close();
    }
  });

  it('predictions per slice in slice order, thresholds and model info', async () => {
    const p0 = await service.getPredictions(series[0]!.seriesInstanceUid);
    expect(p0.slices.map((s) => s.imageId)).toEqual(series[0]!.instances);
    expect(p0.slices[2]!.safe![5]).toBeCloseTo(0.9);
    expect(p0.slices[2]!.risky).toBeNull();
    expect(p0.slices.every((s) => s.oof)).toBe(true);
    expect(p0.thresholds).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(p0.model).toMatchObject({ members: ['m.a', 'm.b'] });
    expect(p0.model!.trainedAt).toMatch(/^\d{4}-/);
    const p2 = await service.getPredictions(series[2]!.seriesInstanceUid);
    expect(p2.slices.every((s) => s.safe === null && s.risky === null && !s.oof)).toBe(true);
  });

  it('predictions read the one slice ordering themselves (not through getSeries), in the order getSeries gives', async () => {
    const spy = vi.spyOn(service, 'getSeries');
    try {
      for (const s of series) {
        const p = await service.getPredictions(s.seriesInstanceUid);
        expect(spy).not.toHaveBeenCalled();
        const d = await service.getSeries(s.seriesInstanceUid);
        expect(p.slices.map((x) => x.imageId)).toEqual(d.slices.map((x) => x.imageId));
        spy.mockClear();
      }
    } finally {
      spy.mockRestore();
    }
    await expect(service.getPredictions('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('slice detail: header, the 48 features as the workspace-wide computation gives them, members, blend', async () => {
    const imageId = series[0]!.instances[0]!;
    const d = await service.getSliceDetail(imageId);
    expect(d.seriesUid).toBe(series[0]!.seriesInstanceUid);
    expect(d.header['0008,0018']).toBe(imageId);
    expect(d.fields.SOPInstanceUID).toBe(imageId);
    expect(d.fields.Modality).toBe('CT');

    const rows = metadataRowsFromWorkspace(ws);
    const all = computeMetadataFeatures(rows);
    const i = all.imageIds.indexOf(imageId);
    const f = d.metadataFeatures!;
    expect(f.names).toHaveLength(38);
    expect(f.scaled).toEqual(rowOf(all.continuous, N_CONTINUOUS, i));
    expect(f.raw).toHaveLength(38);
    expect(f.categorical.names).toHaveLength(10);
    expect(f.categorical.values).toEqual(rowOf(all.categorical, 10, i));

    expect(d.members).toEqual([
      { name: 'm.a', group: 'A', probs: probs(0.2).map((v) => expect.closeTo(v, 6)), bounded: { anyRaised: true, anyLowered: false }, keptIn: ['safe'] },
      { name: 'm.b', group: 'B', probs: probs(0.4).map((v) => expect.closeTo(v, 6)), bounded: { anyRaised: false, anyLowered: true }, keptIn: ['safe', 'risky'] },
    ]);
    expect(d.blend.safe).toHaveLength(6);
    expect(d.blend.safe![1]).toEqual([0.6, 0.39]);
    expect(d.blend.risky).toBeNull();
    expect(d.safe![5]).toBeCloseTo(0.1);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    await expect(service.getSliceDetail('ID_none')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('addFolder: a path that does not exist or is a file is refused with one line, no job', async () => {
    const events: EngineEvent[] = [];
    const off = service.onEvent((e) => events.push(e));
    await expect(service.addFolder('/nonexistent/dicom')).rejects.toMatchObject({ code: 'invalid', message: 'data folder /nonexistent/dicom does not exist' });
    const file = path.join(root, 'data', 'labels.csv');
    await expect(service.addFolder(file)).rejects.toMatchObject({ code: 'invalid', message: `data folder ${file} is a file, not a folder` });
    off();
    expect(events).toEqual([]);
  });

  it('addFolder: a background scan job with progress events ending in done', async () => {
    const events: { status: string; done: number; total: number; jobId: string }[] = [];
    const off = service.onEvent((e) => { if (e.type === 'job') events.push(e); });
    const { jobId } = await service.addFolder(path.join(root, 'data'));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.some((e) => e.status === 'done' || e.status === 'failed')) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    off();
    expect(events[0]).toMatchObject({ jobId, status: 'queued' });
    const last = events.at(-1)!;
    expect(last).toMatchObject({ jobId, status: 'done', result: { unchanged: last.total, indexed: 0 } });
    expect(last.total).toBeGreaterThan(0);
    expect((await service.listJobs()).find((j) => j.jobId === jobId)?.status).toBe('done');
  });

  it('listProblems: the files a scan could not index, and why', async () => {
    // The synthetic data folder's labels.csv and truth.json were scanned with the studies.
    const before = await service.listProblems();
    expect(before.map((p) => [path.relative(root, p.path), p.kind])).toEqual([['data/labels.csv', 'not_dicom'], ['data/truth.json', 'not_dicom']]);
    const junk = path.join(root, 'junk');
    mkdirSync(junk);
    writeFileSync(path.join(junk, 'notes.dcm'), 'not a DICOM file at all, just text long enough to be looked at'.repeat(4));
    const done = new Promise<void>((resolve) => {
      const off = service.onEvent((e) => {
        if (e.type === 'job' && (e.status === 'done' || e.status === 'failed')) {
          off();
          resolve();
        }
      });
    });
    await service.addFolder(junk);
    await done;
    const problems = await service.listProblems();
    expect(problems.map((p) => path.relative(root, p.path))).toEqual(['data/labels.csv', 'data/truth.json', 'junk/notes.dcm']);
    expect(problems[2]).toMatchObject({ kind: 'not_dicom', message: before[0]!.message });
    expect(problems[2]!.message).not.toContain('\n');
    expect(JSON.parse(JSON.stringify(problems))).toEqual(problems);
  });
});

/** A stand-in for the `ich pipeline --events` child: the test writes its stdout lines and ends it. */
class FakeChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: string[] = [];
  constructor(readonly args: string[]) {
    super();
  }
  line(v: unknown): void {
    this.stdout.write(JSON.stringify(v) + '\n');
  }
  exit(code: number): void {
    this.stdout.end();
    this.stderr.end();
    // After the streams' last lines were read, as a real child's 'close' comes.
    setTimeout(() => this.emit('close', code), 20);
  }
  kill(signal: string): boolean {
    this.signals.push(signal);
    if (signal === 'SIGINT') this.exit(130);
    return true;
  }
}

describe('EngineService training', () => {
  const children: FakeChild[] = [];
  let trainer: EngineService;
  const events: EngineEvent[] = [];
  beforeAll(() => {
    trainer = new EngineService(ws, {
      dicomUrl: (id) => id,
      training: { progressIntervalMs: 0, spawnChild: (args) => {
        const c = new FakeChild(args);
        children.push(c);
        return c as unknown as ChildProcess;
      } },
    });
    trainer.onEvent((e) => events.push(e));
  });
  afterAll(() => trainer.close());

  const training = () => events.filter((e): e is TrainingJobEvent => e.type === 'training').map((e) => e.state);
  const until = async (p: (s: TrainJobState) => boolean): Promise<TrainJobState> => {
    for (let i = 0; i < 200; i++) {
      const hit = training().find(p);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no such training event; last ${JSON.stringify(training().at(-1))}`);
  };
  const batch = { type: 'batch', runId: 'r1', stage: 'base', model: 'tiny-se-resnext', fold: 0, epoch: 1, epochs: 2, batch: 1, batches: 3,
    loss: 0.7, lr: 1e-3, imagesPerSec: 12.5, etaSec: 30, backend: 'wasm' };

  it('starts the pipeline child for the request, forwards its progress as events, keeps the history', async () => {
    const data = path.join(root, 'data');
    const labels = path.join(data, 'labels.csv');
    const { jobId } = await trainer.startTraining({ preset: 'tiny', stages: ['base', 'features'], data, labels });
    const child = children.at(-1)!;
    expect(child.args).toEqual(['pipeline', '--workspace', ws.dir, '--preset', 'tiny', '--events', '--no-progress', '--json',
      '--data', data, '--labels', labels, '--stages', 'base,features']);
    await expect(trainer.startTraining({ preset: 'tiny' })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/is running/) });
    child.line({ type: 'stage', stage: 'base', status: 'started', units: 2, done: 0 });
    child.line(batch);
    child.line({ ...batch, batch: 2, loss: 0.6 });
    child.line({ type: 'epoch', runId: 'r1', stage: 'base', model: 'tiny-se-resnext', fold: 0, epoch: 1, epochs: 2, trainLoss: 0.65, valLoss: 0.5,
      valMetric: 0.42, perClass: {}, seconds: 3 });
    const s = await until((x) => x.jobId === jobId && x.lastEpoch !== undefined);
    expect(s).toMatchObject({ status: 'running', stage: 'base', stages: { base: { state: 'running', units: 2, done: 0 } }, batch: { loss: 0.6, backend: 'wasm' } });
    expect((await trainer.listTrainingJobs()).map((j) => j.jobId)).toEqual([jobId]);
    const h = await trainer.getTrainingHistory(jobId);
    expect(h.losses.map((l) => l.loss)).toEqual([0.7, 0.6]);
    expect(h.epochs.map((e) => e.valMetric)).toEqual([0.42]);
    // the answers are copies: the JSON a transport carries
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);

    child.line({ type: 'stage', stage: 'base', status: 'done', units: 2, done: 2 });
    child.line({ baseline: 0.2, stages: [{ name: 'base', oofMetric: 0.4, perClass: {} }], version: { id: 'v2', status: 'candidate' } });
    child.exit(0);
    const end = await until((x) => x.jobId === jobId && x.status !== 'running');
    // the report names the model version the run made (the panel compares it with the active one)
    expect(end).toMatchObject({ status: 'done', stages: { base: { state: 'done', done: 2 } }, report: { baseline: 0.2, stages: [{ name: 'base', oofMetric: 0.4 }], version: 'v2' } });
    expect(end.stage).toBeUndefined();
  });

  it('cancels the running job with Ctrl-C; a finished or unknown job is refused', async () => {
    const { jobId } = await trainer.startTraining({ preset: 'tiny' });
    const child = children.at(-1)!;
    expect(child.args).not.toContain('--stages');
    expect(await trainer.cancelTraining(jobId)).toEqual({ cancelled: true });
    expect(child.signals).toEqual(['SIGINT']);
    expect((await trainer.listTrainingJobs()).find((j) => j.jobId === jobId)?.status).toBe('cancelled');
    expect(await trainer.cancelTraining(jobId)).toEqual({ cancelled: false });
    await expect(trainer.cancelTraining('train-99')).rejects.toMatchObject({ code: 'not_found' });
    await expect(trainer.getTrainingHistory('train-99')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a failing child ends the job failed with its last line; the stage it was in ends failed', async () => {
    const { jobId } = await trainer.startTraining({ preset: 'rsna', folds: 2, fromScratch: true, testDirs: [path.join(root, 'data')] });
    const child = children.at(-1)!;
    expect(child.args.slice(-5)).toEqual(['--folds', '2', '--from-scratch', '--test', path.join(root, 'data')]);
    child.line({ type: 'stage', stage: 'base', status: 'started', units: 4, done: 0 });
    child.stderr.write('ich: no labelled images in the workspace\n');
    child.exit(1);
    const end = await until((x) => x.jobId === jobId && x.status !== 'running');
    expect(end).toMatchObject({ status: 'failed', error: 'no labelled images in the workspace', stages: { base: { state: 'failed' }, features: { state: 'pending' } } });
    expect(end.etaSec).toBeUndefined();
  });

  it('refuses a request that cannot work with the preflight\'s one line: no job, no child', async () => {
    const before = { children: children.length, jobs: (await trainer.listTrainingJobs()).length };
    // 3 patients (the synthetic workspace), 5 folds (the rsna preset): the largest count that works is suggested
    await expect(trainer.startTraining({ preset: 'rsna', fromScratch: true })).rejects.toMatchObject({ code: 'invalid',
      message: `3 patients with labelled images in ${ws.dir} cannot fill 5 folds: set Folds to 3 (the largest that works) or label more patients` });
    await expect(trainer.startTraining({ preset: 'tiny', folds: 4 })).rejects.toMatchObject({ message: expect.stringMatching(/cannot fill 4 folds: set Folds to 3/) });
    await expect(trainer.startTraining({ preset: 'tiny', data: '/nonexistent/dicom' })).rejects.toMatchObject({ code: 'invalid', message: 'data folder /nonexistent/dicom does not exist' });
    // rsna fine-tunes ImageNet bodies: no weights in the workspace and no From scratch is refused at once, in the panel's words
    await expect(trainer.startTraining({ preset: 'rsna', folds: 3 })).rejects.toMatchObject({ code: 'invalid',
      message: expect.stringMatching(/^preset rsna model .* fine-tunes ImageNet weights .*or tick From scratch to train from random init/) });
    await expect(trainer.startTraining({ preset: 'rsna', folds: 3, initDir: '/nonexistent/imagenet' })).rejects.toMatchObject({ code: 'invalid', message: 'init weights folder /nonexistent/imagenet does not exist' });
    await expect(trainer.startTraining({ preset: 'tiny', testDirs: ['/nonexistent/test'] })).rejects.toMatchObject({ code: 'invalid', message: 'test folder /nonexistent/test does not exist' });
    const foreign = path.join(root, 'foreign.csv');
    writeFileSync(foreign, 'ID,Label\nID_000000000_any,1\n');
    await expect(trainer.startTraining({ preset: 'tiny', labels: foreign })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/^labels file .*foreign\.csv names no indexed image: /) });
    // a workspace without labels
    const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'ich-service-empty-'));
    const empty = Workspace.open(emptyDir);
    const bare = new EngineService(empty, { dicomUrl: (id) => id, training: { spawnChild: (args) => {
      const c = new FakeChild(args);
      children.push(c);
      return c as unknown as ChildProcess;
    } } });
    try {
      await expect(bare.startTraining({ preset: 'tiny' })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/^no labelled images in /) });
      expect(await bare.listTrainingJobs()).toEqual([]);
    } finally {
      await bare.close();
      empty.close();
      rmSync(emptyDir, { recursive: true, force: true });
    }
    expect(children.length).toBe(before.children);
    expect((await trainer.listTrainingJobs()).length).toBe(before.jobs);
  });

  it('a cancelled job\'s running stage ends cancelled; the ETA covers every stage left', async () => {
    const { jobId } = await trainer.startTraining({ preset: 'tiny' });
    const child = children.at(-1)!;
    child.line({ type: 'stage', stage: 'base', status: 'started', units: 3, done: 0 });
    await new Promise((r) => setTimeout(r, 60));
    child.line({ ...batch, fold: 0, epoch: 1, epochs: 2, batch: 3, batches: 3 });
    const s = await until((x) => x.jobId === jobId && x.batch !== undefined && x.etaSec !== undefined);
    // half a unit in ~60 ms: the other 2.5 base units, then 3 units each of 4 later stages and the ensembles' one
    expect(s.etaSec).toBeGreaterThanOrEqual(0);
    expect(s.etaSec!).toBeLessThan(60);
    await trainer.cancelTraining(jobId);
    const end = await until((x) => x.jobId === jobId && x.status === 'cancelled');
    expect(end.stages.base.state).toBe('cancelled');
    expect(Object.values(end.stages).some((st) => st.state === 'running')).toBe(false);
  });

  it('close() stops a running job', async () => {
    const other = new EngineService(ws, { dicomUrl: (id) => id, training: { spawnChild: (args) => {
      const c = new FakeChild(args);
      children.push(c);
      return c as unknown as ChildProcess;
    } } });
    const { jobId } = await other.startTraining({ preset: 'tiny' });
    await other.close();
    expect(children.at(-1)!.signals).toEqual(['SIGINT']);
    expect((await other.listTrainingJobs()).find((j) => j.jobId === jobId)?.status).toBe('cancelled');
  });

  it('listRuns: the rows of `ich runs --json`', async () => {
    createRun(ws, { id: 'run-a', stage: 'base', preset: 'tiny', modelName: 'tiny-se-resnext', fold: 1, nFolds: 3, config: {} });
    updateRun(ws, 'run-a', { status: 'done', metrics: { valMetric: 0.31, epoch: 4 } });
    const runs = await trainer.listRuns();
    const a = runs.find((r) => r.id === 'run-a');
    expect(a).toMatchObject({ id: 'run-a', stage: 'base', preset: 'tiny', fold: 1, nFolds: 3, status: 'done', model: 'tiny-se-resnext',
      metrics: { valMetric: 0.31, epoch: 4 }, error: null });
    expect(typeof a!.startedAt).toBe('string');
  });
});
