// The tiny preset made smaller still for tests: 2 folds, 2 epochs, batch 16, few TTA copies, 12 Pooled-Res epochs, no bags.
import { loadPreset, type Preset } from './presets.ts';

export function testPreset(overrides: { epochs?: number; imageSize?: number } = {}): Preset {
  const p = loadPreset('tiny');
  const m = p.base[0]!;
  return {
    ...p,
    name: 'tiny',
    folds: { k: 2, seed: 8153 },
    // One rank: the suite keeps its single-process numbers and no worker start-up per run (parallel-step.test.ts covers ranks).
    trainWorkers: 1,
    // No step floors: the suite's tiny data would otherwise train for minutes. Single nets, not bags (the
    // trainers' tests of bags set `bag` themselves).
    pooledRes: { ...p.pooledRes, epochs: 12, minSteps: 0, bag: 1 },
    shallow: { ...p.shallow, minSteps: 0, weighted: { ...p.shallow.weighted, minSteps: 0 }, bag: 1 },
    base: [{ ...m, minSteps: 0, epochs: overrides.epochs ?? 2, batchSize: 16, imageSize: overrides.imageSize ?? 64, features: { trainCopies: 2, testCopies: 3, augment: 'light', batchSize: 32 } }],
  };
}
