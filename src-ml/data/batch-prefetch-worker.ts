// The prefetch worker of batch-prefetch.ts (started through jobs/worker-entry.js, which registers tsx):
// decodes and augments the batches the main thread asks for, one at a time in the order asked, with its
// own bounded cache of decoded training slices, and hands x and y back as transferred buffers.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../base/errors.ts';
import type { AugmentParams } from './augment.ts';
import { SliceImages } from './slice-images.ts';
import { fillBatch, type BatchItem } from './train-batch.ts';

export interface PrefetchWorkerData {
  module: string;
  size: number;
  cacheBytes: number;
}

export interface BatchRequest {
  id: number;
  items: BatchItem[];
  params: AugmentParams[] | null;
}

export type BatchReply =
  | { id: number; x: Float32Array; y: Float32Array; n: number; warnings: string[] }
  | { id: number; error: string };

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { size, cacheBytes } = workerData as PrefetchWorkerData;
  // SliceImages reports an unreadable file (and gives a zero image) through this callback; the lines go
  // back with the batch that met them, so requests run one after another.
  let warnings: string[] = [];
  const images = new SliceImages(size, cacheBytes, (line) => warnings.push(line));
  let queue = Promise.resolve();
  const serve = async ({ id, items, params }: BatchRequest): Promise<void> => {
    warnings = [];
    try {
      const n = items.length;
      const x = new Float32Array(n * size * size);
      const y = new Float32Array(n * 6);
      await fillBatch(images, items, params, x, y);
      const reply: BatchReply = { id, x, y, n, warnings };
      port.postMessage(reply, [x.buffer, y.buffer]);
    } catch (err) {
      port.postMessage({ id, error: errorMessage(err) } satisfies BatchReply);
    }
  };
  port.on('message', (req: BatchRequest) => {
    queue = queue.then(() => serve(req));
  });
}
