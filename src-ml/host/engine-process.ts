// The engine host process of the desktop app: an EngineService over one workspace, behind the message port
// of an Electron utility process (see engine-process-protocol.ts). Plain Node: no Electron import; the
// port is whatever `process.parentPort` is (or a fake in tests). Started through engine-process-entry.cjs,
// which registers tsx first, as bin/ich.js does for the CLI.
import { EngineError, type EngineClient } from '../api/engine.ts';
import { errorMessage } from '../base/errors.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { INDEX_FILE, Workspace } from '../store/workspace.ts';
import { indexedFileRecordLookup, type IndexedFile } from './indexed-files.ts';
import { dispatch } from './dispatch.ts';
import { EngineService } from './engine-service.ts';
import type { FromEngine, JobFromEngine, ToEngine } from './engine-process-protocol.ts';
import { relayJobLauncher } from './job-relay-launcher.ts';

/** Electron's process.parentPort: incoming messages arrive as `{ data }`. */
export interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: FromEngine | JobFromEngine): void;
}

/** Where the desktop app serves an image's bytes (src-main's app:// protocol handler, same origin as the page). */
export const desktopDicomUrl = (imageId: string): string => `/dicom/${encodeURIComponent(imageId)}`;

function failure(err: unknown): { code: 'invalid' | 'not_found' | 'internal'; message: string } {
  if (err instanceof EngineError) return { code: err.code, message: err.message };
  return { code: 'internal', message: `internal error: ${errorMessage(err)}` };
}

function isMessage(m: unknown): m is ToEngine {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (!Number.isSafeInteger(o.id)) return false;
  return (o.type === 'request' && typeof o.method === 'string') || (o.type === 'file' && typeof o.imageId === 'string');
}

/** Answers requests arriving on `port` with `client`; forwards the client's events. Returns the unsubscribe. */
export function serveEngine(client: EngineClient, fileOf: (imageId: string) => string | IndexedFile | null, port: ParentPortLike): () => void {
  const unsubscribe = client.onEvent((event) => port.postMessage({ type: 'event', event }));
  port.on('message', ({ data }) => {
    // The only sender is our own main process; a malformed message is a bug there, answered if it has an id.
    if (!isMessage(data)) {
      const id = (data as { id?: unknown } | null)?.id;
      if (Number.isSafeInteger(id)) port.postMessage({ type: 'response', id: id as number, ok: false, error: { code: 'invalid', message: 'malformed engine message' } });
      return;
    }
    const work = data.type === 'request'
      ? dispatch(client, data.method, data.body)
      : Promise.resolve().then(() => {
        const file = fileOf(data.imageId);
        if (file === null) throw new EngineError('not_found', `no image ${data.imageId} in the workspace`);
        // The indexed record (path, size, mtime, identity): the main process checks the file it opens against it.
        return typeof file === 'string' ? { path: file } : file;
      });
    work.then(
      (value) => port.postMessage({ type: 'response', id: data.id, ok: true, value }),
      (err: unknown) => port.postMessage({ type: 'response', id: data.id, ok: false, error: failure(err) }),
    );
  });
  return unsubscribe;
}

/** The value of `--name VALUE` in the process arguments (`--workspace`, `--install-demo`), or null. */
export function argValue(argv: readonly string[], name: string): string | null {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  return v && !v.startsWith('--') ? v : null;
}

export const workspaceArg = (argv: readonly string[]): string | null => argValue(argv, '--workspace');

/**
 * Opens the workspace and serves it; on failure reports one line and exits 1 (the main process decides what
 * next). With `--install-demo BUNDLE` and no workspace at `--workspace` yet, installs the demo bundle there first.
 */
export async function runEngineProcess(argv: readonly string[], port: ParentPortLike | undefined): Promise<void> {
  if (!port) {
    process.stderr.write('engine-process: no parent port (start it with Electron utilityProcess.fork)\n');
    process.exit(2);
  }
  const dir = workspaceArg(argv);
  let ws: Workspace;
  try {
    if (!dir) throw new Error('engine-process: --workspace DIR is required');
    const bundle = argValue(argv, '--install-demo');
    if (bundle && !existsSync(path.join(dir, INDEX_FILE))) {
      // Loaded only here: the demo code pulls in the predictor.
      const { installDemo } = await import('../demo/demo-bundle.ts');
      installDemo(bundle, dir);
    }
    ws = Workspace.open(dir);
  } catch (err) {
    port.postMessage({ type: 'fatal', message: `cannot open the workspace ${dir ?? ''}: ${errorMessage(err)}` });
    setTimeout(() => process.exit(1), 50);
    return;
  }
  // Under Electron the jobs are utility processes the main process forks (process.execPath is the app, and the
  // packaged app cannot run as Node); under plain Node (the tests' stand-in for a utility process) a Node child.
  const service = new EngineService(ws, { dicomUrl: desktopDicomUrl, ...(process.versions.electron ? { jobLauncher: relayJobLauncher(port) } : {}) });
  serveEngine(service, indexedFileRecordLookup(ws), port);
  port.postMessage({ type: 'ready', workspace: ws.dir });
}
