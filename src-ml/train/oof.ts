/**
 * Out-of-fold metric of a base model over all its folds: each fold's model predicted its held-out
 * patients at the kept epoch (oof_probs.npy + oof_ids.json in the model folder); together they cover
 * every labelled image once. The prevalence-only baseline is the bar: the label prevalences of the same
 * images predicted for every image.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { prevalenceBaseline, weightedLogLoss, type MetricResult } from '../metrics/log-loss.ts';
import { decodeNpy } from '../store/npy.ts';
import { getModel, labeledImages } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import { baseModelId, modelDirOf, OOF_IDS_FILE, OOF_PROBS_FILE } from './base-train.ts';
import type { FoldSpec } from './presets.ts';

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
  const labels = new Map(labeledImages(ws).map((im) => [im.imageId, im.labels]));
  const probs: number[] = [];
  const ys: number[] = [];
  const missing: number[] = [];
  for (let f = 0; f < folds.k; f++) {
    const id = baseModelId(modelName, folds, f);
    if (!getModel(ws, id)) {
      missing.push(f);
      continue;
    }
    const dir = modelDirOf(ws, id);
    const p = decodeNpy(await readFile(path.join(dir, OOF_PROBS_FILE))).data;
    const ids = JSON.parse(await readFile(path.join(dir, OOF_IDS_FILE), 'utf8')) as string[];
    ids.forEach((imageId, i) => {
      const y = labels.get(imageId);
      if (!y) return; // labels changed since training: leave the image out
      for (let k = 0; k < 6; k++) {
        probs.push(p[i * 6 + k]!);
        ys.push(y[k]!);
      }
    });
  }
  if (probs.length === 0) return undefined;
  const oof = weightedLogLoss(probs, ys);
  const base = prevalenceBaseline(ys);
  return { model: modelName, folds: folds.k, n: oof.n, oofMetric: oof.loss, baselineMetric: base.loss, improvement: 1 - oof.loss / base.loss, perClass: oof.perClass, missingFolds: missing };
}
