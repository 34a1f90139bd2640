// Predictions from the app: `ich predict --missing|--studies ... --events` in a child process (TensorFlow.js
// and its memory stay out of the engine host), its progress lines turned into callbacks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ICH_BIN } from './training-jobs.ts';

export interface PredictChildOptions {
  workspace: string;
  /** Studies to predict; omitted: every indexed CT study slice still without a prediction. */
  studyUids?: readonly string[];
  signal: AbortSignal;
  onProgress: (done: number, total: number, what: string) => void;
  /** Tests start the child their own way. */
  spawnChild?: (args: string[]) => ChildProcess;
}

export function predictArgs(workspace: string, studyUids?: readonly string[]): string[] {
  return ['predict', '--workspace', workspace, '--events', '--no-progress', ...(studyUids ? ['--studies', studyUids.join(',')] : ['--missing'])];
}

/** Runs the child to its end; resolves with the images it predicted, rejects with its last error line. */
export function runPredictChild(o: PredictChildOptions): Promise<{ images: number }> {
  const args = predictArgs(o.workspace, o.studyUids);
  const child = o.spawnChild
    ? o.spawnChild(args)
    : spawn(process.execPath, [ICH_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  return new Promise((resolve, reject) => {
    let images = 0;
    let lastError = '';
    const kill = (): void => {
      child.kill('SIGINT');
    };
    o.signal.addEventListener('abort', kill, { once: true });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const e = JSON.parse(line) as { type?: string; done?: number; total?: number; what?: string; images?: number };
        if (e.type === 'predict') o.onProgress(Number(e.done), Number(e.total), String(e.what ?? ''));
        else if (typeof e.images === 'number') images = e.images;
      } catch {
        // not a JSON line: ignore
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.startsWith('ich: ')) lastError = line.slice(5);
    });
    child.once('error', (err) => reject(err));
    // 'close' comes after the last stdout line was read (the summary with the image count).
    child.once('close', (code) => {
      o.signal.removeEventListener('abort', kill);
      if (code === 0) resolve({ images });
      else reject(new Error(o.signal.aborted ? 'cancelled' : lastError || `ich predict exited with code ${code}`));
    });
  });
}
