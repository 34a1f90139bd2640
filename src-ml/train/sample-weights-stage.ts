/**
 * The sample-weight step before the weighted ("risky") shallow-NN fine-tune (docs/seed-pipeline.md section 5, "How
 * the sample weights were computed"): metadata features of every CT image in the workspace, the
 * labelled images as the training set, and as the target the unlabelled images with P(any) estimated
 * by the Pooled-Res models (the seed: Yuval's Pooled-Res stage-2 test predictions). The weights
 * (data/sample-weights.ts computeSampleWeights, mean 1) are stored per image (saveSampleWeights).
 *
 * Choices:
 *   - predictedAny of a target image = mean of the `any` column over every registered 'pooled-res' model
 *     that predicted it (test_probs.npy); unlabelled images no model predicted are left out of the target.
 *   - without unlabelled images, the labelled set is its own target, with its Pooled-Res OOF
 *     probabilities (mean over the models whose oof_probs include the image).
 *   - step 2 (categories never seen in the target) is skipped when it would zero over half the labelled
 *     images, which happens when the target is a handful of studies (the seed's target had 121k images and
 *     zeroed none); the report says so (`skipped`). If the other steps still zero every image, the weights
 *     fall back to uniform 1 (`fallback`): the weighted fine-tune then samples uniformly.
 *   - the report carries the effective sample size (sum w)^2 / sum w^2, the number of images the weighted
 *     fine-tune effectively learns from, and the summary line warns when it is under 10% of the images.
 *   - images without metadata (not indexed as CT) get no weight; a missing PixelRepresentation counts as
 *     unknown (not the broken-intercept case), a missing RescaleIntercept as NaN.
 */
import { metadataRowsFromWorkspace } from '../data/metadata-rows.ts';
import { computeMetadataFeatures, N_CAT, N_CONTINUOUS, N_FLOAT, type MetaFeatures } from '../data/metadata-features.ts';
import { computeSampleWeights, type WeightInputs, type WeightReport } from '../data/sample-weights.ts';
import { labelledImageTable, listModels, saveSampleWeights } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { modelDirOf } from './base-train.ts';
import { readMemberOutputs } from './member-outputs.ts';
import type { FoldSpec } from './presets.ts';

export const POOLED_RES_STAGE = 'pooled-res';

/** Rows `indices` of a MetaFeatures, in that order. */
export function subsetMetaFeatures(f: MetaFeatures, indices: readonly number[]): MetaFeatures {
  const n = indices.length;
  const continuous = new Float32Array(n * N_CONTINUOUS);
  const categorical = new Int32Array(n * N_CAT);
  const rawFloats = new Float32Array(n * N_FLOAT);
  indices.forEach((src, i) => {
    continuous.set(f.continuous.subarray(src * N_CONTINUOUS, (src + 1) * N_CONTINUOUS), i * N_CONTINUOUS);
    categorical.set(f.categorical.subarray(src * N_CAT, (src + 1) * N_CAT), i * N_CAT);
    rawFloats.set(f.rawFloats.subarray(src * N_FLOAT, (src + 1) * N_FLOAT), i * N_FLOAT);
  });
  return {
    imageIds: indices.map((i) => f.imageIds[i]!), continuous, categorical, rawFloats,
    posIdx1: Int32Array.from(indices, (i) => f.posIdx1[i]!), seriesSize: Int32Array.from(indices, (i) => f.seriesSize[i]!),
    pxlMinZero: Uint8Array.from(indices, (i) => f.pxlMinZero[i]!),
  };
}

/** Mean `any` (column 5) per image id over the given (ids, probs) outputs. */
function meanAny(outputs: readonly { ids: string[]; probs: Float32Array }[]): Map<string, number> {
  const acc = new Map<string, [number, number]>();
  for (const o of outputs) {
    o.ids.forEach((id, i) => {
      const a = acc.get(id) ?? [0, 0];
      a[0] += o.probs[i * 6 + 5]!;
      a[1]++;
      acc.set(id, a);
    });
  }
  return new Map([...acc].map(([id, [s, n]]) => [id, s / n]));
}

export interface StageWeightReport extends WeightReport {
  /** Set when the weights fell back to uniform, with why. */
  fallback?: string;
  targetImages: number;
  targetSource: 'unlabelled' | 'labelled-oof';
  /** (sum w)^2 / sum w^2. */
  effectiveSize: number;
}

/** Kish's effective sample size of a weighting. */
export function effectiveSampleSize(w: Float32Array): number {
  let s = 0;
  let s2 = 0;
  for (const v of w) {
    s += v;
    s2 += v * v;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/** One line for the terminal: counts, the effective size, and any skipped step or fallback. */
export function describeWeights(r: StageWeightReport): string {
  const n = r.weights.length;
  const zeros = r.weights.filter((w) => w === 0).length;
  const parts = [`sample weights: ${n} images, mean 1, ${zeros} zero, effective size ${Math.round(r.effectiveSize)} (${((100 * r.effectiveSize) / Math.max(n, 1)).toFixed(1)}%), target ${r.targetImages} ${r.targetSource} images`];
  if (r.skipped?.unseenCategory) parts.push(`unseen-category step skipped: ${r.skipped.unseenCategory}`);
  if (r.fallback) parts.push(`fallback: ${r.fallback}`);
  if (r.effectiveSize < 0.1 * n) parts.push('WARNING: the weighted fine-tune effectively sees under 10% of the images');
  return parts.join('; ');
}

export async function computeAndStoreSampleWeights(ws: Workspace, folds: FoldSpec): Promise<StageWeightReport> {
  const rows = metadataRowsFromWorkspace(ws);
  const meta = computeMetadataFeatures(rows);
  const rowOf = new Map(meta.imageIds.map((id, i) => [id, i]));

  // The labelled images with metadata, as columns (row in `table`, row in `meta`): no record per image.
  const table = labelledImageTable(ws);
  const labelled = Int32Array.from(table.ids.keys()).filter((i) => rowOf.has(table.ids[i]!));
  if (labelled.length === 0) throw new Error(`workspace ${ws.dir} has no labelled CT images: nothing to weight`);
  const labelledIds = new Set(Array.from(labelled, (i) => table.ids[i]!));
  const trainRows = Array.from(labelled, (i) => rowOf.get(table.ids[i]!)!);
  const anyOf = (i: number): number => table.labels[i * 6 + 5]!;
  const seriesPositive = new Set<string>();
  labelled.forEach((i, k) => {
    if (anyOf(i) === 1) seriesPositive.add(rows[trainRows[k]!]!.seriesUid);
  });

  // Prefer the Pooled-Res models of this fold scheme; any registered ones otherwise.
  const all = listModels(ws, POOLED_RES_STAGE);
  const sameFolds = all.filter((m) => m.nFolds === folds.k);
  const usable = sameFolds.length > 0 ? sameFolds : all;
  if (usable.length === 0) throw new Error(`no ${POOLED_RES_STAGE} model in ${ws.dir}: train the Pooled-Res stage before the sample weights`);
  const outs = await Promise.all(usable.map((m) => readMemberOutputs(modelDirOf(ws, m.id))));

  const unlabelled = meta.imageIds.filter((id) => !labelledIds.has(id));
  let targetIds: string[];
  let predicted: Map<string, number>;
  if (unlabelled.length > 0) {
    predicted = meanAny(outs.map((o) => ({ ids: o.testIds, probs: o.testProbs })));
    targetIds = unlabelled.filter((id) => predicted.has(id));
    if (targetIds.length === 0) throw new Error(`none of the ${unlabelled.length} unlabelled images has a ${POOLED_RES_STAGE} test prediction: re-run the Pooled-Res stage`);
  } else {
    predicted = meanAny(outs.map((o) => ({ ids: o.oofIds, probs: o.oofProbs })));
    targetIds = Array.from(labelled, (i) => table.ids[i]!).filter((id) => predicted.has(id));
    if (targetIds.length === 0) throw new Error(`no labelled image has a ${POOLED_RES_STAGE} OOF prediction: re-run the Pooled-Res stage`);
  }

  const inputs: WeightInputs = {
    train: {
      features: subsetMetaFeatures(meta, trainRows),
      anyLabel: Uint8Array.from(labelled, (i) => (anyOf(i) === 1 ? 1 : 0)),
      seriesAny: Uint8Array.from(trainRows, (r) => (seriesPositive.has(rows[r]!.seriesUid) ? 1 : 0)),
      pixelRepresentation: Int32Array.from(trainRows, (r) => rows[r]!.pixelRepresentation ?? -1),
      rescaleIntercept: Float32Array.from(trainRows, (r) => rows[r]!.rescaleIntercept ?? NaN),
    },
    target: {
      features: subsetMetaFeatures(meta, targetIds.map((id) => rowOf.get(id)!)),
      predictedAny: Float32Array.from(targetIds, (id) => predicted.get(id)!),
    },
  };
  const targetSource = unlabelled.length > 0 ? 'unlabelled' : 'labelled-oof';
  let report: StageWeightReport;
  try {
    const r = computeSampleWeights(inputs);
    report = { ...r, targetImages: targetIds.length, targetSource, effectiveSize: effectiveSampleSize(r.weights) };
  } catch (err) {
    if (!(err instanceof RangeError && /every training image has weight 0/.test(err.message))) throw err;
    report = {
      weights: new Float32Array(labelled.length).fill(1), zeroed: { brokenIntercept: 0, unseenCategory: 0, outliers: 0, excluded: 0 }, pxlMinRatio: 1, groups: [],
      targetImages: targetIds.length, targetSource, effectiveSize: labelled.length,
      fallback: `every labelled image got weight 0 against the ${targetIds.length} target images: uniform weights`,
    };
  }
  saveSampleWeights(ws, (function* () {
    for (let k = 0; k < labelled.length; k++) yield [table.ids[labelled[k]!]!, report.weights[k]!] as const;
  })());
  return report;
}
