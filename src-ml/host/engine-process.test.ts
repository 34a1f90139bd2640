// The engine host process's message handling, over a real EngineService on a small synthetic workspace.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSeries } from '../store/queries.ts';
import { Workspace } from '../store/workspace.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { EngineService } from './engine-service.ts';
import { desktopDicomUrl, serveEngine, workspaceArg } from './engine-process.ts';
import { indexedFileLookup } from './indexed-files.ts';
import type { FromEngine, ToEngine } from './engine-process-protocol.ts';

let root: string;
let ws: Workspace;
let service: EngineService;
const out: FromEngine[] = [];
const emitter = new EventEmitter();
const port = Object.assign(emitter, {
  out,
  postMessage(m: FromEngine) {
    out.push(m);
    emitter.emit('out', m);
  },
});

function ask(m: ToEngine): Promise<Extract<FromEngine, { type: 'response' }>> {
  return new Promise((resolve) => {
    const on = (r: FromEngine) => {
      if (r.type === 'response' && r.id === m.id) {
        port.off('out', on);
        resolve(r);
      }
    };
    port.on('out', on);
    port.emit('message', { data: m });
  });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-engine-process-'));
  ws = Workspace.open(await makeSynthWorkspace(root, { studies: 1, seed: 3, size: 64 }));
  service = new EngineService(ws, { dicomUrl: desktopDicomUrl });
  serveEngine(service, indexedFileLookup(ws), port);
});

afterAll(async () => {
  await service?.close();
  ws?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('serveEngine', () => {
  it('answers EngineClient calls by id; slices point at the app:// DICOM route', async () => {
    const info = await ask({ type: 'request', id: 1, method: 'info', body: {} });
    expect(info).toMatchObject({ id: 1, ok: true, value: { workspace: ws.dir, counts: { studies: 1 } } });
    const uid = listSeries(ws)[0]!.seriesInstanceUid;
    const series = await ask({ type: 'request', id: 2, method: 'getSeries', body: { seriesUid: uid } });
    const slice = (series as { value: { slices: { imageId: string; dicomUrl: string }[] } }).value.slices[0]!;
    expect(slice.dicomUrl).toBe(`/dicom/${encodeURIComponent(slice.imageId)}`);
  });

  it('validates again: unknown methods and bad bodies come back as one-line errors', async () => {
    expect(await ask({ type: 'request', id: 3, method: 'dropTables', body: {} })).toMatchObject({ ok: false, error: { code: 'not_found', message: 'unknown method "dropTables"' } });
    expect(await ask({ type: 'request', id: 4, method: 'getSeries', body: { seriesUid: '../x' } })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await ask({ type: 'request', id: 5, method: 'getSeries', body: { seriesUid: '9.9.9' } })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('files: only images of the index, by image id', async () => {
    const uid = listSeries(ws)[0]!.seriesInstanceUid;
    const { slices } = await service.getSeries(uid);
    const ok = await ask({ type: 'file', id: 6, imageId: slices[0]!.imageId });
    expect(ok.ok).toBe(true);
    expect((ok as { value: { path: string } }).value.path.startsWith(path.join(root, 'data'))).toBe(true);
    expect(await ask({ type: 'file', id: 7, imageId: 'ID_notindexed' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await ask({ type: 'file', id: 8, imageId: '../../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });

  it('forwards job events', async () => {
    const empty = mkdtempSync(path.join(root, 'empty-'));
    const r = await ask({ type: 'request', id: 9, method: 'addFolder', body: { path: empty } });
    const jobId = (r as { value: { jobId: string } }).value.jobId;
    await new Promise<void>((resolve) => {
      const check = () => port.out.some((m) => m.type === 'event' && m.event.type === 'job' && m.event.jobId === jobId && m.event.status === 'done') && resolve();
      port.on('out', check);
      check();
    });
    const statuses = port.out.filter((m) => m.type === 'event' && m.event.type === 'job' && m.event.jobId === jobId).map((m) => (m as { event: { status: string } }).event.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('done');
  });

  it('answers a malformed message that has an id, ignores one without', async () => {
    expect(await ask({ type: 'bogus', id: 10 } as unknown as ToEngine)).toMatchObject({ ok: false, error: { message: 'malformed engine message' } });
    const before = port.out.length;
    port.emit('message', { data: 'hello' });
    expect(port.out.length).toBe(before);
  });

  it('workspaceArg', () => {
    expect(workspaceArg(['--workspace', '/w'])).toBe('/w');
    expect(workspaceArg(['--workspace'])).toBeNull();
    expect(workspaceArg(['--workspace', '--x'])).toBeNull();
  });
});
