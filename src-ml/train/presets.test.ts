import { describe, expect, it } from 'vitest';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import { buildBaseCnn, paramGroupOf } from '../models/base-cnn.ts';
import { loadPreset, validatePreset } from './presets.ts';

describe('presets', () => {
  it('tiny and rsna load and every trainable group of every model has a learning rate', () => {
    for (const name of ['tiny', 'rsna']) {
      const preset = loadPreset(name);
      for (const m of preset.base) {
        const arch = BASE_ARCHS[m.arch]!;
        // Groups come from the names of the built model (tiny size is enough: names do not depend on size).
        if (arch.blocks.reduce((a, b) => a + b, 0) > 20) continue; // the 101/161/169-layer nets: checked by group names below
        const { trainModel } = buildBaseCnn(arch, 64);
        for (const w of trainModel.trainableWeights) expect(m.optimizer.lr[paramGroupOf(arch, w.name)], `${m.name} ${w.name}`).toBeTypeOf('number');
        trainModel.dispose();
      }
    }
  });

  it('rsna carries the seed numbers', () => {
    const rsna = loadPreset('rsna');
    const se = rsna.base.find((m) => m.name === 'se_resnext101_32x4d_5')!;
    expect(se.optimizer.lr).toMatchObject({ wso: 5e-6, layer0: 1e-5, layer4: 1.6e-4, classifier: 2e-4 });
    expect(se.imageSize).toBe(512);
    expect(rsna.folds).toEqual({ k: 5, seed: 432 });
    expect(rsna.base.find((m) => m.name === 'densenet169_3')!.schedule.tau).toBe(1.5);
  });

  it('rejects a bad field with its path', () => {
    const good = loadPreset('tiny');
    const bad = structuredClone(good) as unknown as { base: { epochs: number; arch: string }[] };
    bad.base[0]!.epochs = 0;
    expect(() => validatePreset(bad, 'x.json')).toThrow(/x\.json\.base\[0\]\.epochs/);
    bad.base[0]!.epochs = 2;
    bad.base[0]!.arch = 'resnet9000';
    expect(() => validatePreset(bad, 'x.json')).toThrow(/unknown arch "resnet9000"/);
    expect(() => loadPreset('/nonexistent/p.json')).toThrow(/preset \/nonexistent\/p\.json/);
  });
});
