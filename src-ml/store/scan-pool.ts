// Runs scanFile on worker threads, keeping a few files in flight per worker; falls back to the
// calling thread when workers are not worth starting (small scans) or cannot start.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScannedFile } from './index-writer.ts';
import { scanFile } from './scan-file.ts';
import type { ScanJob } from './scan-worker.ts';

export interface FileToScan {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface ScanPool {
  /** Scans files in order of submission; results may arrive out of order. */
  run(files: FileToScan[], onResult: (f: ScannedFile) => void, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Worker count: one per core, at most 4; ICH_SCAN_WORKERS overrides (0 = scan on the calling thread). */
export function defaultWorkerCount(): number {
  const env = process.env.ICH_SCAN_WORKERS;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.min(4, availableParallelism());
}

const IN_FLIGHT_PER_WORKER = 4;

function inlinePool(): ScanPool {
  return {
    async run(files, onResult, signal) {
      let last = Date.now();
      for (const f of files) {
        if (signal?.aborted) return;
        onResult(await scanFile(f.path, f.size, f.mtimeMs));
        if (Date.now() - last > 200) {
          await new Promise((r) => setImmediate(r)); // let signals and timers through
          last = Date.now();
        }
      }
    },
    close: async () => {},
  };
}

const WORKER_ENTRY = new URL('./scan-worker-entry.js', import.meta.url);

function workerPool(count: number): ScanPool {
  const workers: Worker[] = [];
  return {
    run(files, onResult, signal) {
      return new Promise<void>((resolve) => {
        let next = 0;
        let done = false;
        /** Jobs each worker holds, by id: reported as problems if that worker dies. */
        const held = new Map<Worker, Map<number, FileToScan>>();
        const inFlight = () => [...held.values()].reduce((n, m) => n + m.size, 0);
        const finishIfIdle = () => {
          if (!done && inFlight() === 0 && (next >= files.length || signal?.aborted)) {
            done = true;
            resolve();
          }
        };
        const dispatch = (w: Worker) => {
          const mine = held.get(w)!;
          while (!signal?.aborted && next < files.length && mine.size < IN_FLIGHT_PER_WORKER) {
            const id = next++;
            const f = files[id]!;
            mine.set(id, f);
            w.postMessage({ id, path: f.path, size: f.size, mtimeMs: f.mtimeMs } satisfies ScanJob);
          }
          finishIfIdle();
        };
        const start = (): Worker => {
          const w = new Worker(WORKER_ENTRY);
          workers.push(w);
          held.set(w, new Map());
          w.on('message', (msg: { id: number; scanned?: ScannedFile; error?: string }) => {
            const job = held.get(w)!.get(msg.id);
            if (!job) return;
            held.get(w)!.delete(msg.id);
            onResult(msg.scanned ?? { ...job, result: { problem: { kind: 'unreadable', message: msg.error ?? 'worker failed' } } });
            dispatch(w);
          });
          // A worker that dies (out of memory in a codec, say) costs only the files it held.
          w.on('error', (err) => {
            const lost = held.get(w)!;
            held.delete(w);
            for (const job of lost.values()) onResult({ ...job, result: { problem: { kind: 'unreadable', message: `reader crashed: ${err.message}` } } });
            if (!done) dispatch(start());
          });
          return w;
        };
        for (let i = 0; i < count; i++) dispatch(start());
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** A pool sized for `fileCount` files: no workers for a handful of files, where start-up costs more than it saves. */
export function createScanPool(fileCount: number): ScanPool {
  const count = Math.min(defaultWorkerCount(), Math.floor(fileCount / 32));
  if (count < 1) return inlinePool();
  try {
    return workerPool(count);
  } catch {
    return inlinePool();
  }
}
