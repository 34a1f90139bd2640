// The worker side of worker-pool.ts: a job module calls serveJobs(handler) at its top level; inside a
// pool worker it answers the pool's messages, elsewhere (imported on the main thread) it does nothing.
import { isMainThread, parentPort } from 'node:worker_threads';

export function serveJobs<J, R>(handler: (job: J) => Promise<R>): void {
  if (isMainThread || !parentPort) return;
  const port = parentPort;
  port.on('message', async ({ id, job }: { id: number; job: J }) => {
    try {
      port.postMessage({ id, result: await handler(job) });
    } catch (err) {
      port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
