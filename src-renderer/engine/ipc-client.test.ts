// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../src-ml/api/engine.ts';
import type { IchDesktopApi } from '../../src-main/ipc-contract.ts';
import { EngineCallError } from './http-client.ts';
import { createIpcEngineClient, desktopApi } from './ipc-client.ts';

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
    startTraining: vi.fn(async () => ({ jobId: 'train-1' })),
    cancelTraining: vi.fn(async () => ({ cancelled: true })),
    listTrainingJobs: vi.fn(async () => []),
    getTrainingHistory: vi.fn(async (jobId: string) => ({ jobId, epochs: [], losses: [] })),
    listRuns: vi.fn(async () => []),
    listVersions: vi.fn(async () => []),
    promoteVersion: vi.fn(async (version: string) => ({ active: version, previous: null })),
    predictStudies: vi.fn(async () => ({ jobId: 'predict-1' })),
    getSaliency: vi.fn(async () => ({}) as never),
    listProblems: vi.fn(async () => []),
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

describe('createIpcEngineClient', () => {
  it('forwards each call to window.ich', async () => {
    const api = fakeApi();
    const c = createIpcEngineClient(api);
    expect(await c.info()).toEqual({ workspace: '/ws' });
    await c.listStudies({ filter: 'a' });
    expect(api.listStudies).toHaveBeenCalledWith({ filter: 'a' });
    await c.listStudies();
    expect(api.listStudies).toHaveBeenLastCalledWith();
    await c.getSeriesList('1.2');
    expect(api.getSeriesList).toHaveBeenCalledWith('1.2');
    expect(await c.addFolder('/data')).toEqual({ jobId: 'scan-1' });
    expect(await c.openFolderDialog()).toBeNull();
    await c.listJobs();
    expect(api.listJobs).toHaveBeenCalledOnce();
    expect(await c.startTraining({ preset: 'tiny', stages: ['base'] })).toEqual({ jobId: 'train-1' });
    expect(api.startTraining).toHaveBeenCalledWith({ preset: 'tiny', stages: ['base'] });
    expect(await c.cancelTraining('train-1')).toEqual({ cancelled: true });
    expect(api.cancelTraining).toHaveBeenCalledWith('train-1');
    expect(await c.getTrainingHistory('train-1')).toEqual({ jobId: 'train-1', epochs: [], losses: [] });
    await c.listTrainingJobs();
    await c.listRuns();
    expect(api.listTrainingJobs).toHaveBeenCalledOnce();
    expect(api.listRuns).toHaveBeenCalledOnce();
  });

  it('passes every method of window.ich through, and nothing else', async () => {
    const api = { ...fakeApi(), listRuns: vi.fn(async () => [{ id: 'r1' }]), version: 3 } as unknown as IchDesktopApi;
    const c = createIpcEngineClient(api) as unknown as Record<string, unknown>;
    expect(Object.keys(c).sort()).toEqual(Object.keys(api).filter((k) => typeof (api as unknown as Record<string, unknown>)[k] === 'function').sort());
    expect(await (c.listRuns as () => Promise<unknown>)()).toEqual([{ id: 'r1' }]);
  });

  it('failures are one-line EngineCallErrors naming the method', async () => {
    const c = createIpcEngineClient(fakeApi());
    const err = await c.getSeries('bad').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineCallError);
    expect((err as Error).message).toBe('getSeries: seriesUid must be 1-128 characters of A-Z a-z 0-9 . _ # -');
  });

  it('events: subscribe and unsubscribe', () => {
    const api = fakeApi();
    const c = createIpcEngineClient(api);
    const got: EngineEvent[] = [];
    const off = c.onEvent((e) => got.push(e));
    const e: EngineEvent = { type: 'job', jobId: 'scan-1', kind: 'scan', stage: 'scan', done: 0, total: 1, status: 'queued' };
    api.listeners.forEach((l) => l(e));
    off();
    api.listeners.forEach((l) => l(e));
    expect(got).toEqual([e]);
  });
});
