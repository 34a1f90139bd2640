/**
 * TTA feature extraction (docs/seed-pipeline.md section 3, "Feature / prediction extraction"): a trained base model
 * turns every indexed image into K augmented copies of its pooled feature vector and logits:
 * labelled ("train") images 4 copies, the others ("test") 8, each copy with its own seeded transform.
 * Written to features/<model-name>/<fold>/ as float32 .npy, image-major (rows K*i .. K*i+K-1 = image i):
 *   train.npy [N_train*K, F], train_logits.npy [N_train*K, 6], test.npy, test_logits.npy, ids.json.
 * Work goes in chunks saved under .parts/, so an interrupted extraction continues where it stopped.
 * The TTA pass over one chunk (extractChunk) lives in predict/tta-features.ts: ich predict runs it too, in memory.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../base/atomic-write.ts';
import { familyId } from '../base/model-id.ts';
import type { FeatureProgressEvent } from '../api/training.ts';
import { SliceImages } from '../data/slice-images.ts';
import { CancelledError } from '../jobs/progress.ts';
import type { BaseCnnArch } from '../models/base-cnn-presets.ts';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { loadModel } from '../nn/model-io.ts';
import { blackFeatures, extractChunk } from '../predict/tta-features.ts';
import { modelDirCache } from '../onnx/onnx-cache.ts';
import { createForward } from '../onnx/runtime-forward.ts';
import { readNpy, writeNpyAtomic, writeNpyPartsAtomic } from '../store/npy.ts';
import { getModel, labeledImages, unlabeledImages, upsertFeatureSet } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { augmentConfigOf } from '../data/augment-presets.ts';
import type { TtaAugmentName } from '../data/augment-presets.ts';

export const CHUNK_IMAGES = 256;
/** HU of the padding image whose features stand for "no slice" (raw 0 with the usual -1024 intercept). */
export const BLACK_HU = -1024;

export interface ExtractFeaturesOptions {
  ws: Workspace;
  modelId: string;
  trainCopies?: number;
  testCopies?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onEvent?: (e: FeatureProgressEvent) => void;
}

export interface FeatureSetResult {
  modelId: string;
  dir: string;
  featureSize: number;
  train: { images: number; copies: number };
  test: { images: number; copies: number };
}

interface BaseModelMeta {
  modelId: string;
  modelName: string;
  archConfig: BaseCnnArch;
  imageSize: number;
  fold: number;
  featureSize: number;
  features?: { trainCopies: number; testCopies: number; augment: TtaAugmentName; batchSize: number } | null;
}

export function featureDirOf(ws: Workspace, modelName: string, nFolds: number, fold: number): string {
  return path.join(ws.dir, 'features', familyId(modelName, nFolds), String(fold));
}

async function* readParts(files: readonly string[]): AsyncGenerator<Float32Array> {
  for (const f of files) yield (await readNpy(f)).data as Float32Array;
}

export async function extractFeatures(opts: ExtractFeaturesOptions): Promise<FeatureSetResult> {
  const { ws, modelId } = opts;
  const record = getModel(ws, modelId);
  if (!record) throw new Error(`no model ${modelId} in ${ws.dir} (see ich runs)`);
  const modelDir = path.join(ws.dir, 'models', modelId);
  const { model: loaded, meta } = await loadModel<BaseModelMeta>(modelDir);
  const built = buildBaseCnn(meta.archConfig, meta.imageSize);
  built.trainModel.setWeights(loaded.getWeights());
  loaded.dispose();
  // Inference on ONNX Runtime where it works (the graph cached beside the model), else on this tfjs model.
  const forward = await createForward({ label: modelId, family: 'base-cnn', loadTfjs: () => built.featureModel, ownsModel: false, cache: modelDirCache(modelDir, 'base-cnn') });
  const trainCopies = opts.trainCopies ?? meta.features?.trainCopies ?? 4;
  const testCopies = opts.testCopies ?? meta.features?.testCopies ?? 8;
  const batchSize = opts.batchSize ?? meta.features?.batchSize ?? 64;
  const tta = augmentConfigOf(meta.features?.augment ?? 'se-tta');
  const featureSize = built.featureSize;
  const dir = featureDirOf(ws, meta.modelName, record.nFolds ?? 0, meta.fold);
  const partsDir = path.join(dir, '.parts');
  const images = new SliceImages(meta.imageSize, 256 << 20);
  const splits = [
    { name: 'train' as const, refs: labeledImages(ws), copies: trainCopies },
    { name: 'test' as const, refs: unlabeledImages(ws), copies: testCopies },
  ];
  // Parts from an earlier, interrupted extraction are reused only for the same images, copies and model.
  const manifest = JSON.stringify({ modelId, trainCopies, testCopies, ids: createHash('sha256').update(splits.map((s) => `${s.name}:${s.refs.map((r) => r.imageId).join(',')}`).join('|')).digest('hex') });
  const manifestFile = path.join(partsDir, 'manifest.json');
  if (!existsSync(manifestFile) || (await readFile(manifestFile, 'utf8')) !== manifest) {
    await rm(partsDir, { recursive: true, force: true });
    await mkdir(partsDir, { recursive: true });
    await writeFile(manifestFile, manifest);
  }
  try {
    for (const split of splits) {
      const started = performance.now();
      let doneThisRun = 0;
      const featureParts: string[] = [];
      const logitParts: string[] = [];
      for (let at = 0; at < split.refs.length; at += CHUNK_IMAGES) {
        if (opts.signal?.aborted) throw new CancelledError('feature extraction');
        const tag = `${split.name}-c${split.copies}-${String(at).padStart(9, '0')}`;
        const fFile = path.join(partsDir, `${tag}.npy`);
        const lFile = path.join(partsDir, `${tag}.logits.npy`);
        featureParts.push(fFile);
        logitParts.push(lFile);
        const refs = split.refs.slice(at, at + CHUNK_IMAGES);
        if (!(existsSync(fFile) && existsSync(lFile))) {
          const out = await extractChunk(forward, images, refs, split.copies, tta, modelId, batchSize, featureSize);
          await writeNpyAtomic(lFile, out.logits, [refs.length * split.copies, 6]);
          await writeNpyAtomic(fFile, out.features, [refs.length * split.copies, featureSize]);
          doneThisRun += refs.length;
        }
        const secs = (performance.now() - started) / 1000;
        opts.onEvent?.({ type: 'features', modelId, split: split.name, done: Math.min(at + CHUNK_IMAGES, split.refs.length), total: split.refs.length, imagesPerSec: doneThisRun / Math.max(secs, 1e-9) });
      }
      const rows = split.refs.length * split.copies;
      await writeNpyPartsAtomic(path.join(dir, `${split.name}.npy`), [rows, featureSize], readParts(featureParts));
      await writeNpyPartsAtomic(path.join(dir, `${split.name}_logits.npy`), [rows, 6], readParts(logitParts));
    }
    // The shallow NN pads series with the features of an all-black image (the seed used a real one).
    await writeNpyAtomic(path.join(dir, 'black.npy'), await blackFeatures(forward, meta.imageSize, BLACK_HU), [1, featureSize]);
    const ids = {
      modelId, featureSize, layout: 'image-major: rows copies*i .. copies*i+copies-1 are image i',
      train: { copies: trainCopies, ids: splits[0]!.refs.map((r) => r.imageId) },
      test: { copies: testCopies, ids: splits[1]!.refs.map((r) => r.imageId) },
    };
    const idsFile = path.join(dir, 'ids.json');
    await writeFileAtomic(idsFile, JSON.stringify(ids));
    await rm(partsDir, { recursive: true, force: true });
    upsertFeatureSet(ws, { modelId, dir, trainImages: splits[0]!.refs.length, testImages: splits[1]!.refs.length, trainCopies, testCopies, featureSize });
    return { modelId, dir, featureSize, train: { images: splits[0]!.refs.length, copies: trainCopies }, test: { images: splits[1]!.refs.length, copies: testCopies } };
  } finally {
    await forward.dispose();
    built.trainModel.dispose();
  }
}
