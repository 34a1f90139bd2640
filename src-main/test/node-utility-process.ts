// Electron's utilityProcess.fork played by a Node child (child_process.fork with the parentPort shim), for the
// integration tests of the engine host and the job relay, which run without the Electron binary.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import type { UtilityProcessPort } from '../electron-port.ts';

const shim = new URL('./parent-port-shim.mjs', import.meta.url).href;

/** The child and its UtilityProcessPort view; `pipe` gives the port stdout/stderr as utilityProcess's stdio 'pipe' does. */
export function forkUtilityProcess(entry: string, args: string[], opts: { pipe?: boolean } = {}): { child: ChildProcess; port: UtilityProcessPort } {
  const out = opts.pipe ? 'pipe' : 'inherit';
  const cp = fork(entry, args, { execArgv: ['--import', shim], stdio: ['ignore', out, out, 'ipc'] });
  const port = {
    get pid() { return cp.pid; },
    ...(opts.pipe ? { stdout: cp.stdout, stderr: cp.stderr } : {}),
    postMessage: (m: unknown) => void cp.send(m as object),
    on(event: string, l: (x: unknown) => void) {
      if (event === 'message') cp.on('message', l);
      // Electron reports a killed utility process with an exit code; Node gives the signal instead.
      else cp.on('exit', (code, signal) => l(code ?? (signal ? 128 + os.constants.signals[signal] : 1)));
      return port;
    },
    kill: () => cp.kill(),
  };
  return { child: cp, port: port as unknown as UtilityProcessPort };
}

/** SIGKILL for a child still running (test teardown). */
export function killIfRunning(cp: ChildProcess): void {
  if (cp.exitCode === null && cp.signalCode === null) cp.kill('SIGKILL');
}
