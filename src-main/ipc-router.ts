// The IPC router of the main process: every request from a renderer is checked before it reaches the
// engine. Refused with one line: a sender frame that is not the app's own page (app://ich), an unknown
// method, extra arguments, a body the contract's validator rejects (src-shared/engine-methods.ts
// validateRequest). What passes goes to the engine host as the validated body (never the raw one).
import { isEngineMethod, validateRequest } from '../src-shared/engine-methods.ts';
import { EngineError } from '../src-shared/engine-validate.ts';
import type { IpcInvokeEventPort, IpcMainPort } from './electron-port.ts';
import { channelOf, IPC_METHODS, OPEN_FOLDER_METHOD, type IpcResult, type OpenFolderResult } from './ipc-contract.ts';
import { isAppUrl } from './security.ts';

export interface RouterDeps {
  /** Forwards a validated EngineClient call to the engine host. */
  callEngine: (method: string, body: unknown) => Promise<unknown>;
  /** Shows the native folder dialog and starts indexing the chosen folder. */
  openFolder: () => Promise<OpenFolderResult>;
}

const refused = (message: string): IpcResult => ({ ok: false, error: { code: 'refused', message } });

function toResult(err: unknown): IpcResult {
  if (err instanceof EngineError) return { ok: false, error: { code: err.code, message: err.message } };
  const line = err instanceof Error ? err.message : String(err);
  return { ok: false, error: { code: 'internal', message: `internal error: ${line.split('\n')[0]}` } };
}

/** Handles one request: `args` are what the renderer passed to invoke after the channel. */
export async function routeRequest(deps: RouterDeps, method: string, event: IpcInvokeEventPort, args: unknown[]): Promise<IpcResult> {
  const frameUrl = event.senderFrame?.url;
  if (!frameUrl || !isAppUrl(frameUrl)) return refused(`${method.slice(0, 64)}: refused, the request did not come from the app's own page`);
  if (args.length > 1) return refused(`${method.slice(0, 64)}: refused, one request body expected, got ${args.length} arguments`);
  try {
    if (method === OPEN_FOLDER_METHOD) {
      validateNoFields(args[0]);
      return { ok: true, value: await deps.openFolder() };
    }
    if (!isEngineMethod(method)) return refused(`unknown method "${method.slice(0, 64)}"`);
    const body = validateRequest(method, args[0]);
    return { ok: true, value: await deps.callEngine(method, body) };
  } catch (err) {
    return toResult(err);
  }
}

function validateNoFields(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length > 0) {
    throw new EngineError('invalid', `${OPEN_FOLDER_METHOD}: takes no parameters`);
  }
}

/** Registers one handler per method channel; returns the function that removes them. */
export function registerIpcRouter(ipcMain: IpcMainPort, deps: RouterDeps): () => void {
  for (const method of IPC_METHODS) {
    ipcMain.handle(channelOf(method), (event, ...args) => routeRequest(deps, method, event, args));
  }
  return () => {
    for (const method of IPC_METHODS) ipcMain.removeHandler(channelOf(method));
  };
}
