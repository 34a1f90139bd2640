// The object the preload exposes as `window.ich`: exactly the EngineClient methods (the rows of the contract's
// method table, src-shared/engine-methods.ts), onEvent and openFolderDialog, each one ipcRenderer.invoke on its
// own channel with the body the table makes from the call's arguments. Nothing else of Electron or Node reaches
// the page. Written against the IpcRendererPort so it is tested without Electron.
import type { EngineEvent } from '../src-shared/engine.ts';
import { ENGINE_METHODS, requestBody } from '../src-shared/engine-methods.ts';
import type { IpcRendererPort } from './electron-port.ts';
import { channelOf, EVENT_CHANNEL, OPEN_FOLDER_METHOD, type IchDesktopApi, type IpcMethod, type IpcResult } from './ipc-contract.ts';

/**
 * The request body of each method from its EngineClient arguments (the table's, as the HTTP client sends
 * them); openFolderDialog takes none. The main process validates whatever arrives anyway.
 */
export const REQUEST_BODIES: Readonly<Record<string, (...args: unknown[]) => object>> = Object.fromEntries([
  ...ENGINE_METHODS.map((m) => [m, (...args: unknown[]) => requestBody(m, args)] as const),
  [OPEN_FOLDER_METHOD, () => ({})],
]);

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
  for (const method of Object.keys(REQUEST_BODIES) as IpcMethod[]) {
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
