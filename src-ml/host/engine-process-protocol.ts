// The messages between the Electron main process and the engine host process (engine-process.ts), carried
// by the utility process's message port as structured clones. Types and constants only: the main process imports them.
// A request carries any method of the contract's table (src-shared/engine-methods.ts) by name: a new method
// needs nothing here.
import type { EngineEvent } from '../../src-shared/engine.ts';
import type { EngineErrorCode } from '../../src-shared/engine-validate.ts';

/** main -> engine */
export type ToEngine =
  /** One EngineClient call; the main process has validated `body` already, the engine validates it again. */
  | { type: 'request'; id: number; method: string; body: unknown }
  /** The file of an indexed image, for the DICOM protocol handler (not reachable from the renderer). */
  | { type: 'file'; id: number; imageId: string };

export interface EngineFailure {
  code: EngineErrorCode;
  /** One line. */
  message: string;
}

/** engine -> main */
export type FromEngine =
  | { type: 'ready'; workspace: string }
  | { type: 'response'; id: number; ok: true; value: unknown }
  | { type: 'response'; id: number; ok: false; error: EngineFailure }
  | { type: 'event'; event: EngineEvent }
  /** The engine could not start (the workspace would not open): one line, then it exits. */
  | { type: 'fatal'; message: string };

// Jobs (`ich pipeline`, `ich predict`) in the desktop app: a utility process cannot fork one, and
// process.execPath is the app binary there, so the engine asks the main process, which checks the command
// line (src-main/job-relay.ts), forks src-ml/host/job-process-entry.cjs and relays its output and exit.
// These travel on the same port beside ToEngine/FromEngine (no `id`: the request/response side ignores them).

/** The `ich` commands the engine may run as jobs; the main process forks nothing else. */
export const JOB_COMMANDS = ['pipeline', 'predict'] as const;

/** engine -> main */
export type JobFromEngine =
  /** Run `ich <args>` (args[0] one of JOB_COMMANDS); `jobId` is the engine's, unique per engine process. */
  | { type: 'job-start'; jobId: number; args: string[] }
  /** interrupt: stop between steps keeping committed work (Ctrl-C); kill: stop now. */
  | { type: 'job-signal'; jobId: number; signal: 'interrupt' | 'kill' };

/** main -> engine */
export type JobToEngine =
  /** A piece of the job's stdout or stderr, decoded as UTF-8 (not split inside a character). */
  | { type: 'job-output'; jobId: number; stream: 'stdout' | 'stderr'; data: string }
  /** The job ended (after its last output); `error`: it could not start or was refused, one line. */
  | { type: 'job-exit'; jobId: number; code: number | null; error?: string };

/** main -> job process (job-process-entry.cjs): stop between steps, as Ctrl-C does. */
export interface JobCancel {
  type: 'cancel';
}
