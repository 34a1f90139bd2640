// The EngineClient over Electron IPC, for the renderer inside the desktop app: wraps `window.ich`, which the
// preload (src-main/preload.ts) exposes with exactly the EngineClient methods, onEvent and openFolderDialog.
// Every method of window.ich is passed through (so methods the engine contract gains need no change here);
// failures become the same one-line EngineCallError the HTTP client throws.
import type { EngineClient } from '../../src-ml/api/engine.ts';
import type { IchDesktopApi } from '../../src-main/ipc-contract.ts';
import { EngineCallError } from './http-client.ts';

/** The preload's API when this page runs in the desktop app; null in a browser. */
export function desktopApi(w: object = window): IchDesktopApi | null {
  const api = (w as { ich?: unknown }).ich;
  return typeof api === 'object' && api !== null && typeof (api as { info?: unknown }).info === 'function' ? (api as IchDesktopApi) : null;
}

/** An EngineClient (plus openFolderDialog) over window.ich. */
export function createIpcEngineClient(api: IchDesktopApi): IchDesktopApi & EngineClient {
  const client: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(api)) {
    if (typeof fn !== 'function') continue;
    client[name] = name === 'onEvent'
      ? (listener: unknown) => fn(listener)
      : async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw new EngineCallError(name, null, err instanceof Error ? err.message : String(err));
        }
      };
  }
  return client as unknown as IchDesktopApi;
}
