/**
 * The seed's full backbones, built at 64 px (parameter counts do not depend on the input size):
 * trainable parameters = the torch model's total - its ImageNet fc + our head (F*6 + 6) + WSO (3 + 3).
 * torch totals (pretrainedmodels / torchvision, fc included; BN running stats are buffers, not parameters):
 *   se_resnext101_32x4d 48,955,416 (fc 2048*1000 + 1000), se_resnet101 49,326,872 (same fc),
 *   densenet161 28,681,000 (fc 2208*1000 + 1000), densenet169 14,149,480 (fc 1664*1000 + 1000).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { baseArch } from './base-cnn-presets.ts';
import { bodyOutputChannels, buildBaseCnn, countParams, paramGroupOf } from './base-cnn.ts';

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
});

const WSO = 3 + 3;
const CASES = [
  { name: 'se_resnext101_32x4d', torchTotal: 48_955_416, body: 2048, feature: 256, expected: 46_907_964 },
  { name: 'se_resnet101', torchTotal: 49_326_872, body: 2048, feature: 256, expected: 47_279_420 },
  { name: 'densenet161', torchTotal: 28_681_000, body: 2208, feature: 552, expected: 26_475_324 },
  { name: 'densenet169', torchTotal: 14_149_480, body: 1664, feature: 208, expected: 12_485_740 },
] as const;

describe.each(CASES)('$name', ({ name, torchTotal, body, feature, expected }) => {
  it('matches the torch parameter count, feature size and parameter groups, and runs', () => {
    const arch = baseArch(name);
    const want = torchTotal - (body * 1000 + 1000) + (feature * 6 + 6) + WSO;
    expect(want).toBe(expected);
    expect(bodyOutputChannels(arch)).toBe(body);

    const { trainModel, featureModel, featureSize } = buildBaseCnn(arch, 64);
    expect(featureSize).toBe(feature);
    expect(countParams(trainModel)).toBe(want);
    expect(featureModel.outputs.map((o) => o.shape)).toEqual([[null, feature], [null, 6]]);

    // every trainable weight has a group; per-group sizes of the parts that are easy to check by hand
    const perGroup = new Map<string, number>();
    for (const w of trainModel.trainableWeights) {
      const g = paramGroupOf(arch, w.originalName);
      perGroup.set(g, (perGroup.get(g) ?? 0) + w.shape.reduce((p: number, d) => p * (d ?? 1), 1));
    }
    expect(perGroup.get('wso')).toBe(WSO);
    expect(perGroup.get('classifier')).toBe(feature * 6 + 6);
    if (arch.family === 'densenet') {
      const c0 = arch.stemChannels;
      expect(perGroup.get('conv0')).toBe(7 * 7 * 3 * c0 + 2 * c0);
      expect(perGroup.get('norm5')).toBe(2 * body);
      expect([...perGroup.keys()].sort()).toEqual(['classifier', 'conv0', 'denseblock1', 'denseblock2', 'denseblock3', 'denseblock4',
        'norm5', 'transition1', 'transition2', 'transition3', 'wso']);
    } else {
      expect(perGroup.get('layer0')).toBe(7 * 7 * 3 * 64 + 2 * 64);
      expect([...perGroup.keys()].sort()).toEqual(['classifier', 'layer0', 'layer1', 'layer2', 'layer3', 'layer4', 'wso']);
      expect(trainModel.getLayer('layer3_b22_relu').outputShape).toEqual([null, 4, 4, 1024]);
      expect(trainModel.getLayer('layer4_b2_relu').outputShape).toEqual([null, 2, 2, 2048]);
    }
    const sum = [...perGroup.values()].reduce((a, b) => a + b, 0);
    expect(sum).toBe(want);

    const x = tf.randomNormal([1, 64, 64, 1], 40, 200, 'float32', 1);
    const [f, logits] = featureModel.predict(x) as tf.Tensor[];
    expect(f!.shape).toEqual([1, feature]);
    expect(logits!.shape).toEqual([1, 6]);
    expect(Array.from(logits!.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, f!, logits!]);
    trainModel.dispose();
  });
});
