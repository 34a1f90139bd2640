// The engine's side of relayed jobs, over a fake parent port: what it asks the main process for, how relayed
// output and exits reach training-jobs.ts / predict-child.ts (the real ones, driven through this launcher).
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { JobFromEngine, JobToEngine } from './engine-process-protocol.ts';
import { relayJobLauncher } from './job-relay-launcher.ts';
import { runPredictChild } from './predict-child.ts';
import { TrainingJobs, type TrainJobState } from './training-jobs.ts';

class FakePort extends EventEmitter {
  readonly sent: JobFromEngine[] = [];
  postMessage(m: JobFromEngine): void {
    this.sent.push(m);
  }
  /** A message from the main process, as process.parentPort delivers it. */
  deliver(data: JobToEngine | Record<string, unknown>): void {
    this.emit('message', { data });
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('relayJobLauncher', () => {
  it('asks main to start the job, gives its output as lines, and closes after the last line', async () => {
    const port = new FakePort();
    const launch = relayJobLauncher(port);
    const job = launch(['predict', '--workspace', '/ws', '--events', '--no-progress', '--missing']);
    const job2 = launch(['predict', '--workspace', '/ws', '--events', '--no-progress', '--missing']);
    expect(port.sent).toEqual([
      { type: 'job-start', jobId: 1, args: ['predict', '--workspace', '/ws', '--events', '--no-progress', '--missing'] },
      { type: 'job-start', jobId: 2, args: ['predict', '--workspace', '/ws', '--events', '--no-progress', '--missing'] },
    ]);
    const lines: string[] = [];
    const errLines: string[] = [];
    createInterface({ input: job.stdout! }).on('line', (l) => lines.push(l));
    createInterface({ input: job.stderr! }).on('line', (l) => errLines.push(l));
    const closed = new Promise<number | null>((resolve) => job.once('close', resolve));
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdout', data: '{"a":' });
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdout', data: '1}\n{"images":3}' });
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stderr', data: 'ich: oops\n' });
    port.deliver({ type: 'job-output', jobId: 2, stream: 'stdout', data: 'other job\n' });
    // Malformed or foreign messages change nothing.
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdin', data: 'x\n' });
    port.deliver({ type: 'job-exit', jobId: '1', code: 0 });
    port.deliver({ type: 'response', id: 1, ok: true, value: null });
    port.deliver({ type: 'job-exit', jobId: 1, code: 0 });
    // The unterminated last line is read before 'close', as with a child process.
    expect(await closed).toBe(0);
    expect(lines).toEqual(['{"a":1}', '{"images":3}']);
    expect(errLines).toEqual(['ich: oops']);
    // Output after the exit is dropped; the job can no longer be signalled.
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdout', data: 'late\n' });
    await tick();
    expect(lines).toHaveLength(2);
    expect(job.kill('SIGINT')).toBe(false);
    expect(job2.kill('SIGINT')).toBe(true);
    expect(job2.kill('SIGKILL')).toBe(true);
    expect(port.sent.slice(2)).toEqual([{ type: 'job-signal', jobId: 2, signal: 'interrupt' }, { type: 'job-signal', jobId: 2, signal: 'kill' }]);
  });

  it('a refused job is an error and then a close, and closes even when nobody reads its output', async () => {
    const port = new FakePort();
    const job = relayJobLauncher(port)(['predict']);
    const errors: string[] = [];
    job.once('error', (e) => errors.push(e.message));
    const closed = new Promise<number | null>((resolve) => job.once('close', resolve));
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdout', data: 'unread\n' });
    port.deliver({ type: 'job-exit', jobId: 1, code: null, error: 'job refused: predict needs --workspace' });
    expect(await closed).toBeNull();
    expect(errors).toEqual(['job refused: predict needs --workspace']);
    // Without an 'error' listener the refusal is not thrown at the port.
    const quiet = relayJobLauncher(port)(['x']);
    const quietClosed = new Promise<number | null>((resolve) => quiet.once('close', resolve));
    expect(() => port.deliver({ type: 'job-exit', jobId: 1, code: null, error: 'refused' })).not.toThrow();
    expect(await quietClosed).toBeNull();
  });

  it('drives TrainingJobs: events become state, cancel is an interrupt, the exit after it a cancelled job', async () => {
    const port = new FakePort();
    const updates: TrainJobState[] = [];
    const jobs = new TrainingJobs({ workspaceDir: '/ws', onUpdate: (s) => updates.push(s), progressIntervalMs: 0, spawnChild: relayJobLauncher(port) });
    const { jobId } = jobs.start({ preset: 'tiny', stages: ['base'] });
    expect(port.sent[0]).toEqual({ type: 'job-start', jobId: 1, args: ['pipeline', '--workspace', '/ws', '--preset', 'tiny', '--events', '--no-progress', '--json', '--stages', 'base'] });
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdout', data: `${JSON.stringify({ type: 'stage', stage: 'base', status: 'started', units: 2, done: 0 })}\n` });
    await tick();
    expect(jobs.get(jobId)!.stages.base).toMatchObject({ state: 'running', units: 2 });
    const cancelled = jobs.cancel(jobId);
    expect(port.sent[1]).toEqual({ type: 'job-signal', jobId: 1, signal: 'interrupt' });
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stderr', data: 'ich: cancelled\n' });
    port.deliver({ type: 'job-exit', jobId: 1, code: 130 });
    expect(await cancelled).toEqual({ cancelled: true });
    expect(jobs.get(jobId)).toMatchObject({ status: 'cancelled', message: 'ich: cancelled' });
    expect(jobs.get(jobId)!.stages.base.state).toBe('cancelled');
  });

  it('drives runPredictChild: progress, the image count, the last error line of a failed job', async () => {
    const port = new FakePort();
    const launch = relayJobLauncher(port);
    const progress: string[] = [];
    const ok = runPredictChild({ workspace: '/ws', signal: new AbortController().signal, spawnChild: launch, onProgress: (d, t, w) => progress.push(`${d}/${t} ${w}`) });
    port.deliver({ type: 'job-output', jobId: 1, stream: 'stdout', data: `${JSON.stringify({ type: 'predict', done: 1, total: 2, what: 's1' })}\n{"images":40}\n` });
    port.deliver({ type: 'job-exit', jobId: 1, code: 0 });
    expect(await ok).toEqual({ images: 40 });
    expect(progress).toEqual(['1/2 s1']);
    const abort = new AbortController();
    const failed = runPredictChild({ workspace: '/ws', studyUids: ['1.2'], signal: abort.signal, spawnChild: launch, onProgress: () => {} });
    expect(port.sent[1]).toEqual({ type: 'job-start', jobId: 2, args: ['predict', '--workspace', '/ws', '--events', '--no-progress', '--studies', '1.2'] });
    port.deliver({ type: 'job-output', jobId: 2, stream: 'stderr', data: 'ich: no active model version\n' });
    port.deliver({ type: 'job-exit', jobId: 2, code: 1 });
    await expect(failed).rejects.toThrow(/^no active model version$/);
    // A refused job rejects with the refusal.
    const refused = runPredictChild({ workspace: '/ws', signal: abort.signal, spawnChild: launch, onProgress: () => {} });
    port.deliver({ type: 'job-exit', jobId: 3, code: null, error: 'job refused: predict needs --workspace' });
    await expect(refused).rejects.toThrow('job refused: predict needs --workspace');
  });
});
