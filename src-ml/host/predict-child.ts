// Predictions from the app: `ich predict --missing|--studies ... --events` in a child process (TensorFlow.js
// and its memory stay out of the engine host), its progress lines turned into callbacks.
import { createInterface } from 'node:readline';
import { nodeJobLauncher, type JobLauncher } from './job-launcher.ts';

export interface PredictChildOptions {
  workspace: string;
  /** Studies to predict; omitted: every indexed CT study slice still without a prediction. */
  studyUids?: readonly string[];
  signal: AbortSignal;
  onProgress: (done: number, total: number, what: string) => void;
  /** Starts the `ich predict` job (default: a Node child; the desktop app's engine and tests pass their own). */
  spawnChild?: JobLauncher;
}

export function predictArgs(workspace: string, studyUids?: readonly string[]): string[] {
  return ['predict', '--workspace', workspace, '--events', '--no-progress', ...(studyUids ? ['--studies', studyUids.join(',')] : ['--missing'])];
}

/** Runs the child to its end; resolves with the images it predicted, rejects with its last error line. */
export function runPredictChild(o: PredictChildOptions): Promise<{ images: number }> {
  const args = predictArgs(o.workspace, o.studyUids);
  const child = (o.spawnChild ?? nodeJobLauncher)(args);
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
