/**
 * The TTA pass of a trained base model over a chunk of images (docs/seed-pipeline.md section 3, "Feature /
 * prediction extraction"): K copies of each image, each with its own seeded transform, through the feature
 * model; the pooled feature vectors and the logits come back image-major (rows K*i .. K*i+K-1 = image i).
 * The training stage (train/feature-stage.ts) writes them to features/; ich predict uses them in memory.
 */
import type * as tf from '@tensorflow/tfjs';
import { createRng } from '../base/random.ts';
import { applyAugment, sampleAugment } from '../data/augment.ts';
import type { augmentConfigOf, TtaAugmentName } from '../data/augment-presets.ts';
import type { SliceImages, SliceRef } from '../data/slice-images.ts';
import type { BaseCnnArch } from '../models/base-cnn-presets.ts';
import { buildBaseCnn, featureSizeOf } from '../models/base-cnn.ts';
import { loadModel } from '../nn/model-io.ts';
import { modelDirCache } from '../onnx/onnx-cache.ts';
import { createForward, type Forward, type ForwardDeps } from '../onnx/runtime-forward.ts';
import { readModelMeta } from './read-meta.ts';

/** meta.json of a trained base CNN (what inference reads of it). */
export interface BaseCnnMeta {
  archConfig: BaseCnnArch;
  imageSize: number;
  fold: number;
  nFolds?: number;
  features?: { trainCopies?: number; testCopies: number; augment: TtaAugmentName; batchSize: number } | null;
}

/**
 * The feature model (outputs: pooled features [B, F], logits [B, 6]) of the base CNN saved in `modelDir`.
 * It shares its layers with the train model built beside it: disposing it frees them all.
 */
export async function loadBaseFeatureModel(modelDir: string, meta?: BaseCnnMeta): Promise<tf.LayersModel> {
  const { model: loaded, meta: saved } = await loadModel<BaseCnnMeta>(modelDir);
  const m = meta ?? saved;
  const built = buildBaseCnn(m.archConfig, m.imageSize);
  try {
    built.trainModel.setWeights(loaded.getWeights());
  } catch (err) {
    built.trainModel.dispose();
    throw err;
  } finally {
    loaded.dispose();
  }
  return built.featureModel;
}

/**
 * A saved base CNN for inference: meta, feature size and a Forward of its feature model (outputs: pooled
 * features [B, F], logits [B, 6]) on ONNX Runtime, the graph cached beside the model. The tfjs feature model
 * is built only to export it or when the runtime fails.
 */
export async function openBaseCnn(modelDir: string, label: string, deps: ForwardDeps = {}): Promise<{ forward: Forward; meta: BaseCnnMeta; featureSize: number }> {
  const meta = await readModelMeta<BaseCnnMeta>(modelDir);
  const forward = await createForward({
    label, family: 'base-cnn', ownsModel: true, cache: modelDirCache(modelDir, 'base-cnn'),
    loadTfjs: () => loadBaseFeatureModel(modelDir, meta),
  }, deps);
  return { forward, meta, featureSize: featureSizeOf(meta.archConfig) };
}

/** Pooled features [F] of one all-black image (HU `hu` everywhere): the shallow NN's padding rows. */
export async function blackFeatures(forward: Forward, imageSize: number, hu: number): Promise<Float32Array> {
  const [features] = await forward.run([{ data: new Float32Array(imageSize * imageSize).fill(hu), dims: [1, imageSize, imageSize, 1] }]);
  return features!;
}

/** Features and logits of `refs`, K copies each, in image-major order (the feature stage and ich predict). */
export async function extractChunk(
  featureModel: Forward, images: SliceImages, refs: readonly SliceRef[], copies: number, tta: ReturnType<typeof augmentConfigOf>,
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
    const [f, l] = await featureModel.run([{ data: x.subarray(0, n * size * size), dims: [n, size, size, 1] }]);
    features.set(f!, at * featureSize);
    logits.set(l!, at * 6);
  }
  return { features, logits };
}

