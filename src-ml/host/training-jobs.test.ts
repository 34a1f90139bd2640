// Training jobs against the real `ich pipeline` child: progress arrives, Ctrl-C cancels with the work kept,
// the same request resumes to the end, a bad request fails with one line.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModels, listRuns } from '../store/training-store.ts';
import { Workspace } from '../store/workspace.ts';
import { tempDir } from '../testing/fixtures.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { testPreset } from '../train/test-preset.ts';
import { estimateJobEta, pipelineArgs, sameRequest, TrainingJobs, type TrainJobState } from './training-jobs.ts';

describe('the whole-job ETA', () => {
  const state = (stage: TrainJobState['stage'], stages: Partial<TrainJobState['stages']>, request: TrainJobState['request'] = { preset: 'tiny' }): TrainJobState => {
    const all = Object.fromEntries(['base', 'features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles']
      .map((s) => [s, { state: 'pending', units: 0, done: 0 }])) as TrainJobState['stages'];
    return { jobId: 'train-1', request, status: 'running', startedAt: '', ...(stage ? { stage } : {}), stages: { ...all, ...stages } };
  };

  it('covers every stage still to run, from the seconds per unit so far', () => {
    // base: 1 of 3 units in 10 s, and half of the second: 10 / 1.5 s per unit
    const s = state('base', { base: { state: 'running', units: 3, done: 1 } });
    const eta = estimateJobEta(s, new Map([['base', { t0: 0, startDone: 0 }]]), 0.5, 10_000)!;
    // 1.5 base units left, then 3 units each of features, pooled-res, shallow, shallow-weighted, and 1 for the ensembles
    expect(eta).toBeCloseTo((1.5 + 4 * 3 + 1) * (10 / 1.5), 6);
    // only the base stage asked for: the rest is not waited for
    expect(estimateJobEta(state('base', { base: { state: 'running', units: 3, done: 1 } }, { preset: 'tiny', stages: ['base'] }),
      new Map([['base', { t0: 0, startDone: 0 }]]), 0.5, 10_000)).toBeCloseTo(1.5 * (10 / 1.5), 6);
  });

  it('units done before the job (a resumed run) count as neither work nor time; nothing to go on: no estimate', () => {
    const s = state('base', { base: { state: 'running', units: 3, done: 2 } }, { preset: 'tiny', stages: ['base'] });
    expect(estimateJobEta(s, new Map([['base', { t0: 0, startDone: 2 }]]), 0.25, 5_000)).toBeCloseTo(0.75 * 20, 6);
    expect(estimateJobEta(s, new Map([['base', { t0: 0, startDone: 2 }]]), 0, 5_000)).toBeUndefined();
    expect(estimateJobEta(state(undefined, {}), new Map(), 0, 5_000)).toBeUndefined();
  });

  it('later stages go at the job\'s average over every stage so far', () => {
    // base: 3 units in 30 s (done); features: 1 of 3 in 2 s; then pooled-res ... at (30 + 2) / 4 s per unit
    const s = state('features', { base: { state: 'done', units: 3, done: 3 }, features: { state: 'running', units: 3, done: 1 } });
    const clocks = new Map([['base', { t0: 0, startDone: 0, t1: 30_000, work: 3 }], ['features', { t0: 30_000, startDone: 0 }]] as const);
    expect(estimateJobEta(s, new Map(clocks), 0, 32_000)).toBeCloseTo(2 * 2 + (3 * 3 + 1) * (32 / 4), 6);
  });
});

describe('TrainingJobs', () => {
  const t = tempDir('ich-trainjobs-');
  let wsDir = '';
  const presetFile = path.join(t.dir, 'preset.json');
  afterAll(() => t.cleanup());
  beforeAll(async () => {
    wsDir = await makeSynthWorkspace(t.dir, { studies: 6, seed: 31, size: 64 });
    writeFileSync(presetFile, JSON.stringify(testPreset({ epochs: 2 })));
  }, 120_000);

  /** Keeps every update; `until` resolves with the first (past or future) one that matches. */
  class Updates {
    readonly all: TrainJobState[] = [];
    private waiters: { p: (s: TrainJobState) => boolean; resolve: (s: TrainJobState) => void }[] = [];
    push = (s: TrainJobState): void => {
      this.all.push(s);
      for (const w of [...this.waiters]) {
        if (!w.p(s)) continue;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(s);
      }
    };
    until(p: (s: TrainJobState) => boolean, ms = 240_000): Promise<TrainJobState> {
      const hit = this.all.find(p);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching update in ${ms} ms; last: ${JSON.stringify(this.all.at(-1))}`)), ms);
        this.waiters.push({ p, resolve: (s) => { clearTimeout(timer); resolve(s); } });
      });
    }
  }

  it('tells the same request from a different one', () => {
    expect(sameRequest({ preset: 'tiny', stages: ['base'] }, { preset: 'tiny', stages: ['base'] })).toBe(true);
    expect(sameRequest({ preset: 'tiny' }, { preset: 'tiny', stages: ['base'] })).toBe(false);
    expect(sameRequest({ preset: 'tiny', data: '/d', labels: '/l.csv' }, { preset: 'tiny', data: '/e', labels: '/l.csv' })).toBe(false);
  });

  it('builds the pipeline command line of a request', () => {
    expect(pipelineArgs('/w', { preset: 'tiny', stages: ['base', 'features'], data: '/d', labels: '/l.csv' }))
      .toEqual(['pipeline', '--workspace', '/w', '--preset', 'tiny', '--events', '--no-progress', '--json', '--data', '/d', '--labels', '/l.csv', '--stages', 'base,features']);
    expect(pipelineArgs('/w', { preset: 'tiny', folds: 2 }).slice(-2)).toEqual(['--folds', '2']);
    expect(sameRequest({ preset: 'tiny', folds: 2 }, { preset: 'tiny' })).toBe(false);
    // Where the base CNNs start and the test folders: one --test per folder (the CLI option is variadic).
    expect(pipelineArgs('/w', { preset: 'rsna', initDir: '/imagenet', testDirs: ['/t1', '/t2'] }).slice(8))
      .toEqual(['--init', '/imagenet', '--test', '/t1', '--test', '/t2']);
    expect(pipelineArgs('/w', { preset: 'rsna', fromScratch: true }).slice(8)).toEqual(['--from-scratch']);
    expect(sameRequest({ preset: 'rsna', fromScratch: true }, { preset: 'rsna' })).toBe(false);
    expect(sameRequest({ preset: 'rsna', testDirs: ['/t1'] }, { preset: 'rsna', testDirs: ['/t2'] })).toBe(false);
  });

  it('reports progress, cancels with the work kept, resumes to the end', async () => {
    const c = new Updates();
    const jobs = new TrainingJobs({ workspaceDir: wsDir, onUpdate: (s) => c.push(s), progressIntervalMs: 0 });
    const { jobId } = jobs.start({ preset: presetFile, stages: ['base'] });
    expect(() => jobs.start({ preset: presetFile })).toThrow(/is running/);
    const first = await c.until((s) => s.batch !== undefined);
    expect(first.status).toBe('running');
    expect(first.stage).toBe('base');
    expect(first.stages.base).toMatchObject({ state: 'running', units: 2 });
    expect(first.batch!.loss).toBeGreaterThan(0);
    expect(first.batch!.backend).toMatch(/wasm|cpu|tensorflow/);
    expect(await jobs.cancel(jobId)).toEqual({ cancelled: true });
    expect(jobs.get(jobId)!.status).toBe('cancelled');
    expect(await jobs.cancel(jobId)).toEqual({ cancelled: false });

    const ws = Workspace.open(wsDir);
    try {
      const runs = listRuns(ws);
      expect(runs.length).toBe(1);
      expect(runs[0]!.status).toBe('cancelled');
    } finally {
      ws.close();
    }

    // the same request again: the cancelled run resumes, both folds finish, the later stages are skipped
    const again = jobs.start({ preset: presetFile, stages: ['base'] });
    const end = await c.until((s) => s.jobId === again.jobId && s.status !== 'running');
    expect(end.status, end.error).toBe('done');
    expect(end.stages.base).toMatchObject({ state: 'done', units: 2, done: 2 });
    expect(end.stages['pooled-res'].state).toBe('skipped');
    expect(end.report?.stages.map((s) => s.name)).toContain('base');
    // Its charts carry on from the cancelled job's: the earlier batch losses first, the steps still rising.
    expect(end.resumes).toBe(jobId);
    const before = jobs.history(jobId)!;
    const history = jobs.history(again.jobId)!;
    expect(before.losses.length).toBeGreaterThan(0);
    expect(history.losses.slice(0, before.losses.length)).toEqual(before.losses);
    expect(history.losses.length).toBeGreaterThan(before.losses.length);
    expect(history.losses.every((l, i) => i === 0 || l.step > history.losses[i - 1]!.step)).toBe(true);
    expect(history.epochs.length).toBeGreaterThan(0);
    expect(history.epochs.slice(0, before.epochs.length)).toEqual(before.epochs);
    const ws2 = Workspace.open(wsDir);
    try {
      expect(listModels(ws2, 'base').length).toBe(2);
      const statuses = listRuns(ws2).map((r) => r.status).sort();
      expect(statuses).toEqual(['done', 'done']); // the cancelled run was resumed, not duplicated
    } finally {
      ws2.close();
    }
  }, 600_000);

  it('a bad request fails with one line naming the problem', async () => {
    const c = new Updates();
    const jobs = new TrainingJobs({ workspaceDir: wsDir, onUpdate: (s) => c.push(s) });
    const { jobId } = jobs.start({ preset: path.join(t.dir, 'missing.json') });
    const end = await c.until((s) => s.jobId === jobId && s.status !== 'running', 60_000);
    expect(end.status).toBe('failed');
    expect(end.error).toMatch(/missing\.json/);
    expect(end.error).not.toMatch(/\n/);
  }, 120_000);
});
