/**
 * The TTA pass of a trained base model over a chunk of images (docs/seed-pipeline.md section 3, "Feature /
 * prediction extraction"): K copies of each image, each with its own seeded transform, through the feature
 * model; the pooled feature vectors and the logits come back image-major (rows K*i .. K*i+K-1 = image i).
 * The training stage (train/feature-stage.ts) writes them to features/; ich predict uses them in memory.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../base/random.ts';
import { applyAugment, sampleAugment } from '../data/augment.ts';
import type { augmentConfigOf } from '../data/augment-presets.ts';
import type { SliceImages, SliceRef } from '../data/slice-images.ts';

/** Features and logits of `refs`, K copies each, in image-major order (the feature stage and ich predict). */
export async function extractChunk(
  featureModel: tf.LayersModel, images: SliceImages, refs: readonly SliceRef[], copies: number, tta: ReturnType<typeof augmentConfigOf>,
  modelId: string, batchSize: number, featureSize: number,
): Promise<{ features: Float32Array; logits: Float32Array }> {
  const size = images.size;
  const rows = refs.length * copies;
  const features = new Float32Array(rows * featureSize);
  const logits = new Float32Array(rows * 6);
  const x = new Float32Array(batchSize * size * size);
  for (let at = 0; at < rows; at += batchSize) {
    const n = Math.min(batchSize, rows - at);
    for (let j = 0; j < n; j++) {
      const row = at + j;
      const ref = refs[Math.floor(row / copies)]!;
      const copy = row % copies;
      const src = await images.get(ref);
      const dst = x.subarray(j * size * size, (j + 1) * size * size);
      // One seeded transform per (model, image, copy): the same rows on every re-run.
      if (tta) applyAugment(src, size, sampleAugment(tta, createRng(`${modelId}:tta:${ref.imageId}:${copy}`)), dst);
      else dst.set(src);
    }
    const [f, l] = tf.tidy(() => featureModel.predict(tf.tensor4d(x.subarray(0, n * size * size), [n, size, size, 1])) as tf.Tensor[]);
    features.set(await f!.data(), at * featureSize);
    logits.set(await l!.data(), at * 6);
    tf.dispose([f!, l!]);
  }
  return { features, logits };
}

