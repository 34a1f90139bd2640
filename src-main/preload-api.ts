// The object the preload exposes as `window.ich`: exactly the EngineClient methods, onEvent and
// openFolderDialog, each one ipcRenderer.invoke on its own channel. Nothing else of Electron or Node
// reaches the page. Written against the IpcRendererPort so it is tested without Electron.
import type { EngineEvent, StudyQuery } from '../src-ml/api/engine.ts';
import type { IpcRendererPort } from './electron-port.ts';
import { channelOf, EVENT_CHANNEL, type IchDesktopApi, type IpcMethod, type IpcResult, type OpenFolderResult } from './ipc-contract.ts';

function isResult(v: unknown): v is IpcResult {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

export function createDesktopApi(ipc: IpcRendererPort): IchDesktopApi {
  const call = async <T>(method: IpcMethod, body: object): Promise<T> => {
    const r = await ipc.invoke(channelOf(method), body);
    if (!isResult(r)) throw new Error(`${method}: malformed reply from the main process`);
    if (!r.ok) throw new Error(r.error.message);
    return r.value as T;
  };
  const api: IchDesktopApi = {
    info: () => call('info', {}),
    listStudies: (query: StudyQuery = {}) => call('listStudies', { ...query }),
    getSeriesList: (studyUid: string) => call('getSeriesList', { studyUid }),
    getSeries: (seriesUid: string) => call('getSeries', { seriesUid }),
    getPredictions: (seriesUid: string) => call('getPredictions', { seriesUid }),
    getSliceDetail: (imageId: string) => call('getSliceDetail', { imageId }),
    addFolder: (path: string) => call('addFolder', { path }),
    listJobs: () => call('listJobs', {}),
    openFolderDialog: () => call<OpenFolderResult>('openFolderDialog', {}),
    onEvent: (listener: (e: EngineEvent) => void) => {
      const handler = (_event: unknown, ...args: unknown[]) => listener(args[0] as EngineEvent);
      ipc.on(EVENT_CHANNEL, handler);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, handler);
      };
    },
  };
  return api;
}
