// One call of every method of the contract's table (src-shared/engine-methods.ts) through every transport:
// the HTTP client and the preload send the same body, the IPC router passes it on validated, and the engine's
// dispatch (the web host's and the engine process's) calls the EngineClient method with the arguments the
// caller gave. SAMPLES is typed by the table, so a method added there without a sample does not compile.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { ENGINE_METHODS, requestBody, type EngineArgs, type EngineClient, type EngineMethod } from '../src-shared/engine-methods.ts';
import { HttpEngineClient } from '../src-renderer/engine/http-client.ts';
import { createIpcEngineClient } from '../src-renderer/engine/ipc-client.ts';
import { dispatch } from '../src-ml/host/dispatch.ts';
import { serveEngine } from '../src-ml/host/engine-process.ts';
import type { FromEngine } from '../src-ml/host/engine-process-protocol.ts';
import type { IpcRendererPort } from './electron-port.ts';
import { channelOf, IPC_ENGINE_METHODS } from './ipc-contract.ts';
import { registerIpcRouter } from './ipc-router.ts';
import { createDesktopApi } from './preload-api.ts';

/** One valid call per method: the EngineClient arguments. */
const SAMPLES: { [M in EngineMethod]: EngineArgs<M> } = {
  info: [],
  listStudies: [{ filter: 'smith', threshold: 0.3 }],
  getSeriesList: ['1.2.3'],
  getSeries: ['1.2.3.4'],
  getPredictions: ['1.2.3.4'],
  getSliceDetail: ['ID_0a1b2c#2'],
  addFolder: ['/data/ct'],
  listJobs: [],
  startTraining: [{ preset: 'tiny', stages: ['base', 'features'], data: '/data/ct', labels: '/data/labels.csv', folds: 3 }],
  cancelTraining: ['train-1'],
  listTrainingJobs: [],
  getTrainingHistory: ['train-2'],
  listRuns: [],
  listVersions: [],
  promoteVersion: ['v2'],
  predictStudies: [{ studyUids: ['1.2.3'] }],
  getSaliency: [{ imageId: 'ID_0a1b2c#2', label: 'subdural' }],
  listProblems: [],
};

const methods = Object.keys(SAMPLES) as EngineMethod[];

/** An EngineClient that records each call's method and arguments and answers with them. */
function recordingClient() {
  const calls: [string, unknown[]][] = [];
  const client = Object.fromEntries(ENGINE_METHODS.map((m) => [m, async (...args: unknown[]) => {
    calls.push([m, args]);
    return { method: m, args };
  }]));
  return { calls, client: { ...client, onEvent: () => () => undefined } as unknown as EngineClient };
}

describe('the method table covers every transport', () => {
  it('SAMPLES names every method of the table', () => {
    expect([...methods].sort()).toEqual([...ENGINE_METHODS].sort());
    expect([...IPC_ENGINE_METHODS].sort()).toEqual([...ENGINE_METHODS].sort());
  });

  it.each(methods)('%s: HTTP and IPC send one body, the router validates it, dispatch calls the method with the caller\'s arguments', async (method) => {
    const args = SAMPLES[method] as unknown[];
    const body = JSON.parse(JSON.stringify(requestBody(method, args))) as unknown;
    const call = (c: object) => (c as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);

    // HTTP client: POST /api/<method>
    const fetched: { url: string; body: unknown }[] = [];
    const fetchFn = (async (url: Parameters<typeof fetch>[0], init?: RequestInit) => {
      fetched.push({ url: String(url), body: JSON.parse(String(init?.body)) });
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    await call(new HttpEngineClient({ token: 't', baseUrl: 'http://127.0.0.1:9000/', fetch: fetchFn }));
    expect(fetched).toEqual([{ url: `http://127.0.0.1:9000/api/${method}`, body }]);

    // Preload (window.ich) and the renderer's IPC client over it, into the IPC router, into the engine's dispatch.
    const engine = recordingClient();
    const handlers = new Map<string, (e: unknown, ...a: unknown[]) => Promise<unknown>>();
    registerIpcRouter({ handle: (c, l) => void handlers.set(c, l as never), removeHandler: (c) => void handlers.delete(c) }, {
      callEngine: (m, b) => dispatch(engine.client, m, b),
      openFolder: async () => null,
    });
    const sent: unknown[] = [];
    const ipc: IpcRendererPort = {
      invoke: async (channel: string, ...a: unknown[]) => {
        sent.push(JSON.parse(JSON.stringify(a[0])));
        return handlers.get(channel)!({ senderFrame: { url: 'app://ich/index.html' } }, ...a);
      },
      on: () => ipc,
      removeListener: () => ipc,
    } as unknown as IpcRendererPort;
    expect(handlers.has(channelOf(method))).toBe(true);
    const value = await call(createIpcEngineClient(createDesktopApi(ipc)));
    expect(sent).toEqual([body]);
    expect(engine.calls).toEqual([[method, args]]);
    expect(value).toEqual({ method, args });

    // The engine process: a request message by method name, answered with the client's value.
    const served = recordingClient();
    const port = Object.assign(new EventEmitter(), { postMessage: vi.fn<(m: FromEngine) => void>() });
    serveEngine(served.client, () => null, port);
    port.emit('message', { data: { type: 'request', id: 7, method, body } });
    await vi.waitFor(() => expect(port.postMessage).toHaveBeenCalledWith({ type: 'response', id: 7, ok: true, value: { method, args } }));
  });
});
