import { describe, expect, it, vi } from 'vitest';
import { ENGINE_METHODS, type JobEvent } from '../src-ml/api/engine.ts';
import type { IpcRendererPort } from './electron-port.ts';
import { createDesktopApi, REQUEST_BODIES } from './preload-api.ts';

function fakeIpc(reply: (channel: string, body: unknown) => unknown = (channel, body) => ({ ok: true, value: { channel, body } })) {
  const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
  const ipc = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => reply(channel, args[0])),
    on(channel: string, l: (e: unknown, ...a: unknown[]) => void) {
      (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l);
      return ipc;
    },
    removeListener(channel: string, l: (e: unknown, ...a: unknown[]) => void) {
      listeners.get(channel)?.delete(l);
      return ipc;
    },
  };
  const emit = (channel: string, ...args: unknown[]) => listeners.get(channel)?.forEach((l) => l({ sender: 'ipc-renderer-internals' }, ...args));
  return { ipc: ipc as IpcRendererPort & typeof ipc, emit, listeners };
}

describe('window.ich (createDesktopApi)', () => {
  it('exposes exactly the EngineClient methods, onEvent and openFolderDialog', () => {
    const api = createDesktopApi(fakeIpc().ipc);
    expect(Object.keys(api).sort()).toEqual([...ENGINE_METHODS, 'onEvent', 'openFolderDialog'].sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
  });

  it('invokes one channel per method with the request body', async () => {
    const { ipc } = fakeIpc();
    const api = createDesktopApi(ipc);
    await api.info();
    await api.listStudies({ filter: 'x' });
    await api.listStudies();
    await api.getSeriesList('1.2');
    await api.getSeries('1.3');
    await api.getPredictions('1.4');
    await api.getSliceDetail('ID_1');
    await api.addFolder('/data');
    await api.listJobs();
    await api.openFolderDialog();
    expect(ipc.invoke.mock.calls).toEqual([
      ['ich:info', {}], ['ich:listStudies', { filter: 'x' }], ['ich:listStudies', {}], ['ich:getSeriesList', { studyUid: '1.2' }],
      ['ich:getSeries', { seriesUid: '1.3' }], ['ich:getPredictions', { seriesUid: '1.4' }], ['ich:getSliceDetail', { imageId: 'ID_1' }],
      ['ich:addFolder', { path: '/data' }], ['ich:listJobs', {}], ['ich:openFolderDialog', {}],
    ]);
    expect(await api.getSeries('9')).toEqual({ channel: 'ich:getSeries', body: { seriesUid: '9' } });
  });

  it('every method of the engine contract has its request body', () => {
    for (const m of [...ENGINE_METHODS, 'openFolderDialog']) expect(REQUEST_BODIES[m], m).toBeTypeOf('function');
  });

  it('turns a refusal into an Error with the one-line message; a malformed reply too', async () => {
    const api = createDesktopApi(fakeIpc(() => ({ ok: false, error: { code: 'invalid', message: 'seriesUid must be a string' } })).ipc);
    await expect(api.getSeries('x')).rejects.toThrow(/^seriesUid must be a string$/);
    const bad = createDesktopApi(fakeIpc(() => 'surprise').ipc);
    await expect(bad.info()).rejects.toThrow('info: malformed reply from the main process');
  });

  it('onEvent passes the event only (never the IPC event with its sender) and unsubscribes', () => {
    const { ipc, emit, listeners } = fakeIpc();
    const api = createDesktopApi(ipc);
    const got: unknown[][] = [];
    const off = api.onEvent((...args: unknown[]) => got.push(args));
    const e: JobEvent = { type: 'job', jobId: 'scan-1', kind: 'scan', stage: 'scan', done: 1, total: 2, status: 'running' };
    emit('ich:event', e);
    expect(got).toEqual([[e]]);
    off();
    emit('ich:event', e);
    expect(got).toHaveLength(1);
    expect(listeners.get('ich:event')!.size).toBe(0);
  });
});
