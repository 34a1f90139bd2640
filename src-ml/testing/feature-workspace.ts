// A workspace that has reached the full-head stages: synthetic studies, labels for all but the last
// `unlabelledStudies` studies (they play the unlabelled "test" set), tiny base CNNs trained for every fold
// (1 epoch) and their TTA features. Built by the real engine; about half a minute.
import { initBackend } from '../nn/backend.ts';
import { extractFeatures } from '../train/feature-stage.ts';
import { listSeries } from '../store/queries.ts';
import { Workspace } from '../store/workspace.ts';
import { baseModelId, trainBase } from '../train/base-train.ts';
import type { Preset } from '../train/presets.ts';
import { testPreset } from '../train/test-preset.ts';
import { makeSynthWorkspace } from './synth-workspace.ts';

export interface FeatureWorkspace {
  wsDir: string;
  preset: Preset;
  baseModelIds: string[];
  backend: string;
}

export async function makeFeatureWorkspace(root: string, opts: { studies?: number; unlabelledStudies?: number; seed?: number } = {}): Promise<FeatureWorkspace> {
  const backend = await initBackend({ purpose: 'train' }, { log: () => {} });
  const wsDir = await makeSynthWorkspace(root, { studies: opts.studies ?? 8, seed: opts.seed ?? 9, size: 64 });
  const preset = testPreset({ epochs: 1 });
  const base = preset.base[0]!;
  preset.base[0] = { ...base, features: { trainCopies: 4, testCopies: 8, augment: 'se-tta', batchSize: 64 } };
  const ws = Workspace.open(wsDir);
  try {
    // The last studies lose their labels: they are the unlabelled set.
    const studies = [...new Set(listSeries(ws).map((s) => s.studyInstanceUid))].sort();
    const drop = studies.slice(studies.length - (opts.unlabelledStudies ?? 2));
    ws.db.prepare(`DELETE FROM labels WHERE image_id IN (SELECT image_id FROM instances WHERE study_uid IN (${drop.map(() => '?').join(',')}))`).run(...drop);
    const ids: string[] = [];
    for (let fold = 0; fold < preset.folds.k; fold++) {
      const r = await trainBase({ ws, preset, model: preset.base[0]!, fold, folds: preset.folds, backend });
      await extractFeatures({ ws, modelId: r.modelId });
      ids.push(baseModelId(base.name, preset.folds, fold));
    }
    return { wsDir, preset, baseModelIds: ids, backend };
  } finally {
    ws.close();
  }
}
