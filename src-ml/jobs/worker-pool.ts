// Runs independent jobs on worker threads, a few in flight per worker, or on the calling thread when
// workers are not worth starting. A worker that dies costs only the jobs it held (reported through
// onLost); the pool starts a replacement and goes on.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface PoolOptions<J, R> {
  /** Module (a .ts file URL) whose `serveJobs` handler runs in each worker: see worker-serve.ts. */
  module: URL;
  /** The same handler, for running on the calling thread. */
  handler: (job: J) => Promise<R>;
  /** Worker threads; 0 runs every job on the calling thread. */
  workers: number;
  inFlightPerWorker?: number;
}

export interface Pool<J, R> {
  /** Runs jobs in order of submission; results may arrive out of order. Stops taking new jobs once signal aborts. */
  run(jobs: readonly J[], onResult: (result: R, job: J) => void, onLost: (job: J, reason: string) => void, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Worker threads for an engine job: one per core, at most 4; the given environment variable overrides (0 = none). */
export function workerCount(envVar: string): number {
  const env = process.env[envVar];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.min(4, availableParallelism());
}

const ENTRY = new URL('./worker-entry.js', import.meta.url);

export function createPool<J, R>(options: PoolOptions<J, R>): Pool<J, R> {
  return options.workers < 1 ? inlinePool(options.handler) : workerPool(options);
}

function inlinePool<J, R>(handler: (job: J) => Promise<R>): Pool<J, R> {
  return {
    async run(jobs, onResult, onLost, signal) {
      let last = Date.now();
      for (const job of jobs) {
        if (signal?.aborted) return;
        try {
          onResult(await handler(job), job);
        } catch (err) {
          onLost(job, err instanceof Error ? err.message : String(err));
        }
        if (Date.now() - last > 200) {
          await new Promise((r) => setImmediate(r)); // let signals and timers through
          last = Date.now();
        }
      }
    },
    close: async () => {},
  };
}

function workerPool<J, R>(options: PoolOptions<J, R>): Pool<J, R> {
  const depth = options.inFlightPerWorker ?? 4;
  const workers: Worker[] = [];
  return {
    run(jobs, onResult, onLost, signal) {
      return new Promise<void>((resolve) => {
        let next = 0;
        let done = false;
        /** Jobs each worker holds, by index: reported lost if that worker dies. */
        const held = new Map<Worker, Map<number, J>>();
        const finishIfIdle = () => {
          const busy = [...held.values()].some((m) => m.size > 0);
          if (!done && !busy && (next >= jobs.length || signal?.aborted)) {
            done = true;
            resolve();
          }
        };
        const dispatch = (w: Worker) => {
          const mine = held.get(w);
          while (mine && !signal?.aborted && next < jobs.length && mine.size < depth) {
            const id = next++;
            mine.set(id, jobs[id]!);
            w.postMessage({ id, job: jobs[id] });
          }
          finishIfIdle();
        };
        const start = (): Worker => {
          const w = new Worker(ENTRY, { workerData: { module: options.module.href } });
          workers.push(w);
          held.set(w, new Map());
          w.on('message', (msg: { id: number; result?: R; error?: string }) => {
            const mine = held.get(w);
            const job = mine?.get(msg.id);
            if (!mine || job === undefined) return;
            mine.delete(msg.id);
            if (msg.error !== undefined) onLost(job, msg.error);
            else onResult(msg.result as R, job);
            dispatch(w);
          });
          w.on('error', (err) => {
            const lost = held.get(w);
            held.delete(w);
            for (const job of lost?.values() ?? []) onLost(job, `worker crashed: ${err.message}`);
            if (!done) dispatch(start());
          });
          return w;
        };
        if (!jobs.length) return resolve();
        for (let i = 0; i < options.workers; i++) dispatch(start());
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
