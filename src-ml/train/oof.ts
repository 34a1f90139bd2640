/**
 * Out-of-fold metric of a base model over all its folds: each fold's model predicted its held-out
 * patients at the kept epoch (oof_probs.npy + oof_ids.json in the model folder); together they cover
 * every labelled image once. The prevalence-only baseline is the bar: the label prevalences of the same
 * images predicted for every image.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { prevalenceBaseline, weightedLogLoss, type MetricResult } from '../metrics/log-loss.ts';
import { readNpy } from '../store/npy.ts';
import { getModel, labelledImageTable } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { baseModelId, modelDirOf, OOF_IDS_FILE, OOF_PROBS_FILE } from './base-train.ts';
import { clampProbabilities, probabilityFloor } from '../metrics/probability-floor.ts';
import type { FoldSpec } from './presets.ts';

/**
 * The probability floor of the base model in `dir` (base-train.ts clamps its validation probabilities to it):
 * from its meta.json, or for a model trained before the floor existed, from its training image count, so
 * that every base model's OOF probabilities are read the same way. 0 where neither is known.
 */
export function baseProbabilityFloor(dir: string): number {
  try {
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { probabilityFloor?: number; trainImages?: number };
    if (typeof meta.probabilityFloor === 'number') return meta.probabilityFloor;
    if (typeof meta.trainImages === 'number') return probabilityFloor(meta.trainImages);
  } catch {
    // no readable meta: no floor
  }
  return 0;
}

/** A base model's OOF probabilities, clamped to its floor (a copy; idempotent for models that saved them clamped). */
export function flooredBaseOof(dir: string, probs: ArrayLike<number>): Float32Array {
  return clampProbabilities(Float32Array.from(probs), baseProbabilityFloor(dir));
}

export interface OofReport {
  model: string;
  folds: number;
  n: number;
  oofMetric: number;
  baselineMetric: number;
  /** 1 - oof / baseline. */
  improvement: number;
  perClass: MetricResult['perClass'];
  missingFolds: number[];
}

export async function baseOofReport(ws: Workspace, modelName: string, folds: FoldSpec): Promise<OofReport | undefined> {
  const table = labelledImageTable(ws);
  const rowOf = new Map(table.ids.map((id, i) => [id, i]));
  // Per fold, the OOF rows of images that are labelled now, in the fold's order.
  const parts: { probs: Float32Array; ys: Uint8Array }[] = [];
  const missing: number[] = [];
  for (let f = 0; f < folds.k; f++) {
    const id = baseModelId(modelName, folds, f);
    if (!getModel(ws, id)) {
      missing.push(f);
      continue;
    }
    const dir = modelDirOf(ws, id);
    const p = flooredBaseOof(dir, (await readNpy(path.join(dir, OOF_PROBS_FILE))).data);
    const ids = JSON.parse(await readFile(path.join(dir, OOF_IDS_FILE), 'utf8')) as string[];
    const probs = new Float32Array(ids.length * 6);
    const ys = new Uint8Array(ids.length * 6);
    let n = 0;
    ids.forEach((imageId, i) => {
      const r = rowOf.get(imageId);
      if (r === undefined) return; // labels changed since training: leave the image out
      for (let k = 0; k < 6; k++) {
        probs[n * 6 + k] = p[i * 6 + k]!;
        ys[n * 6 + k] = table.labels[r * 6 + k]!;
      }
      n++;
    });
    parts.push({ probs: probs.subarray(0, n * 6), ys: ys.subarray(0, n * 6) });
  }
  const total = parts.reduce((a, q) => a + q.probs.length, 0);
  if (total === 0) return undefined;
  const probs = new Float32Array(total);
  const ys = new Uint8Array(total);
  let at = 0;
  for (const q of parts) {
    probs.set(q.probs, at);
    ys.set(q.ys, at);
    at += q.probs.length;
  }
  const oof = weightedLogLoss(probs, ys);
  const base = prevalenceBaseline(ys);
  return { model: modelName, folds: folds.k, n: oof.n, oofMetric: oof.loss, baselineMetric: base.loss, improvement: 1 - oof.loss / base.loss, perClass: oof.perClass, missingFolds: missing };
}
