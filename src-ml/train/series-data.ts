/**
 * What the full-head stages train on: a base model's TTA feature set (features/<model>.k<K>/<fold>/)
 * and the workspace's series in slice order, each slice pointing at its rows in the feature file.
 * Labelled images are the "train" split (4 copies), the others "test" (8 copies).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../base/errors.ts';
import { decodeNpy } from '../store/npy.ts';
import { listSeries } from '../store/queries.ts';
import { labeledImages, loadFolds } from '../store/training-store.ts';
import type { Workspace } from '../store/workspace.ts';
import type { FoldSpec } from './presets.ts';

export interface FeatureSplit {
  features: Float32Array;
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
}

export async function loadFeatureSet(dir: string): Promise<FeatureSetData> {
  const idsFile = path.join(dir, 'ids.json');
  let ids: { featureSize: number; train: { copies: number; ids: string[] }; test: { copies: number; ids: string[] } };
  try {
    ids = JSON.parse(await readFile(idsFile, 'utf8')) as typeof ids;
  } catch (err) {
    throw new Error(`${idsFile}: ${errorMessage(err)} (run ich features first)`, { cause: err });
  }
  const split = async (name: 'train' | 'test'): Promise<FeatureSplit> => {
    const arr = decodeNpy(await readFile(path.join(dir, `${name}.npy`)));
    const meta = ids[name];
    if (arr.shape[0] !== meta.ids.length * meta.copies || arr.shape[1] !== ids.featureSize) {
      throw new Error(`${path.join(dir, `${name}.npy`)}: shape [${arr.shape.join(', ')}] does not match ids.json (${meta.ids.length} images x ${meta.copies} copies, ${ids.featureSize} features)`);
    }
    return { features: arr.data as Float32Array, copies: meta.copies, ids: meta.ids, index: new Map(meta.ids.map((id, i) => [id, i])) };
  };
  const black = decodeNpy(await readFile(path.join(dir, 'black.npy'))).data as Float32Array;
  return { dir, featureSize: ids.featureSize, train: await split('train'), test: await split('test'), black };
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
  const assign = loadFolds(ws, folds.k, folds.seed);
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
  const byId = new Map(labeledImages(ws).map((im) => [im.imageId, im.labels]));
  const out = new Uint8Array(fs.train.ids.length * 6);
  fs.train.ids.forEach((id, i) => {
    const y = byId.get(id);
    if (!y) throw new Error(`image ${id} has features as a labelled image but no label now (labels changed: re-run ich features)`);
    out.set(y, i * 6);
  });
  return out;
}
