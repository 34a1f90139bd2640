/**
 * Batches made one ahead on a worker thread: while the main thread trains step b, the worker decodes and
 * augments batch b+1 (batch-prefetch-worker.ts), so the step loop only turns finished arrays into tensors.
 *
 * - Same bytes as the inline maker: the augmentation parameters are drawn here, on the main thread, in batch
 *   order, and sent with the request; the worker runs the same fillBatch.
 * - The worker keeps its own bounded cache of decoded training slices: the training images are only ever read
 *   by the batch maker and the validation images only by validation, so the two caches hold different slices
 *   and no pixels cross threads but the finished batch.
 * - A file that cannot be read gives the same warning line as inline (SliceImages in the worker), passed on
 *   with its batch. A worker that fails or stops rejects what is pending with one line; an aborted signal
 *   ends the worker and rejects with CancelledError. The worker keeps the process alive only while a batch
 *   is pending, so a maker that is never disposed cannot hang the process.
 *
 * ICH_PREFETCH=0 keeps the inline path, =1 forces the worker; by default the worker is used from 4 cores. On the
 * 2-core machines measured, the step loop's wait for batches fell 2-10x but epochs were no faster: the worker
 * competes for the second core with everything else (the wasm backend's and data-parallel workers).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../base/errors.ts';
import { CancelledError } from '../jobs/progress.ts';
import type { AugmentParams } from './augment.ts';
import type { BatchReply, BatchRequest, PrefetchWorkerData } from './batch-prefetch-worker.ts';
import type { SliceImages } from './slice-images.ts';
import { drawParams, inlineBatchMaker, loopTurn, type BatchItem, type BatchMaker, type EpochAugment, type PackedBatch } from './train-batch.ts';

const ENTRY = new URL('../jobs/worker-entry.js', import.meta.url);
const MODULE = new URL('./batch-prefetch-worker.ts', import.meta.url);

export interface PrefetchOptions {
  /** Model image size. */
  size: number;
  /** The worker's cache of decoded training slices, in bytes. */
  cacheBytes: number;
  /** Receives each unreadable-file line, once per file, as inline. */
  warn: (line: string) => void;
  signal?: AbortSignal;
}

/** Whether batches are made on a worker: ICH_PREFETCH=0/1, else from 4 cores. */
export function prefetchWanted(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): boolean {
  const v = env.ICH_PREFETCH;
  if (v === '0' || v === '1') return v === '1';
  return cores >= 4;
}

/** The run's batch maker: the prefetching one when wanted, else the inline one over `images`. */
export function createBatchMaker(images: SliceImages, opts: Omit<PrefetchOptions, 'size'>, prefetch = prefetchWanted()): BatchMaker {
  return prefetch ? new PrefetchBatchMaker({ ...opts, size: images.size }) : inlineBatchMaker(images);
}

interface Pending {
  resolve: (b: PackedBatch & { warnings: string[] }) => void;
  reject: (err: Error) => void;
}

export class PrefetchBatchMaker implements BatchMaker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing: Promise<number> | null = null;
  private readonly onAbort = (): void => this.fail(new CancelledError('training'));

  constructor(private readonly opts: PrefetchOptions) {
    const data: PrefetchWorkerData = { module: MODULE.href, size: opts.size, cacheBytes: opts.cacheBytes };
    // Started at once, so its start-up (tsx, the decoders) overlaps the run's own set-up.
    this.worker = new Worker(ENTRY, { workerData: data });
    this.worker.unref();
    this.worker.on('message', (msg: BatchReply) => this.settle(msg));
    this.worker.on('error', (err) => this.fail(new Error(`batch prefetch worker: ${errorMessage(err)}`)));
    this.worker.on('messageerror', (err) => this.fail(new Error(`batch prefetch worker: ${errorMessage(err)}`)));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`batch prefetch worker stopped (exit code ${code})`));
    });
    if (opts.signal?.aborted) this.onAbort();
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  epoch(batches: number, itemsOf: (b: number) => BatchItem[], augment: EpochAugment | null): (b: number) => Promise<PackedBatch> {
    const issued = new Map<number, Promise<PackedBatch & { warnings: string[] }>>();
    let next = 0;
    // Requests go out in batch order, each with its parameters drawn now, so the stream is consumed as inline.
    const issueThrough = (b: number): void => {
      for (; next <= b; next++) {
        const items = itemsOf(next);
        issued.set(next, this.request(items, drawParams(items.length, augment)));
      }
    };
    return async (b) => {
      if (b < next && !issued.has(b)) throw new Error(`batch ${b} was asked for twice: the prefetcher makes each batch once, in order`);
      issueThrough(Math.min(b + 1, batches - 1));
      const got = issued.get(b)!;
      issued.delete(b);
      const { x, y, n, warnings } = await got;
      for (const line of warnings) this.opts.warn(line);
      await loopTurn();
      // A Ctrl-C served in that turn stops here rather than after one more step.
      if (this.failure) throw this.failure;
      return { x, y, n };
    };
  }

  private request(items: BatchItem[], params: AugmentParams[] | null): Promise<PackedBatch & { warnings: string[] }> {
    const id = this.nextId++;
    const p = new Promise<PackedBatch & { warnings: string[] }>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.set(id, { resolve, reject });
      const req: BatchRequest = { id, items: items.map(({ imageId, path, frame, labels }) => ({ imageId, path, frame, labels: [...labels] })), params };
      this.worker.ref();
      this.worker.postMessage(req);
    });
    // A batch fetched ahead may never be asked for (a cancelled run): its rejection is not unhandled.
    p.catch(() => {});
    return p;
  }

  private settle(msg: BatchReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in msg) p.reject(new Error(msg.error));
    else p.resolve(msg);
  }

  /** Ends the worker and rejects every pending and later batch with `err`. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    void this.close();
  }

  /** Terminates the worker; resolves once it has exited. */
  close(): Promise<number> {
    if (!this.closing) {
      this.opts.signal?.removeEventListener('abort', this.onAbort);
      this.failure ??= new Error('batch prefetch worker closed');
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
      this.closing = this.worker.terminate();
    }
    return this.closing;
  }

  dispose(): void {
    void this.close();
  }
}
