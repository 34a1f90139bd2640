/**
 * A base-CNN training batch: its slices decoded (SliceImages), augmented with parameters drawn in batch
 * order, packed as x (n x size x size) and y (n x 6). The one filling routine that both the main thread's
 * inline maker (here) and the prefetch worker (batch-prefetch-worker.ts) run, so the two give the same bytes.
 */
import type { Rng } from '../base/random.ts';
import { applyAugment, sampleAugment, type AugmentConfig, type AugmentParams } from './augment.ts';
import type { SliceImages, SliceRef } from './slice-images.ts';

/** One image of a batch: the slice and its six labels. */
export interface BatchItem extends SliceRef {
  labels: readonly number[];
}

export interface PackedBatch {
  /** n x size x size HU pixels. */
  x: Float32Array;
  /** n x 6 labels. */
  y: Float32Array;
  n: number;
}

/** The epoch's augmentation: its config and its seeded stream, drawn image by image in batch order. */
export interface EpochAugment {
  cfg: AugmentConfig;
  rng: Rng;
}

/**
 * Makes one epoch's batches; a maker lives as long as the run (its caches, its worker).
 * `epoch` returns the batches by index, asked for in order 0, 1, ... (the augmentation stream is drawn in that order).
 */
export interface BatchMaker {
  epoch(batches: number, itemsOf: (b: number) => BatchItem[], augment: EpochAugment | null): (b: number) => Promise<PackedBatch>;
  dispose(): void;
}

/**
 * One turn of the event loop. A step loop whose batches are ready (cached slices, or a prefetch worker's replies,
 * which Node delivers in one long drain of the port while each reply's microtasks run the next step) would
 * otherwise never yield: Ctrl-C's abort, timers and log writes would wait for the end of the epoch.
 */
export const loopTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The augmentation parameters of `n` images, drawn from the epoch's stream (null without augmentation). */
export function drawParams(n: number, augment: EpochAugment | null): AugmentParams[] | null {
  if (!augment) return null;
  const out: AugmentParams[] = [];
  for (let i = 0; i < n; i++) out.push(sampleAugment(augment.cfg, augment.rng));
  return out;
}

/** Decodes and augments `items` into x and y (at least items.length images long). */
export async function fillBatch(images: SliceImages, items: readonly BatchItem[], params: readonly AugmentParams[] | null, x: Float32Array, y: Float32Array): Promise<void> {
  const size = images.size;
  const px = size * size;
  for (let i = 0; i < items.length; i++) {
    const src = await images.get(items[i]!);
    const dst = x.subarray(i * px, (i + 1) * px);
    if (params) applyAugment(src, size, params[i]!, dst);
    else dst.set(src);
    y.set(items[i]!.labels, i * 6);
  }
}

/** The synchronous maker: every batch made on the calling thread when asked for, in buffers reused batch to batch. */
export function inlineBatchMaker(images: SliceImages): BatchMaker {
  const px = images.size * images.size;
  let x = new Float32Array(0);
  let y = new Float32Array(0);
  return {
    epoch: (_batches, itemsOf, augment) => async (b) => {
      const items = itemsOf(b);
      const n = items.length;
      if (x.length < n * px) {
        x = new Float32Array(n * px);
        y = new Float32Array(n * 6);
      }
      await fillBatch(images, items, drawParams(n, augment), x, y);
      await loopTurn();
      return { x: x.subarray(0, n * px), y: y.subarray(0, n * 6), n };
    },
    dispose: () => {},
  };
}
