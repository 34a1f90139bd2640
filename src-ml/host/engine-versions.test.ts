// The engine's model-version methods and predict jobs, on a real small workspace whose stored ensemble
// is adopted as version v1 (the `ich predict` child is faked: its progress lines and exit).
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent, JobEvent } from '../api/engine.ts';
import { generateDataset } from '../synth/generate.ts';
import { listSeries } from '../store/queries.ts';
import { Workspace } from '../store/workspace.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { EngineService } from './engine-service.ts';
import { seedPredictions } from './test-fixtures.ts';

class FakePredict extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  constructor(readonly args: string[]) {
    super();
  }
  line(v: unknown): void {
    this.stdout.write(JSON.stringify(v) + '\n');
  }
  exit(code: number, err?: string): void {
    if (err) this.stderr.write(`ich: ${err}\n`);
    this.stdout.end();
    this.stderr.end();
    setTimeout(() => this.emit('close', code), 20);
  }
  kill(): boolean {
    this.exit(130);
    return true;
  }
}

let root: string;
let ws: Workspace;
let service: EngineService;
const children: FakePredict[] = [];
const events: EngineEvent[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-versions-svc-'));
  const dir = await makeSynthWorkspace(root, { studies: 2, seed: 4, size: 64 });
  const w = Workspace.open(dir);
  seedPredictions(w, listSeries(w));
  w.close();
  ws = Workspace.open(dir); // a workspace from before versions: its ensemble becomes v1
  service = new EngineService(ws, {
    dicomUrl: (id) => id,
    predictChild: (args) => {
      const c = new FakePredict(args);
      children.push(c);
      return c as unknown as ChildProcess;
    },
  });
  service.onEvent((e) => events.push(e));
}, 120_000);

afterAll(async () => {
  await service?.close();
  ws?.close();
  rmSync(root, { recursive: true, force: true });
});

const jobs = (id: string): JobEvent[] => events.filter((e): e is JobEvent => e.type === 'job' && e.jobId === id);
async function until<T>(f: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

describe('engine: model versions and predict jobs', () => {
  it('lists the adopted version, names it in info and predictions, promotes with an event, refuses unknown versions', async () => {
    const versions = await service.listVersions();
    expect(versions.map((v) => [v.version, v.status])).toEqual([['v1', 'active']]);
    expect((await service.info()).activeVersion).toBe('v1');
    const s = listSeries(ws)[0]!;
    expect((await service.getPredictions(s.seriesInstanceUid)).model?.modelVersion).toBe('v1');
    await expect(service.promoteVersion('v1')).resolves.toEqual({ active: 'v1', previous: 'v1' });
    expect(events.some((e) => e.type === 'versions' && e.active === 'v1')).toBe(true);
    await expect(service.promoteVersion('v9')).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no version v9/) });
  });

  it('predicts studies in a child: progress as job events, the slice count when done, a one-line error when it fails', async () => {
    const study = listSeries(ws)[0]!.studyInstanceUid;
    const { jobId } = await service.predictStudies({ studyUids: [study] });
    const child = await until(() => children.at(-1));
    expect(child.args).toEqual(['predict', '--workspace', ws.dir, '--events', '--no-progress', '--studies', study]);
    child.line({ type: 'predict', done: 1, total: 4, what: 'features tiny.k3.f0' });
    await until(() => jobs(jobId).find((e) => e.done === 1));
    child.line({ images: 12, ensemble: 'safe', stored: 96 });
    child.exit(0);
    const done = await until(() => jobs(jobId).find((e) => e.status === 'done'));
    expect(done).toMatchObject({ kind: 'predict', predicted: 12 });

    const second = await service.predictStudies({});
    const c2 = await until(() => (children.length === 2 ? children[1] : undefined));
    expect(c2.args).toContain('--missing');
    c2.exit(1, 'base model tiny.k3.f0 is missing from /w');
    const failed = await until(() => jobs(second.jobId).find((e) => e.status === 'failed'));
    expect(failed.error).toBe('base model tiny.k3.f0 is missing from /w');
  });

  it('a folder added while a version is active is predicted once indexed', async () => {
    const more = path.join(root, 'more');
    await generateDataset({ out: more, studies: 1, seed: 9, size: 64, workers: 1 });
    const before = children.length;
    const { jobId } = await service.addFolder(more);
    await until(() => jobs(jobId).find((e) => e.status === 'done'));
    const child = await until(() => (children.length > before ? children.at(-1) : undefined));
    expect(child.args).toContain('--missing');
    child.exit(0);
  });

  it('no active version: nothing to predict with', async () => {
    const bare = Workspace.open(path.join(root, 'bare'));
    const svc = new EngineService(bare, { dicomUrl: (id) => id });
    try {
      await expect(svc.predictStudies({})).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/no active model version/) });
      expect(await svc.listVersions()).toEqual([]);
    } finally {
      await svc.close();
      bare.close();
    }
  });
});
