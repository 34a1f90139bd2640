// The main process's job relay with fake utility processes: which command lines it forks (and which it
// refuses), the output and exit it relays back to the engine, cancel and kill, and jobs dying with the engine.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobToEngine } from '../src-ml/host/engine-process-protocol.ts';
import { pipelineArgs } from '../src-ml/host/training-jobs.ts';
import { predictArgs } from '../src-ml/host/predict-child.ts';
import type { UtilityProcessPort } from './electron-port.ts';
import { relayJobs, validateJobArgs } from './job-relay.ts';

const WS = '/home/u/ich-workspace';

describe('validateJobArgs', () => {
  it('accepts the command lines the engine builds', () => {
    for (const args of [
      pipelineArgs(WS, { preset: 'tiny' }),
      pipelineArgs(WS, { preset: 'rsna', stages: ['base', 'features'], data: '/data/rsna', labels: 'C:\\rsna\\labels.csv', folds: 5 }),
      pipelineArgs(WS, { preset: 'rsna', initDir: '/w/imagenet', testDirs: ['/data/stage_2_test'] }),
      pipelineArgs(WS, { preset: 'rsna', fromScratch: true, testDirs: Array.from({ length: 8 }, (_, i) => `D:\\test${i}`), data: '/d', labels: '/l.csv', stages: ['base'], folds: 3 }),
      predictArgs(WS),
      predictArgs(WS, ['1.2.840.1', 'ID_abc']),
      predictArgs(`${WS}/`, ['x']),
    ]) expect(validateJobArgs(args, WS)).toEqual(args);
  });

  it.each([
    ['not a list', 'pipeline', /arguments must be/],
    ['no command', [], /arguments must be/],
    ['a non-string', ['predict', 3], /arguments must be/],
    ['an unknown command', ['serve', '--workspace', WS], /unknown command "serve"/],
    ['a module path as command', ['/tmp/evil.js'], /unknown command/],
    ['a flag of another command', [...predictArgs(WS), '--preset', 'tiny'], /predict does not take "--preset"/],
    ['a positional argument', [...predictArgs(WS), '/etc/passwd'], /does not take "\/etc\/passwd"/],
    ['another workspace', predictArgs('/home/u/other'), /--workspace must be the engine's workspace/],
    ['a relative workspace', predictArgs('ich-workspace'), /--workspace must be the engine's workspace/],
    ['a preset file', pipelineArgs(WS, { preset: '/tmp/preset.json' }), /--preset must be one of tiny, rsna/],
    ['a relative data folder', pipelineArgs(WS, { preset: 'tiny', data: 'data' }), /--data must be an absolute path/],
    ['a control character in labels', pipelineArgs(WS, { preset: 'tiny', labels: '/a\nb.csv' }), /--labels must be an absolute path/],
    ['an unknown stage', [...pipelineArgs(WS, { preset: 'tiny' }), '--stages', 'base,evil'], /--stages must be a comma-separated list of stages/],
    ['a stage twice', [...pipelineArgs(WS, { preset: 'tiny' }), '--stages', 'base,base'], /names a stage twice/],
    ['too many folds', pipelineArgs(WS, { preset: 'tiny', folds: 21 }), /--folds must be an integer from 2 to 20/],
    ['folds not a number', [...pipelineArgs(WS, { preset: 'tiny' }), '--folds', '5e0'], /--folds must be an integer/],
    ['a flag twice', [...predictArgs(WS), '--events'], /--events given twice/],
    ['a flag without its value', ['pipeline', '--events', '--no-progress', '--json', '--preset', 'tiny', '--workspace'], /--workspace needs a value/],
    ['a required flag left out', ['pipeline', '--workspace', WS, '--preset', 'tiny', '--events', '--no-progress'], /pipeline needs --json/],
    ['both --studies and --missing', [...predictArgs(WS), '--studies', 'a'], /exactly one of --studies, --missing/],
    ['neither --studies nor --missing', ['predict', '--workspace', WS, '--events', '--no-progress'], /exactly one of --studies, --missing/],
    ['a bad study UID', predictArgs(WS, ['a b']), /--studies must be a comma-separated list of study UIDs/],
    ['an inherited property name as flag', ['predict', 'constructor'], /does not take "constructor"/],
    ['a relative init folder', pipelineArgs(WS, { preset: 'rsna', initDir: 'weights' }), /--init must be an absolute path/],
    ['--init twice', [...pipelineArgs(WS, { preset: 'rsna', initDir: '/a' }), '--init', '/b'], /--init given twice/],
    ['--init without its folder', [...pipelineArgs(WS, { preset: 'rsna' }), '--init'], /--init needs a value/],
    ['--init with --from-scratch', [...pipelineArgs(WS, { preset: 'rsna', initDir: '/a' }), '--from-scratch'], /--init and --from-scratch exclude each other/],
    ['--from-scratch with a value', [...pipelineArgs(WS, { preset: 'rsna', fromScratch: true }), '/x'], /does not take "\/x"/],
    ['--from-scratch twice', [...pipelineArgs(WS, { preset: 'rsna', fromScratch: true }), '--from-scratch'], /--from-scratch given twice/],
    ['--from-scratch on predict', [...predictArgs(WS), '--from-scratch'], /predict does not take "--from-scratch"/],
    ['a relative test folder', pipelineArgs(WS, { preset: 'tiny', testDirs: ['/t', 'test'] }), /--test must be an absolute path/],
    ['two folders after one --test', [...pipelineArgs(WS, { preset: 'tiny', testDirs: ['/t'] }), '/u'], /does not take "\/u"/],
    ['a test folder twice', pipelineArgs(WS, { preset: 'tiny', testDirs: ['/t', '/t'] }), /--test names "\/t" twice/],
    ['nine test folders', pipelineArgs(WS, { preset: 'tiny', testDirs: Array.from({ length: 9 }, (_, i) => `/t${i}`) }), /--test given more than 8 times/],
    ['--test on predict', [...predictArgs(WS), '--test', '/t'], /predict does not take "--test"/],
  ])('refuses %s', (_what, args, reason) => {
    expect(() => validateJobArgs(args, WS)).toThrow(reason);
  });
});

/** A utility process as Electron gives one: messages, 'exit', stdio 'pipe' streams. */
class FakeUtility extends EventEmitter {
  readonly sent: unknown[] = [];
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  killed = 0;
  pid = 123;
  postMessage(m: unknown): void {
    this.sent.push(m);
  }
  kill(): boolean {
    this.killed++;
    return true;
  }
  /** Ends like a process: streams close, then 'exit' (or 'exit' first, as Electron may report it). */
  end(code: number, exitFirst = false): void {
    if (exitFirst) this.emit('exit', code);
    this.stdout.end();
    this.stderr.end();
    if (!exitFirst) setImmediate(() => this.emit('exit', code));
  }
}

function setup(drainMs = 2_000) {
  const engine = new FakeUtility();
  const forks: { args: string[]; child: FakeUtility }[] = [];
  const logs: string[] = [];
  const relay = relayJobs(engine as unknown as UtilityProcessPort, {
    forkJob: (args) => {
      const child = new FakeUtility();
      forks.push({ args, child });
      return child as unknown as UtilityProcessPort;
    },
    log: (l) => logs.push(l),
    drainMs,
  });
  const fromMain = () => engine.sent as JobToEngine[];
  const exitOf = async (jobId: number) => {
    for (let i = 0; i < 300; i++) {
      const e = fromMain().find((m): m is Extract<JobToEngine, { type: 'job-exit' }> => m.type === 'job-exit' && m.jobId === jobId);
      if (e) return e;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no job-exit for ${jobId}`);
  };
  return { engine, forks, logs, relay, fromMain, exitOf };
}

describe('relayJobs', () => {
  it('forks a valid job, relays its output as text and its exit after the output', async () => {
    const s = setup();
    s.engine.emit('message', { type: 'ready', workspace: WS });
    const args = predictArgs(WS);
    s.engine.emit('message', { type: 'job-start', jobId: 7, args });
    expect(s.forks.map((f) => f.args)).toEqual([args]);
    const child = s.forks[0]!.child;
    // A character split across two chunks arrives whole.
    const euro = Buffer.from('{"what":"€"}\n');
    child.stdout.write(euro.subarray(0, 10));
    child.stdout.write(euro.subarray(10));
    child.stderr.write('ich: no active version\n');
    child.end(1, true); // Electron may say 'exit' before the pipes drained
    const exit = await s.exitOf(7);
    expect(exit).toEqual({ type: 'job-exit', jobId: 7, code: 1 });
    const out = s.fromMain();
    const text = (stream: string) => out.filter((m) => m.type === 'job-output' && m.stream === stream).map((m) => (m as { data: string }).data).join('');
    expect(text('stdout')).toBe('{"what":"€"}\n');
    expect(text('stderr')).toBe('ich: no active version\n');
    // The exit is the last message of the job.
    expect(out.at(-1)).toBe(exit);
  });

  it('refuses a bad command line, a job before the workspace is known, a duplicate id and too many jobs, forking nothing for them', async () => {
    const s = setup();
    s.engine.emit('message', { type: 'job-start', jobId: 1, args: predictArgs(WS) });
    expect(await s.exitOf(1)).toEqual({ type: 'job-exit', jobId: 1, code: null, error: 'job refused: the engine has not opened its workspace' });
    s.engine.emit('message', { type: 'ready', workspace: WS });
    s.engine.emit('message', { type: 'job-start', jobId: 2, args: ['serve', '--workspace', WS] });
    expect((await s.exitOf(2)).error).toMatch(/^job refused: unknown command "serve"/);
    expect(s.forks).toHaveLength(0);
    for (const id of [3, 4, 5, 6]) s.engine.emit('message', { type: 'job-start', jobId: id, args: predictArgs(WS) });
    s.engine.emit('message', { type: 'job-start', jobId: 3, args: predictArgs(WS) });
    s.engine.emit('message', { type: 'job-start', jobId: 8, args: predictArgs(WS) });
    expect(s.forks).toHaveLength(4);
    const refusals = s.fromMain().filter((m) => m.type === 'job-exit').map((m) => (m as { error?: string }).error);
    expect(refusals.slice(2)).toEqual(['job refused: job 3 is already running', 'job refused: 4 jobs are running already']);
    expect(s.logs).toHaveLength(4);
    // Messages that are not job requests are not this relay's business.
    s.engine.emit('message', { type: 'job-start', jobId: 'x', args: [] });
    s.engine.emit('message', { type: 'response', id: 1, ok: true, value: null });
    expect(s.fromMain().filter((m) => m.type === 'job-exit')).toHaveLength(4);
  });

  it('a fork that throws is a job that could not start', async () => {
    const engine = new FakeUtility();
    relayJobs(engine as unknown as UtilityProcessPort, { forkJob: () => { throw new Error('cannot fork\nstack'); } });
    engine.emit('message', { type: 'ready', workspace: WS });
    engine.emit('message', { type: 'job-start', jobId: 1, args: predictArgs(WS) });
    expect(engine.sent).toEqual([{ type: 'job-exit', jobId: 1, code: null, error: 'cannot fork' }]);
  });

  it('interrupt sends the job a cancel message, kill kills it; signals to unknown jobs are ignored', () => {
    const s = setup();
    s.engine.emit('message', { type: 'ready', workspace: WS });
    s.engine.emit('message', { type: 'job-start', jobId: 1, args: pipelineArgs(WS, { preset: 'tiny' }) });
    const child = s.forks[0]!.child;
    s.engine.emit('message', { type: 'job-signal', jobId: 1, signal: 'interrupt' });
    expect(child.sent).toEqual([{ type: 'cancel' }]);
    expect(child.killed).toBe(0);
    s.engine.emit('message', { type: 'job-signal', jobId: 1, signal: 'kill' });
    expect(child.killed).toBe(1);
    s.engine.emit('message', { type: 'job-signal', jobId: 9, signal: 'kill' });
    s.engine.emit('message', { type: 'job-signal', jobId: 1, signal: 'SIGSTOP' });
    expect(child.killed).toBe(1);
  });

  it('reports the exit after a while when the output never ends', async () => {
    const s = setup(20);
    s.engine.emit('message', { type: 'ready', workspace: WS });
    s.engine.emit('message', { type: 'job-start', jobId: 1, args: predictArgs(WS) });
    s.forks[0]!.child.emit('exit', 0);
    expect(await s.exitOf(1)).toEqual({ type: 'job-exit', jobId: 1, code: 0 });
  });

  it('kills the jobs when the engine exits or the app stops, and sends nothing after', () => {
    const s = setup();
    s.engine.emit('message', { type: 'ready', workspace: WS });
    s.engine.emit('message', { type: 'job-start', jobId: 1, args: predictArgs(WS) });
    s.engine.emit('message', { type: 'job-start', jobId: 2, args: pipelineArgs(WS, { preset: 'tiny' }) });
    s.engine.emit('exit', 1);
    expect(s.forks.map((f) => f.child.killed)).toEqual([1, 1]);
    s.forks[0]!.child.stdout.write('late\n');
    expect(s.fromMain()).toEqual([]);
    const t = setup();
    t.engine.emit('message', { type: 'ready', workspace: WS });
    t.engine.emit('message', { type: 'job-start', jobId: 1, args: predictArgs(WS) });
    t.relay.stop();
    expect(t.forks[0]!.child.killed).toBe(1);
  });
});
