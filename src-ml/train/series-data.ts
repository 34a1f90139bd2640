/**
 * What the full-head stages train on: a base model's TTA feature set (features/<model>.k<K>/<fold>/)
 * and the workspace's series in slice order, each slice pointing at its rows in the feature file.
 * Labelled images are the "train" split (4 copies), the others "test" (8 copies). The feature files are
 * read by rows as the batches need them (store/npy-rows.ts), never whole: at the RSNA size a fold's
 * train.npy is about 3 GB. What stays in memory is the series index (ids, rows, labels).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../base/errors.ts';
import { featureRow, type FeatureSource } from '../data/feature-rows.ts';
import { readNpy } from '../store/npy.ts';
import { CachedNpyRows, NpyRowFile } from '../store/npy-rows.ts';
import { listSeries } from '../store/queries.ts';
import { labelledImageTable } from '../store/training-store.ts';
import { loadFoldsOf } from './ensure-folds.ts';
import type { Workspace } from '../store/workspace.ts';
import type { FoldSpec } from './presets.ts';

export interface FeatureSplit {
  /** The split's rows (copies x image + copy), read from its .npy on demand. */
  features: FeatureSource;
  copies: number;
  ids: string[];
  index: Map<string, number>;
}

export interface FeatureSetData {
  dir: string;
  featureSize: number;
  train: FeatureSplit;
  test: FeatureSplit;
  /** Features of an all-black image (the shallow NN's padding rows), copy 0. */
  black: Float32Array;
  /** Closes the feature files. */
  dispose(): void;
}

export async function loadFeatureSet(dir: string): Promise<FeatureSetData> {
  const idsFile = path.join(dir, 'ids.json');
  let ids: { featureSize: number; train: { copies: number; ids: string[] }; test: { copies: number; ids: string[] } };
  try {
    ids = JSON.parse(await readFile(idsFile, 'utf8')) as typeof ids;
  } catch (err) {
    throw new Error(`${idsFile}: ${errorMessage(err)} (run ich features first)`, { cause: err });
  }
  const files: CachedNpyRows[] = [];
  const dispose = (): void => {
    for (const f of files) f.close();
  };
  const split = (name: 'train' | 'test'): FeatureSplit => {
    const file = path.join(dir, `${name}.npy`);
    const rows = NpyRowFile.open(file);
    const meta = ids[name];
    if (rows.shape.length !== 2 || rows.shape[0] !== meta.ids.length * meta.copies || rows.shape[1] !== ids.featureSize) {
      rows.close();
      throw new Error(`${file}: shape [${rows.shape.join(', ')}] does not match ids.json (${meta.ids.length} images x ${meta.copies} copies, ${ids.featureSize} features)`);
    }
    // One cache group is one image's copies: a slice's copies come in one read.
    const features = new CachedNpyRows(rows, meta.copies);
    files.push(features);
    return { features, copies: meta.copies, ids: meta.ids, index: new Map(meta.ids.map((id, i) => [id, i])) };
  };
  try {
    const black = (await readNpy(path.join(dir, 'black.npy'))).data as Float32Array;
    return { dir, featureSize: ids.featureSize, train: split('train'), test: split('test'), black, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

export interface SeriesRecord {
  seriesUid: string;
  studyUid: string;
  patientId: string;
  /** Image ids in slice order. */
  imageIds: string[];
  /** 'train' when every slice is labelled, 'test' when none is. */
  split: 'train' | 'test';
  /** Index of each slice in its split's image list (rows copies*i .. copies*i+copies-1). */
  imageRows: number[];
  /** Fold of the patient (train series), or -1. */
  fold: number;
}

/**
 * CT series with features. A series with labelled and unlabelled slices is split by the labels; a slice
 * without features (indexed after the extraction) leaves its series out, with a warning.
 */
export function seriesWithFeatures(ws: Workspace, fs: FeatureSetData, folds: FoldSpec, warn: (line: string) => void = () => {}): SeriesRecord[] {
  const assign = loadFoldsOf(ws, folds);
  const out: SeriesRecord[] = [];
  for (const s of listSeries(ws)) {
    if (s.modality !== 'CT') continue;
    const inTrain = s.instances.filter((id) => fs.train.index.has(id));
    const inTest = s.instances.filter((id) => fs.test.index.has(id));
    const missing = s.instances.length - inTrain.length - inTest.length;
    if (missing > 0) {
      warn(`series ${s.seriesInstanceUid}: ${missing} of ${s.instances.length} slices have no features in ${fs.dir} (re-run ich features); left out`);
      continue;
    }
    for (const [split, ids] of [['train', inTrain], ['test', inTest]] as const) {
      if (ids.length === 0) continue;
      const index = split === 'train' ? fs.train.index : fs.test.index;
      out.push({
        seriesUid: s.seriesInstanceUid, studyUid: s.studyInstanceUid, patientId: s.patientId, imageIds: ids, split,
        imageRows: ids.map((id) => index.get(id)!), fold: split === 'train' ? (assign.get(s.patientId) ?? -1) : -1,
      });
    }
  }
  return out;
}

/** Labels of the train split's images, row i = train image i (N x 6, project order). */
export function trainLabelMatrix(ws: Workspace, fs: FeatureSetData): Uint8Array {
  const table = labelledImageTable(ws);
  const n = fs.train.ids.length;
  const out = new Uint8Array(n * 6);
  const seen = new Uint8Array(n);
  table.ids.forEach((id, i) => {
    const r = fs.train.index.get(id);
    if (r === undefined) return;
    out.set(table.labels.subarray(i * 6, i * 6 + 6), r * 6);
    seen[r] = 1;
  });
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new Error(`image ${fs.train.ids[missing]} has features as a labelled image but no label now (labels changed: re-run ich features)`);
  return out;
}

/**
 * featureStats (data/series-layout.ts) over all copies of the images `images` of a split, without
 * copying them out: mean and population std in float64, std 1 for an exactly constant dimension.
 * Rows are visited image by image in the order given (the sums' order), read from the source as needed.
 */
export function trainingFeatureStats(split: { features: FeatureSource; copies: number }, featureSize: number, images: readonly number[]): { mean: Float32Array; std: Float32Array } {
  const F = featureSize;
  const copies = split.copies;
  const count = images.length * copies;
  if (count === 0) throw new Error('trainingFeatureStats: no training images');
  const x = split.features;
  const first = featureRow(x, images[0]! * copies, F).slice();
  const sum = new Float64Array(F);
  const constant = new Uint8Array(F).fill(1);
  for (const img of images) {
    for (let c = 0; c < copies; c++) {
      const row = featureRow(x, img * copies + c, F);
      for (let f = 0; f < F; f++) {
        const v = row[f]!;
        sum[f] = sum[f]! + v;
        if (v !== first[f]) constant[f] = 0;
      }
    }
  }
  const mean64 = sum.map((s) => s / count);
  const sq = new Float64Array(F);
  for (const img of images) {
    for (let c = 0; c < copies; c++) {
      const row = featureRow(x, img * copies + c, F);
      for (let f = 0; f < F; f++) {
        const d = row[f]! - mean64[f]!;
        sq[f] = sq[f]! + d * d;
      }
    }
  }
  return { mean: Float32Array.from(mean64), std: Float32Array.from(sq, (s, f) => (constant[f] ? 1 : Math.sqrt(s / count))) };
}
