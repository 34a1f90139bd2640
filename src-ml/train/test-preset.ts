// The tiny preset made smaller still for tests: 2 folds, 2 epochs, batch 16, few TTA copies, 12 Pooled-Res epochs.
import { loadPreset, type Preset } from './presets.ts';

export function testPreset(overrides: { epochs?: number; imageSize?: number } = {}): Preset {
  const p = loadPreset('tiny');
  const m = p.base[0]!;
  return {
    ...p,
    name: 'tiny',
    folds: { k: 2, seed: 8153 },
    pooledRes: { ...p.pooledRes, epochs: 12 },
    base: [{ ...m, epochs: overrides.epochs ?? 2, batchSize: 16, imageSize: overrides.imageSize ?? 64, features: { trainCopies: 2, testCopies: 3, augment: 'light', batchSize: 32 } }],
  };
}
