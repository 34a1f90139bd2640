// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../src-ml/api/engine.ts';
import type { IchDesktopApi } from '../../src-main/ipc-contract.ts';
import { EngineCallError } from './http-client.ts';
import { desktopApi, IpcEngineClient } from './ipc-client.ts';

function fakeApi(): IchDesktopApi & { listeners: Set<(e: EngineEvent) => void> } {
  const listeners = new Set<(e: EngineEvent) => void>();
  const ok = <T>(v: T) => vi.fn(async () => v);
  return {
    listeners,
    info: ok({ workspace: '/ws' }) as unknown as IchDesktopApi['info'],
    listStudies: vi.fn(async () => []),
    getSeriesList: vi.fn(async () => []),
    getSeries: vi.fn(async () => { throw new Error('seriesUid must be 1-128 characters of A-Z a-z 0-9 . _ # -'); }),
    getPredictions: vi.fn(async () => ({}) as never),
    getSliceDetail: vi.fn(async () => ({}) as never),
    addFolder: vi.fn(async () => ({ jobId: 'scan-1' })),
    listJobs: vi.fn(async () => []),
    openFolderDialog: vi.fn(async () => null),
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

describe('desktopApi', () => {
  it('finds window.ich in the desktop app, nothing in a browser', () => {
    expect(desktopApi()).toBeNull();
    expect(desktopApi({ ich: 'nope' })).toBeNull();
    const api = fakeApi();
    (window as unknown as { ich: unknown }).ich = api;
    expect(desktopApi()).toBe(api);
    delete (window as unknown as { ich?: unknown }).ich;
  });
});

describe('IpcEngineClient', () => {
  it('forwards each call to window.ich', async () => {
    const api = fakeApi();
    const c = new IpcEngineClient(api);
    expect(await c.info()).toEqual({ workspace: '/ws' });
    await c.listStudies({ filter: 'a' });
    expect(api.listStudies).toHaveBeenCalledWith({ filter: 'a' });
    await c.listStudies();
    expect(api.listStudies).toHaveBeenLastCalledWith({});
    await c.getSeriesList('1.2');
    expect(api.getSeriesList).toHaveBeenCalledWith('1.2');
    expect(await c.addFolder('/data')).toEqual({ jobId: 'scan-1' });
    expect(await c.openFolderDialog()).toBeNull();
    await c.listJobs();
    expect(api.listJobs).toHaveBeenCalledOnce();
  });

  it('failures are one-line EngineCallErrors naming the method', async () => {
    const c = new IpcEngineClient(fakeApi());
    const err = await c.getSeries('bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineCallError);
    expect((err as Error).message).toBe('getSeries: seriesUid must be 1-128 characters of A-Z a-z 0-9 . _ # -');
  });

  it('events: subscribe and unsubscribe', () => {
    const api = fakeApi();
    const c = new IpcEngineClient(api);
    const got: EngineEvent[] = [];
    const off = c.onEvent((e) => got.push(e));
    const e: EngineEvent = { type: 'job', jobId: 'scan-1', kind: 'scan', stage: 'scan', done: 0, total: 1, status: 'queued' };
    api.listeners.forEach((l) => l(e));
    off();
    api.listeners.forEach((l) => l(e));
    expect(got).toEqual([e]);
  });
});
