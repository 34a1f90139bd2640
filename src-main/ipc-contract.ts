// The IPC contract between the preload and the main process: one channel per method, results as an
// envelope (so an error reaches the renderer as one clean line, not Electron's "Error invoking remote
// method ..." wrapping), and the shape of `window.ich`. No Node or Electron imports: the preload bundles
// it (with the contract's method table), and the renderer may import its types.
import { ENGINE_METHODS, type EngineClient, type EngineMethod } from '../src-shared/engine-methods.ts';
import type { EngineErrorCode } from '../src-shared/engine-validate.ts';

/** The EngineClient request methods: exactly the rows of the contract's table (src-shared/engine-methods.ts), one channel each. */
export const IPC_ENGINE_METHODS: readonly EngineMethod[] = ENGINE_METHODS;

export const OPEN_FOLDER_METHOD = 'openFolderDialog';
export type IpcMethod = EngineMethod | typeof OPEN_FOLDER_METHOD;

export const IPC_METHODS: readonly IpcMethod[] = [...IPC_ENGINE_METHODS, OPEN_FOLDER_METHOD];

/** The invoke channel of one method. */
export const channelOf = (method: IpcMethod): string => `ich:${method}`;

/** main -> renderer: engine events (JobEvent). */
export const EVENT_CHANNEL = 'ich:event';

export type IpcResult =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: EngineErrorCode | 'refused'; message: string } };

/** What the native folder dialog did: null when the user cancelled, else the scan job it started. */
export type OpenFolderResult = { path: string; jobId: string } | null;

/** `window.ich`: the EngineClient calls plus the native folder dialog. */
export interface IchDesktopApi extends EngineClient {
  openFolderDialog(): Promise<OpenFolderResult>;
}
