import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent, JobEvent } from '../src-ml/api/engine.ts';
import type { FromEngine, ToEngine } from '../src-ml/host/engine-process-protocol.ts';
import type { UtilityProcessPort } from './electron-port.ts';
import { EngineHost } from './engine-host.ts';

/** A fake utility process: records what main sent, lets the test answer, crash or exit it. */
class FakeChild extends EventEmitter {
  readonly pid = 1000;
  readonly sent: ToEngine[] = [];
  killed = false;
  postMessage(m: unknown) {
    this.sent.push(m as ToEngine);
  }
  kill() {
    this.killed = true;
    return true;
  }
  reply(m: FromEngine) {
    this.emit('message', m);
  }
  crash(code = 134) {
    this.emit('exit', code);
  }
}

/** The scan-job events among all events (EngineEvent also carries training events). */
const jobEvents = (events: EngineEvent[]): JobEvent[] => events.filter((e): e is JobEvent => e.type === 'job');

function setup(opts: { maxCrashes?: number } = {}) {
  const children: FakeChild[] = [];
  const events: EngineEvent[] = [];
  const notices: string[] = [];
  const ready: string[] = [];
  const host = new EngineHost({
    fork: () => {
      const c = new FakeChild();
      children.push(c);
      return c as unknown as UtilityProcessPort;
    },
    onEvent: (e) => events.push(e),
    onNotice: (l) => notices.push(l),
    onReady: (w) => ready.push(w),
    restartDelayMs: 10,
    ...opts,
  });
  return { host, children, events, notices, ready, last: () => children[children.length - 1]! };
}

const job = (jobId: string, status: JobEvent['status'], done = 0): JobEvent => ({ type: 'job', jobId, kind: 'scan', stage: 'scan', done, total: 10, status });
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

afterEach(() => vi.useRealTimers());

describe('EngineHost', () => {
  it('holds requests until the engine is ready, then matches answers by id', async () => {
    const { host, last, ready } = setup();
    host.start();
    const a = host.call('info', {});
    const b = host.call('getSeries', { seriesUid: '1.2' });
    expect(last().sent).toEqual([]);
    last().reply({ type: 'ready', workspace: '/ws' });
    expect(ready).toEqual(['/ws']);
    expect(host.workspace).toBe('/ws');
    const [m1, m2] = last().sent as Extract<ToEngine, { type: 'request' }>[];
    expect([m1!.method, m2!.method]).toEqual(['info', 'getSeries']);
    last().reply({ type: 'response', id: m2!.id, ok: false, error: { code: 'not_found', message: 'no series 1.2 in the workspace' } });
    last().reply({ type: 'response', id: m1!.id, ok: true, value: { counts: 1 } });
    await expect(a).resolves.toEqual({ counts: 1 });
    await expect(b).rejects.toMatchObject({ name: 'EngineError', code: 'not_found', message: 'no series 1.2 in the workspace' });
  });

  it('looks up indexed files; an unindexed image is null', async () => {
    const { host, last } = setup();
    host.start();
    last().reply({ type: 'ready', workspace: '/ws' });
    const found = host.fileOfImage('1.2.3');
    const missing = host.fileOfImage('9.9');
    const [f1, f2] = last().sent;
    expect(f1).toMatchObject({ type: 'file', imageId: '1.2.3' });
    last().reply({ type: 'response', id: f1!.id, ok: true, value: { path: '/data/a.dcm' } });
    last().reply({ type: 'response', id: f2!.id, ok: false, error: { code: 'not_found', message: 'no image 9.9' } });
    await expect(found).resolves.toBe('/data/a.dcm');
    await expect(missing).resolves.toBeNull();
  });

  it('a crash marks the running and queued jobs failed, fails requests in flight, and restarts the engine', async () => {
    const { host, children, events, notices, last } = setup();
    host.start();
    const first = last();
    first.reply({ type: 'ready', workspace: '/ws' });
    first.reply({ type: 'event', event: job('scan-1', 'done', 10) });
    first.reply({ type: 'event', event: job('scan-2', 'running', 4) });
    first.reply({ type: 'event', event: job('scan-3', 'queued') });
    const inFlight = host.call('listStudies', {});
    first.crash(134);
    await expect(inFlight).rejects.toThrow(/stopped unexpectedly \(exit code 134\).*restarted/);
    const failed = jobEvents(events).filter((e) => e.status === 'failed');
    expect(failed.map((e) => e.jobId)).toEqual(['scan-2', 'scan-3']);
    expect(failed[0]).toMatchObject({ done: 4, total: 10, kind: 'scan' });
    for (const e of failed) expect(e.error).toMatch(/^the engine process stopped unexpectedly \(exit code 134\); the job was lost and the engine restarted$/);
    expect(notices.at(-1)).toMatch(/restarting it/);
    // A request made while it restarts waits for the new process.
    const later = host.call('listJobs', {});
    await tick(30);
    expect(children).toHaveLength(2);
    const second = last();
    second.reply({ type: 'ready', workspace: '/ws' });
    const req = second.sent[0] as Extract<ToEngine, { type: 'request' }>;
    expect(req.method).toBe('listJobs');
    second.reply({ type: 'response', id: req.id, ok: true, value: [job('scan-1', 'queued')] });
    // The new process reuses the id scan-1; the lost scan-2 and scan-3 are still listed as failed.
    const jobs = (await later) as JobEvent[];
    expect(jobs.map((j) => `${j.jobId}:${j.status}`)).toEqual(['scan-2:failed', 'scan-3:failed', 'scan-1:queued']);
  });

  it('a crash also fails a running training job, listed as failed by listTrainingJobs after the restart', async () => {
    const { host, events, last } = setup();
    host.start();
    last().reply({ type: 'ready', workspace: '/ws' });
    // A training event as the engine sends it (api/engine.ts TrainingJobEvent): the job's whole state.
    const training = (jobId: string, status: string) => ({ type: 'training', state: { jobId, status, startedAt: 't0', request: { preset: 'tiny' }, stages: {} } }) as unknown as EngineEvent;
    last().reply({ type: 'event', event: training('train-1', 'running') });
    last().reply({ type: 'event', event: training('train-0', 'done') });
    last().crash(139);
    const failed = events.filter((e) => (e as unknown as { state?: { status: string } }).state?.status === 'failed') as unknown as { state: { jobId: string; error: string; endedAt: string } }[];
    expect(failed.map((e) => e.state.jobId)).toEqual(['train-1']);
    expect(failed[0]!.state.error).toBe('the engine process stopped unexpectedly (exit code 139); the job was lost and the engine restarted');
    expect(failed[0]!.state.endedAt).toBeTypeOf('string');
    await tick(30);
    last().reply({ type: 'ready', workspace: '/ws' });
    const listing = host.call('listTrainingJobs', {});
    const req = last().sent[0] as Extract<ToEngine, { type: 'request' }>;
    last().reply({ type: 'response', id: req.id, ok: true, value: [] });
    expect(((await listing) as { jobId: string; status: string }[]).map((j) => `${j.jobId}:${j.status}`)).toEqual(['train-1:failed']);
    host.stop();
  });

  it('the fatal line of an engine that cannot start is the reason given', async () => {
    const { host, last, notices } = setup();
    host.start();
    last().reply({ type: 'fatal', message: 'cannot open the workspace /nope: EACCES' });
    last().crash(1);
    expect(notices).toEqual(['cannot open the workspace /nope: EACCES', 'cannot open the workspace /nope: EACCES; restarting it']);
    host.stop();
  });

  it('gives up after too many crashes and says why', async () => {
    const { host, children, last, notices } = setup({ maxCrashes: 2 });
    host.start();
    for (let i = 0; i < 3; i++) {
      last().crash(1);
      await tick(30);
    }
    expect(children).toHaveLength(3);
    expect(notices.at(-1)).toMatch(/crashed 3 times within 60 s, so it is not restarted/);
    await expect(host.call('info', {})).rejects.toThrow(/not restarted/);
  });

  it('stop() kills the engine and does not restart it', async () => {
    const { host, children, last, events } = setup();
    host.start();
    last().reply({ type: 'ready', workspace: '/ws' });
    last().reply({ type: 'event', event: job('scan-1', 'running') });
    const pending = host.call('info', {});
    host.stop();
    expect(children[0]!.killed).toBe(true);
    await expect(pending).rejects.toThrow(/shutting down/);
    children[0]!.crash(0);
    await tick(30);
    expect(children).toHaveLength(1);
    expect(jobEvents(events).filter((e) => e.status === 'failed')).toEqual([]);
  });

  it('ignores messages of a process it replaced', async () => {
    const { host, children, events, last } = setup();
    host.start();
    const old = last();
    old.crash(9);
    await tick(30);
    old.reply({ type: 'event', event: job('scan-9', 'running') });
    expect(children).toHaveLength(2);
    expect(events).toEqual([]);
  });
});
