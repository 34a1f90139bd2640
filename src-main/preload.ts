// The preload of the app window (sandboxed: bundled to out/main/preload.cjs by src-main/build.ts, with only
// `electron` left to require). Exposes `window.ich` (preload-api.ts) through the context bridge.
import type { ContextBridgePort, IpcRendererPort } from './electron-port.ts';
import { createDesktopApi } from './preload-api.ts';

// A sandboxed preload gets a CommonJS `require` that knows only a few modules, electron among them.
const { contextBridge, ipcRenderer } = (require as (id: string) => unknown)('electron') as {
  contextBridge: ContextBridgePort;
  ipcRenderer: IpcRendererPort;
};

contextBridge.exposeInMainWorld('ich', createDesktopApi(ipcRenderer));
