import { describe, expect, it, vi } from 'vitest';
import { ENGINE_METHODS } from '../src-ml/api/engine.ts';
import type { IpcInvokeEventPort, IpcMainPort } from './electron-port.ts';
import { channelOf, IPC_ENGINE_METHODS, IPC_METHODS } from './ipc-contract.ts';
import { registerIpcRouter, routeRequest, type RouterDeps } from './ipc-router.ts';

const APP = { senderFrame: { url: 'app://ich/index.html' } };

function deps() {
  const callEngine = vi.fn(async (method: string, body: unknown) => ({ method, body }));
  const openFolder = vi.fn(async () => ({ path: '/data/ct', jobId: 'scan-1' }));
  return { callEngine, openFolder } satisfies RouterDeps;
}

describe('routeRequest', () => {
  it('forwards a valid request with the validated body', async () => {
    const d = deps();
    const r = await routeRequest(d, 'listStudies', APP, [{ filter: 'ct', threshold: 0.3 }]);
    expect(r).toEqual({ ok: true, value: { method: 'listStudies', body: { filter: 'ct', threshold: 0.3 } } });
    expect(await routeRequest(d, 'info', APP, [])).toMatchObject({ ok: true });
    expect(d.callEngine).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['no frame', { senderFrame: null }],
    ['a remote page', { senderFrame: { url: 'https://evil.example/index.html' } }],
    ['a file page', { senderFrame: { url: 'file:///tmp/x.html' } }],
    ['another app host', { senderFrame: { url: 'app://evil/index.html' } }],
    ['the web host', { senderFrame: { url: 'http://127.0.0.1:8080/?token=x' } }],
  ])('refuses a request from %s', async (_name, event: IpcInvokeEventPort) => {
    const d = deps();
    const r = await routeRequest(d, 'info', event, []);
    expect(r).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(r.ok ? '' : r.error.message).toMatch(/did not come from the app's own page/);
    expect(d.callEngine).not.toHaveBeenCalled();
    expect(d.openFolder).not.toHaveBeenCalled();
  });

  it('refuses unknown methods, including prototype names', async () => {
    const d = deps();
    for (const m of ['deleteEverything', '__proto__', 'constructor', 'toString', '']) {
      const r = await routeRequest(d, m, APP, [{}]);
      expect(r, m).toMatchObject({ ok: false, error: { code: 'refused' } });
    }
    expect(d.callEngine).not.toHaveBeenCalled();
  });

  it.each([
    ['getSeries', [{ seriesUid: '../../etc/passwd' }], /seriesUid must be/],
    ['getSeries', [{}], /seriesUid must be a string/],
    ['getSliceDetail', [{ imageId: 42 }], /imageId must be a string/],
    ['addFolder', [{ path: 'relative/dir' }], /absolute path/],
    ['addFolder', [{ path: '/data\u0000x' }], /control characters/],
    ['listStudies', [{ threshold: 2 }], /between 0 and 1/],
    ['listStudies', [{ filter: 'x', extra: 1 }], /unknown field "extra"/],
    ['info', [[1, 2]], /must be a JSON object/],
    ['info', ['text'], /must be a JSON object/],
    ['openFolderDialog', [{ path: '/etc' }], /takes no parameters/],
  ])('refuses a bad body for %s', async (method, args, message) => {
    const d = deps();
    const r = await routeRequest(d, method, APP, args);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(r.ok ? '' : r.error.message).toMatch(message);
    expect(r.ok ? '' : r.error.message).not.toContain('\n');
    expect(d.callEngine).not.toHaveBeenCalled();
    expect(d.openFolder).not.toHaveBeenCalled();
  });

  it('refuses extra arguments', async () => {
    const d = deps();
    expect(await routeRequest(d, 'info', APP, [{}, { more: 1 }])).toMatchObject({ ok: false, error: { code: 'refused' } });
  });

  it('reports engine failures as one line', async () => {
    const d = deps();
    d.callEngine.mockRejectedValueOnce(new Error('disk full\nstack...'));
    expect(await routeRequest(d, 'info', APP, [])).toEqual({ ok: false, error: { code: 'internal', message: 'internal error: disk full' } });
  });

  it('opens the folder dialog', async () => {
    const d = deps();
    expect(await routeRequest(d, 'openFolderDialog', APP, [{}])).toEqual({ ok: true, value: { path: '/data/ct', jobId: 'scan-1' } });
  });
});

describe('registerIpcRouter', () => {
  it('registers one channel per method of the contract (= the engine API + the folder dialog) and removes them', async () => {
    expect([...IPC_ENGINE_METHODS].sort()).toEqual([...ENGINE_METHODS].sort());
    const handlers = new Map<string, (e: IpcInvokeEventPort, ...a: unknown[]) => Promise<unknown>>();
    const ipcMain: IpcMainPort = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
    const d = deps();
    const remove = registerIpcRouter(ipcMain, d);
    expect([...handlers.keys()].sort()).toEqual(IPC_METHODS.map(channelOf).sort());
    expect(await handlers.get('ich:getSeries')!(APP, { seriesUid: '1.2.3' })).toEqual({ ok: true, value: { method: 'getSeries', body: { seriesUid: '1.2.3' } } });
    expect(await handlers.get('ich:getSeries')!({ senderFrame: { url: 'https://x.example/' } }, { seriesUid: '1.2.3' })).toMatchObject({ ok: false });
    remove();
    expect(handlers.size).toBe(0);
  });
});
