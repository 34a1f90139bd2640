// The messages between the Electron main process and the engine host process (engine-process.ts), carried
// by the utility process's message port as structured clones. Types only: the main process imports them.
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
