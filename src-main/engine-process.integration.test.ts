// The engine host process for real: the actual entry (src-ml/host/engine-process-entry.cjs, TypeScript through
// tsx) in a separate Node process, driven by EngineHost. Electron's utility process is stood in for by
// child_process.fork plus a parentPort shim (test/parent-port-shim.mjs); a SIGKILL during a scan checks the
// crash path end to end: the job is reported failed, the engine restarts and answers again.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineEvent, EngineInfo, JobEvent, SeriesDetail, StudyRow } from '../src-ml/api/engine.ts';
import { makeGeDemoBundle } from '../src-ml/testing/demo-bundle-fixture.ts';
import { createAppProtocolHandler } from './app-protocol.ts';
import type { UtilityProcessPort } from './electron-port.ts';
import { EngineHost } from './engine-host.ts';
import { forkUtilityProcess, killIfRunning } from './test/node-utility-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = path.join(root, 'src-ml/host/engine-process-entry.cjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ich-engine-host-'));
const children: ChildProcess[] = [];

function forkEngine(workspace: string, extra: string[] = []): UtilityProcessPort {
  const { child, port } = forkUtilityProcess(entry, ['--workspace', workspace, ...extra]);
  children.push(child);
  return port;
}

afterAll(() => {
  for (const c of children) killIfRunning(c);
  rmSync(tmp, { recursive: true, force: true });
});

const until = async (cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('engine host process (real child process)', () => {
  it('serves a workspace, and survives a crash during a scan with the job reported failed', async () => {
    const wsDir = path.join(tmp, 'ws');
    const events: JobEvent[] = [];
    const host = new EngineHost({ fork: () => forkEngine(wsDir), onEvent: (e: EngineEvent) => e.type === 'job' && events.push(e), onNotice: () => {}, restartDelayMs: 50 });
    host.start();
    try {
      const info = (await host.call('info', {})) as EngineInfo;
      expect(info.workspace).toBe(wsDir);
      expect(info.counts.slices).toBe(0);
      expect(await host.fileOfImage('1.2.3')).toBeNull();

      const folder = path.join(tmp, 'many');
      mkdirSync(folder);
      for (let i = 0; i < 1500; i++) writeFileSync(path.join(folder, `f${i}.dcm`), `not dicom ${i}`);
      const { jobId } = (await host.call('addFolder', { path: folder })) as { jobId: string };
      const first = children[0]!;
      first.kill('SIGKILL');
      await until(() => events.some((e) => e.jobId === jobId && e.status === 'failed'));
      const failed = events.find((e) => e.jobId === jobId && e.status === 'failed')!;
      expect(failed.error).toMatch(/^the engine process stopped unexpectedly \(exit code 137\); the job was lost and the engine restarted$/);

      await until(() => children.length === 2);
      const again = (await host.call('info', {})) as EngineInfo;
      expect(again.workspace).toBe(wsDir);
      expect(children[1]!.pid).not.toBe(first.pid);
      const jobs = (await host.call('listJobs', {})) as JobEvent[];
      expect(jobs.find((j) => j.jobId === jobId)?.status).toBe('failed');
    } finally {
      host.stop();
    }
  });

  it('an engine that cannot open its workspace says why', async () => {
    const notFolder = path.join(tmp, 'a-file');
    writeFileSync(notFolder, 'x');
    const notices: string[] = [];
    const host = new EngineHost({ fork: () => forkEngine(notFolder), onEvent: () => {}, onNotice: (l) => notices.push(l), maxCrashes: 0 });
    host.start();
    await until(() => notices.some((n) => n.includes('not restarted')));
    expect(notices[0]).toMatch(/^cannot open the workspace .*a-file: /);
    await expect(host.call('info', {})).rejects.toThrow(/cannot open the workspace/);
    host.stop();
  });

  it('first start: installs the demo bundle into a new workspace, and the app:// handler serves its DICOM bytes through the index', async () => {
    // A bundle as `ich demo build` lays it out: 4 GE slices with predictions, portable paths.
    const { bundle } = await makeGeDemoBundle(path.join(tmp, 'bundle'), { slices: 4, anyProb: 0.7 });

    const dest = path.join(tmp, 'user-data', 'demo-workspace');
    const host = new EngineHost({ fork: () => forkEngine(dest, ['--install-demo', bundle]), onEvent: () => {}, onNotice: () => {} });
    host.start();
    try {
      const info = (await host.call('info', {})) as EngineInfo;
      expect(info.workspace).toBe(dest);
      expect(info.counts.slices).toBe(4);
      const [study] = (await host.call('listStudies', {})) as StudyRow[];
      expect(study!.maxAnySafe).toBeCloseTo(0.7);
      const [series] = (await host.call('getSeriesList', { studyUid: study!.studyUid })) as { seriesUid: string }[];
      const detail = (await host.call('getSeries', { seriesUid: series!.seriesUid })) as SeriesDetail;
      const slice = detail.slices[0]!;
      const file = await host.fileOfImage(slice.imageId);
      expect(file!.startsWith(path.join(dest, 'dicom', 'head-ct-ge') + path.sep)).toBe(true);

      const handler = createAppProtocolHandler({ rendererDir: null, fileOfImage: (id) => host.fileOfImage(id) });
      const res = await handler(new Request(new URL(slice.dicomUrl, 'app://ich/index.html').href));
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(file!))).toBe(true);
      expect((await handler(new Request('app://ich/dicom/1.2.3.4.5'))).status).toBe(404);
    } finally {
      host.stop();
    }
  });
});
