// The object the preload exposes as `window.ich`: exactly the EngineClient methods (the engine contract's
// list, src-ml/api/engine.ts ENGINE_METHODS), onEvent and openFolderDialog, each one ipcRenderer.invoke on its
// own channel. Nothing else of Electron or Node reaches the page. Written against the IpcRendererPort so it is
// tested without Electron.
import type { EngineEvent } from '../src-ml/api/engine.ts';
import type { IpcRendererPort } from './electron-port.ts';
import {
  channelOf, EVENT_CHANNEL, IPC_ENGINE_METHODS, OPEN_FOLDER_METHOD, type IchDesktopApi, type IpcMethod, type IpcResult,
} from './ipc-contract.ts';

const none = () => ({});
const one = (field: string) => (value: unknown) => ({ [field]: value });
const spread = (value: unknown) => ({ ...((value ?? {}) as object) });

/**
 * The request body of each method from its EngineClient arguments (as the HTTP client sends them). A test
 * checks every method of the engine contract has one; the main process validates whatever arrives anyway.
 */
export const REQUEST_BODIES: Readonly<Record<string, (...args: unknown[]) => object>> = {
  info: none,
  listStudies: spread,
  getSeriesList: one('studyUid'),
  getSeries: one('seriesUid'),
  getPredictions: one('seriesUid'),
  getSliceDetail: one('imageId'),
  addFolder: one('path'),
  listJobs: none,
  startTraining: spread,
  cancelTraining: one('jobId'),
  listTrainingJobs: none,
  getTrainingHistory: one('jobId'),
  listRuns: none,
  listVersions: none,
  promoteVersion: one('version'),
  predictStudies: spread,
  [OPEN_FOLDER_METHOD]: none,
};

function isResult(v: unknown): v is IpcResult {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

export function createDesktopApi(ipc: IpcRendererPort): IchDesktopApi {
  const call = async (method: IpcMethod, args: unknown[]): Promise<unknown> => {
    const bodyOf = REQUEST_BODIES[method];
    if (!bodyOf) throw new Error(`${method}: not supported by this version of the desktop app`);
    const r = await ipc.invoke(channelOf(method), bodyOf(...args));
    if (!isResult(r)) throw new Error(`${method}: malformed reply from the main process`);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const api: Record<string, unknown> = {};
  for (const method of [...IPC_ENGINE_METHODS, OPEN_FOLDER_METHOD] as IpcMethod[]) {
    api[method] = (...args: unknown[]) => call(method, args);
  }
  api.onEvent = (listener: (e: EngineEvent) => void) => {
    const handler = (_event: unknown, ...args: unknown[]) => listener(args[0] as EngineEvent);
    ipc.on(EVENT_CHANNEL, handler);
    return () => {
      ipc.removeListener(EVENT_CHANNEL, handler);
    };
  };
  return api as unknown as IchDesktopApi;
}
