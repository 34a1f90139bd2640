// How the engine host starts its long jobs (`ich pipeline`, `ich predict`): a separate process per job, so
// tfjs, its memory and a native crash stay out of the host. Two implementations of one small interface:
// under plain Node (`ich serve`, tests) a child of the Node binary running bin/ich.js (nodeJobLauncher);
// under Electron the main process forks a utility process for it (job-relay-launcher.ts), because there
// process.execPath is the app itself and the packaged app's fuses ignore ELECTRON_RUN_AS_NODE.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ICH_BIN = path.join(REPO_ROOT, 'bin', 'ich.js');

/**
 * A started job: the part of ChildProcess the hosts use, so a Node child is one as it is. `kill('SIGINT')`
 * asks the job to stop between steps, keeping what it committed (Ctrl-C); any other signal stops it now.
 * 'close' comes once, after the last output was read; 'error' (a job that could not start) comes before it.
 */
export interface JobHandle {
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'close', listener: (code: number | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

/** Starts `ich <args>` as a job (args[0] is the command). */
export type JobLauncher = (args: string[]) => JobHandle;

/** `node bin/ich.js <args>`: the plain-Node hosts' launcher. */
export const nodeJobLauncher: JobLauncher = (args) => spawn(process.execPath, [ICH_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
