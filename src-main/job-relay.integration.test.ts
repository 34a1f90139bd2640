// Jobs the desktop way, with real processes: the engine's relay launcher -> the main process's job relay ->
// the real job entry (src-ml/host/job-process-entry.cjs running the CLI). Electron's utilityProcess.fork is
// stood in for by child_process.fork with the parentPort shim, as in engine-process.integration.test.ts.
// A failing predict job brings its one-line error back; a training job cancelled through the relay stops
// between batches (its run recorded cancelled, so it was not killed) and is reported cancelled.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobFromEngine, JobToEngine } from '../src-ml/host/engine-process-protocol.ts';
import { relayJobLauncher } from '../src-ml/host/job-relay-launcher.ts';
import { runPredictChild } from '../src-ml/host/predict-child.ts';
import { TrainingJobs, type TrainJobState } from '../src-ml/host/training-jobs.ts';
import { listRuns } from '../src-ml/store/training-store.ts';
import { Workspace } from '../src-ml/store/workspace.ts';
import { tempDir } from '../src-ml/testing/fixtures.ts';
import { makeSynthWorkspace } from '../src-ml/testing/synth-workspace.ts';
import { APP_FILES } from './desktop.ts';
import type { UtilityProcessPort } from './electron-port.ts';
import { relayJobs } from './job-relay.ts';
import { forkUtilityProcess, killIfRunning } from './test/node-utility-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const t = tempDir('ich-job-relay-');
const killers: (() => void)[] = [];
let wsDir = '';

/** utilityProcess.fork(job entry, args, { stdio: 'pipe' }), played by a Node child with a parentPort. */
function forkJob(args: string[]): UtilityProcessPort {
  const { child, port } = forkUtilityProcess(path.join(root, APP_FILES.jobEntry), args, { pipe: true });
  killers.push(() => killIfRunning(child));
  return port;
}

/** The engine process's two ends in this process: the relay's view of it, and its own parentPort. */
function engineLink(): { engine: UtilityProcessPort; emitter: EventEmitter; port: { on: EventEmitter['on']; postMessage: (m: JobFromEngine) => void } } {
  const engine = new EventEmitter();
  const parentPort = new EventEmitter();
  Object.assign(engine, { pid: 1, stdout: null, stderr: null, kill: () => true,
    postMessage: (m: JobToEngine) => setImmediate(() => parentPort.emit('message', { data: structuredClone(m) })) });
  const port = { on: parentPort.on.bind(parentPort), postMessage: (m: JobFromEngine) => setImmediate(() => engine.emit('message', structuredClone(m))) };
  return { engine: engine as unknown as UtilityProcessPort, emitter: engine, port };
}

beforeAll(async () => {
  wsDir = await makeSynthWorkspace(t.dir, { studies: 6, seed: 31, size: 64 });
}, 120_000);

afterAll(() => {
  for (const k of killers) k();
  t.cleanup();
});

describe('jobs through the main process (real job processes)', () => {
  function setup() {
    const { engine, emitter, port } = engineLink();
    const logs: string[] = [];
    relayJobs(engine, { forkJob, log: (l) => logs.push(l) });
    emitter.emit('message', { type: 'ready', workspace: wsDir });
    return { launch: relayJobLauncher(port), logs };
  }

  it('a failing predict job comes back with its one-line error; a refused one never starts', async () => {
    const { launch, logs } = setup();
    const r = runPredictChild({ workspace: wsDir, signal: new AbortController().signal, spawnChild: launch, onProgress: () => {} });
    await expect(r).rejects.toThrow(/^no trained ensemble in .*: run ich pipeline/);
    const other = runPredictChild({ workspace: path.join(t.dir, 'elsewhere'), signal: new AbortController().signal, spawnChild: launch, onProgress: () => {} });
    await expect(other).rejects.toThrow("job refused: --workspace must be the engine's workspace");
    expect(logs).toEqual(["job refused: --workspace must be the engine's workspace"]);
  }, 120_000);

  it('cancel reaches the job as Ctrl-C: it stops between batches, its run is recorded cancelled', async () => {
    const { launch } = setup();
    const updates: TrainJobState[] = [];
    let batched: () => void = () => {};
    const firstBatch = new Promise<void>((resolve) => {
      batched = resolve;
    });
    const jobs = new TrainingJobs({ workspaceDir: wsDir, progressIntervalMs: 0, spawnChild: launch, onUpdate: (s) => {
      updates.push(s);
      if (s.batch) batched();
    } });
    const { jobId } = jobs.start({ preset: 'tiny', stages: ['base'] });
    await firstBatch;
    expect(updates.at(-1)!.stages.base.state).toBe('running');
    expect(await jobs.cancel(jobId)).toEqual({ cancelled: true });
    expect(jobs.get(jobId)!.status).toBe('cancelled');
    const ws = Workspace.open(wsDir);
    try {
      expect(listRuns(ws).map((r) => r.status)).toEqual(['cancelled']);
    } finally {
      ws.close();
    }
  }, 300_000);
});
