/**
 * `ich predict`: new CT images through the trained pipeline, in memory: every fold's base CNN makes
 * TTA features for the images' series, every full-head member family predicts the series with each of
 * its fold models (averaged), and the stored safe/risky ensembles blend them. Predictions are stored
 * per slice (member and ensemble rows, oof = 0); images that already have out-of-fold predictions keep
 * them in the index (those are the honest numbers for labelled images) and get fresh ones only in the
 * returned result.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { familyId, modelId, parseFamilyId } from '../base/model-id.ts';
import { computeMetadataFeatures } from '../data/metadata-features.ts';
import { metadataRowsFromWorkspace } from '../data/metadata-rows.ts';
import { SliceImages } from '../data/slice-images.ts';
import { applyEnsemble, type EnsembleFit, type EnsemblePredictions } from '../ensemble/safe-risky.ts';
import { imageFileRefs } from '../store/image-files.ts';
import { writeNpyPartsAtomic } from '../store/npy.ts';
import { CachedNpyRows, NpyRowFile } from '../store/npy-rows.ts';
import { loadEnsembleRecord, outOfFoldImageIds, savePredictions, type PredictionRow } from '../store/predictions.ts';
import { listSeries } from '../store/queries.ts';
import { getModel } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { createRng } from '../base/random.ts';
import { augmentConfigOf } from '../data/augment-presets.ts';
import { servingModelDir } from '../store/versions.ts';
import type { ForwardDeps } from '../onnx/runtime-forward.ts';
import { blackFeatures, extractChunk, openBaseCnn } from './tta-features.ts';
import { makePredictTemp, removeOnExit, removeStalePredictTemps } from './predict-temp.ts';
import { CancelledError } from '../jobs/progress.ts';
import { inputNormOf, openPooledRes, predictPooledResSeriesOn } from './pooled-res-predict.ts';
import { openShallow, predictShallowSeriesOn } from './shallow-predict.ts';
import { probabilityFloorOf } from './read-meta.ts';
import { clampProbabilities } from '../metrics/probability-floor.ts';

export interface PredictOptions {
  ws: Workspace;
  /** Images to predict (their whole series are used as context). */
  imageIds: readonly string[];
  /** TTA copies per image for the base features (default: the models' test copies, 8). */
  copies?: number;
  /** Random passes per full-head model (default: the preset's). */
  passes?: number;
  store?: boolean;
  log?: (line: string) => void;
  /**
   * Starts the tfjs backend; called only where a model runs on tfjs or is exported (ONNX Runtime needs no
   * backend, so a run on cached graphs never pays for it). Absent: the caller started it.
   */
  prepareTfjs?: () => Promise<unknown>;
  /** After each model's pass over the images: work units done of the total (base folds and members). */
  onProgress?: (done: number, total: number, what: string) => void;
  /** Stops between chunks and series (CancelledError), its scratch folder removed (`ich predict` on Ctrl-C). */
  signal?: AbortSignal;
}

export interface PredictResult {
  imageIds: string[];
  preds: EnsemblePredictions;
  timings: Record<string, number>;
  stored: number;
}

interface FamilyRef {
  name: string;
  stage: string;
  base: string;
  k: number;
}

function parseFamily(name: string): FamilyRef {
  const family = parseFamilyId(name);
  const m = family && /^(pooled-res|shallow-weighted|shallow)\.(.+)$/.exec(family.name);
  if (!family || !m) throw new Error(`ensemble member "${name}" is not a full-head model family`);
  return { name, stage: m[1]!, base: m[2]!, k: family.k };
}

export async function predictImages(opts: PredictOptions): Promise<PredictResult> {
  const { ws } = opts;
  const log = opts.log ?? (() => {});
  // A fallback to tfjs is worth a line even where the caller wants no progress lines.
  let tfjsReady: Promise<unknown> | undefined;
  const forwardDeps: ForwardDeps = {
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.prepareTfjs ? { beforeTfjs: () => (tfjsReady ??= opts.prepareTfjs!()) } : {}),
  };
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[label] = (timings[label] ?? 0) + (performance.now() - t0) / 1000;
    }
  };
  const record = loadEnsembleRecord<EnsembleFit>(ws, 'current');
  if (!record) throw new Error(`no trained ensemble in ${ws.dir}: run ich pipeline (or ich ensemble) first`);
  const fit = record.fit;
  const families = fit.members.map((m) => parseFamily(m.name));

  // The series of the requested images, whole, in slice order.
  const wanted = new Set(opts.imageIds);
  const series = listSeries(ws).filter((s) => s.modality === 'CT' && s.instances.some((id) => wanted.has(id)));
  const ids = series.flatMap((s) => s.instances);
  if (ids.length === 0) throw new Error('none of the images to predict is an indexed CT slice');
  const index = new Map(ids.map((id, i) => [id, i]));
  const sliceRefs = imageFileRefs(ws, ids);
  const sliceRowsOf = series.map((s) => s.instances.map((id) => index.get(id)!));

  // Metadata features of the involved patients (per-series statistics and series per patient need them all).
  const patients = new Set(series.map((s) => s.patientId));
  const meta = await timed('metadata', async () => {
    return computeMetadataFeatures(metadataRowsFromWorkspace(ws, [...patients]));
  });
  const metaIndex = new Map(meta.imageIds.map((id, i) => [id, i]));
  const continuous = new Float32Array(ids.length * 38);
  const categorical = new Int32Array(ids.length * 10);
  ids.forEach((id, i) => {
    const j = metaIndex.get(id);
    if (j === undefined) throw new Error(`image ${id} has no metadata row`);
    continuous.set(meta.continuous.subarray(j * 38, j * 38 + 38), i * 38);
    categorical.set(meta.categorical.subarray(j * 10, j * 10 + 10), i * 10);
  });

  const check = (): void => {
    if (opts.signal?.aborted) throw new CancelledError('predict');
  };
  check();
  const memberSums = new Map<string, { sum: Float64Array; n: number }>();
  // Scratch folders of predicts that were killed (their owner process is gone) go first: each can be gigabytes.
  for (const r of await removeStalePredictTemps(ws.dir, { warn: (line) => log(`warning: ${line}`) })) log(`removed ${r.dir} (${r.reason})`);
  // The feature files of the base folds live here while their members predict.
  const tmp = await makePredictTemp(ws.dir);
  const keepOnExit = removeOnExit(tmp);
  const open: CachedNpyRows[] = [];
  const imagesBySize = new Map<number, SliceImages>();
  try {
    const baseFamilies = [...new Set(families.map((f) => familyId(f.base, f.k)))].map((id) => parseFamilyId(id)!);
    const totalUnits = families.reduce((n, f) => n + f.k, 0) + baseFamilies.reduce((n, b) => n + b.k, 0);
    let unitsDone = 0;
    const progress = (what: string): void => opts.onProgress?.(++unitsDone, totalUnits, what);
    for (const { name: base, k } of baseFamilies) {
      for (let fold = 0; fold < k; fold++) {
        const baseId = modelId(base, k, fold);
        if (!getModel(ws, baseId)) throw new Error(`base model ${baseId} is missing from ${ws.dir}`);
        // Base features of every slice, K TTA copies, for this fold's model: extracted in chunks into a temporary
        // .npy beside the index and read back by rows (the images may be a whole test set: 121,232 x 8 x F).
        const { features, copies, featureSize, black } = await timed('base features', async () => {
          const { forward, meta: bm, featureSize: F } = await openBaseCnn(servingModelDir(ws, baseId), baseId, forwardDeps);
          try {
            const copiesN = opts.copies ?? bm.features?.testCopies ?? 8;
            const batchSize = bm.features?.batchSize ?? 64;
            // One decoded-image cache per input size, shared by the folds: each slice is read and resized once.
            const images = imagesBySize.get(bm.imageSize) ?? new SliceImages(bm.imageSize, 256 << 20, (line) => log(`warning: ${line}`));
            imagesBySize.set(bm.imageSize, images);
            const tta = augmentConfigOf(bm.features?.augment ?? 'se-tta');
            // Whole batches per chunk, so the batches are the ones one pass over all images would make.
            const chunkImages = batchSize * Math.max(1, Math.round(256 / batchSize));
            const file = path.join(tmp, `${baseId}.npy`);
            await writeNpyPartsAtomic(file, [sliceRefs.length * copiesN, F], (async function* () {
              for (let at = 0; at < sliceRefs.length; at += chunkImages) {
                check();
                yield (await extractChunk(forward, images, sliceRefs.slice(at, at + chunkImages), copiesN, tta, baseId, batchSize, F)).features;
              }
            })());
            const blackF = await blackFeatures(forward, bm.imageSize, -1024);
            const rows = new CachedNpyRows(NpyRowFile.open(file), copiesN);
            open.push(rows);
            return { features: rows, copies: copiesN, featureSize: F, black: blackF };
          } finally {
            await forward.dispose();
          }
        });
        progress(`features ${baseId}`);
        for (const fam of families.filter((f) => f.base === base && f.k === k)) {
          const memberId = modelId(`${fam.stage}.${fam.base}`, fam.k, fold);
          if (!getModel(ws, memberId)) throw new Error(`model ${memberId} is missing from ${ws.dir}`);
          const dir = servingModelDir(ws, memberId);
          const rng = createRng(`predict:${memberId}`);
          const probs = await timed(fam.stage, async () => {
            const out = new Float32Array(ids.length * 6);
            let floor = 0;
            if (fam.stage === 'pooled-res') {
              const { forward, meta: pm } = await openPooledRes(dir, memberId, forwardDeps);
              const pr = (pm as { config?: { testCopies?: number; testPasses?: number } }).config ?? {};
              try {
                floor = probabilityFloorOf(pm, dir);
                const norm = inputNormOf(pm, featureSize, dir);
                for (const rows of sliceRowsOf) {
                  check();
                  const p = await predictPooledResSeriesOn(forward, features, featureSize, copies, rows, Math.min(pr.testCopies ?? 4, copies), opts.passes ?? pr.testPasses ?? 8, rng, norm);
                  rows.forEach((r, j) => out.set(p.subarray(j * 6, j * 6 + 6), r * 6));
                }
              } finally {
                await forward.dispose();
              }
            } else {
              const { forward, meta: sm } = await openShallow(dir, memberId, forwardDeps);
              try {
                floor = probabilityFloorOf(sm, dir);
                for (const rows of sliceRowsOf) {
                  check();
                  const p = await predictShallowSeriesOn(forward, { features, featureSize, copiesPerImage: copies, mean: sm.mean, std: sm.std, black, continuous, categorical }, rows, opts.passes ?? (sm as { shallow?: { passes?: number } }).shallow?.passes ?? 8, rng);
                  rows.forEach((r, j) => out.set(p.subarray(j * 6, j * 6 + 6), r * 6));
                }
              } finally {
                await forward.dispose();
              }
            }
            // The floor the model was validated with (none for models saved before it: their output is unchanged).
            return floor > 0 ? clampProbabilities(out, floor) : out;
          });
          progress(memberId);
          let acc = memberSums.get(fam.name);
          if (!acc) memberSums.set(fam.name, (acc = { sum: new Float64Array(ids.length * 6), n: 0 }));
          for (let i = 0; i < probs.length; i++) acc.sum[i]! += probs[i]!;
          acc.n++;
        }
        features.close();
        await rm(path.join(tmp, `${baseId}.npy`), { force: true });
      }
    }
  } finally {
    for (const f of open) f.close();
    await rm(tmp, { recursive: true, force: true });
    keepOnExit();
  }
  check();
  const members = new Map([...memberSums].map(([name, a]) => [name, Float32Array.from(a.sum, (v) => v / a.n)]));
  const t0 = performance.now();
  const preds = applyEnsemble(fit, members);
  timings['ensemble'] = (performance.now() - t0) / 1000;

  let stored = 0;
  if (opts.store !== false) {
    const oofAlready = outOfFoldImageIds(ws);
    // The rows are made as the store writes them (one image's at a time), not held.
    const rows = function* (): Generator<PredictionRow> {
      for (let i = 0; i < ids.length; i++) {
        const imageId = ids[i]!;
        if (oofAlready.has(imageId)) continue;
        const sl = (a: Float32Array): Float32Array => a.subarray(i * 6, i * 6 + 6);
        yield { imageId, source: 'safe', kind: 'ensemble', oof: false, probs: sl(preds.safe.blended) };
        if (preds.risky) yield { imageId, source: 'risky', kind: 'ensemble', oof: false, probs: sl(preds.risky.blended) };
        for (const m of preds.members) yield { imageId, source: m.name, kind: 'member', oof: false, probs: sl(m.bounded), bounded: (m.rule1[i] ? 1 : 0) | (m.rule2[i] ? 2 : 0) };
      }
    };
    const t1 = performance.now();
    stored = savePredictions(ws, rows());
    timings['store'] = (performance.now() - t1) / 1000;
  }
  return { imageIds: ids, preds, timings, stored };
}
