import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';
import { BASE_ARCHS, baseArch } from './base-cnn-presets.ts';
import { buildBaseCnn, countParams, featureSizeOf, isNoDecay, paramGroupOf } from './base-cnn.ts';

const TINY = ['tiny-se-resnext', 'tiny-se-resnet', 'tiny-densenet'] as const;
let root: string;

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
  root = await mkdtemp(path.join(tmpdir(), 'base-cnn-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Sigmoid cross-entropy with logits, mean over B x 6. */
function bceWithLogits(yTrue: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.losses.sigmoidCrossEntropy(yTrue, logits);
}

function compile(model: tf.LayersModel, lr = 1e-3): void {
  model.compile({ optimizer: tf.train.adam(lr), loss: bceWithLogits });
}

/**
 * A trivially learnable batch: image i is 20 HU with a 60 HU square when i is odd; every label is
 * 1 for odd images and 0 for even ones. Returns [x [n, size, size, 1], y [n, 6]].
 */
function syntheticBatch(n: number, size: number): [tf.Tensor4D, tf.Tensor2D] {
  const x = new Float32Array(n * size * size);
  const y = new Float32Array(n * 6);
  let s = 12345;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    const positive = i % 2 === 1;
    const c = Math.floor(size / 4 + rnd() * size / 4);
    for (let r = 0; r < size; r++) for (let q = 0; q < size; q++) {
      const inSquare = positive && r >= c && r < c + size / 4 && q >= c && q < c + size / 4;
      x[(i * size + r) * size + q] = (inSquare ? 60 : 20) + (rnd() - 0.5) * 10;
    }
    for (let k = 0; k < 6; k++) y[i * 6 + k] = positive ? 1 : 0;
  }
  return [tf.tensor4d(x, [n, size, size, 1]), tf.tensor2d(y, [n, 6])];
}

describe('base CNN presets', () => {
  it('has the seed architectures and tiny variants, with the expected feature sizes', () => {
    expect(Object.keys(BASE_ARCHS).sort()).toEqual(
      ['densenet161', 'densenet169', 'se_resnet101', 'se_resnext101_32x4d', 'tiny-densenet', 'tiny-se-resnet', 'tiny-se-resnext'].sort());
    expect(featureSizeOf(baseArch('se_resnext101_32x4d'))).toBe(256);
    expect(featureSizeOf(baseArch('se_resnet101'))).toBe(256);
    expect(featureSizeOf(baseArch('densenet161'))).toBe(552);
    expect(featureSizeOf(baseArch('densenet169'))).toBe(208);
    expect(featureSizeOf(baseArch('tiny-se-resnext'))).toBe(128);
    expect(featureSizeOf(baseArch('tiny-se-resnet'))).toBe(128);
    expect(featureSizeOf(baseArch('tiny-densenet'))).toBe(64);
    expect(() => baseArch('resnet50')).toThrow(/unknown base CNN preset "resnet50"/);
    expect(() => featureSizeOf({ ...baseArch('densenet161'), poolGroup: 5 })).toThrow(/poolGroup 5 does not divide the 2208/);
  });
});

describe('paramGroupOf / isNoDecay', () => {
  it('maps weight names (original or uniquified) to their group', () => {
    const se = baseArch('se_resnext101_32x4d');
    const dn = baseArch('densenet161');
    expect(paramGroupOf(se, 'wso/kernel')).toBe('wso');
    expect(paramGroupOf(se, 'layer0_conv1/kernel')).toBe('layer0');
    expect(paramGroupOf(se, 'layer3_b12_conv2/kernel_1')).toBe('layer3');
    expect(paramGroupOf(se, 'layer4_b2_se_fc1/bias')).toBe('layer4');
    expect(paramGroupOf(se, 'classifier/kernel')).toBe('classifier');
    expect(paramGroupOf(dn, 'conv0_norm/gamma')).toBe('conv0');
    expect(paramGroupOf(dn, 'denseblock2_l5_conv1/kernel')).toBe('denseblock2');
    expect(paramGroupOf(dn, 'transition1_conv/kernel')).toBe('transition1');
    expect(paramGroupOf(dn, 'norm5/beta')).toBe('norm5');
    expect(() => paramGroupOf(se, 'denseblock1_l1_conv1/kernel')).toThrow(/no se-resnext parameter group/);
    expect(() => paramGroupOf(dn, 'layer1_b0_conv1/kernel')).toThrow(/no densenet parameter group/);
    expect(() => paramGroupOf(se, 'layer10_b0_conv1/kernel')).toThrow();
  });

  it('exempts biases and batch-norm parameters from weight decay', () => {
    for (const n of ['classifier/bias', 'wso/bias', 'layer1_b0_bn1/gamma', 'layer1_b0_bn1/beta', 'layer1_b0_se_fc1/bias_3', 'norm5/gamma_2']) {
      expect(isNoDecay(n), n).toBe(true);
    }
    for (const n of ['classifier/kernel', 'wso/kernel', 'layer1_b0_conv1/kernel', 'layer2_b0_se_fc2/kernel_1', 'denseblock1_l1_conv2/kernel']) {
      expect(isNoDecay(n), n).toBe(false);
    }
  });
});

describe('torch geometry', () => {
  it("3x3/2 'same' max pooling equals torch ceil_mode=True (no padding) on an even input", () => {
    const n = 8;
    const v = Array.from({ length: n * n }, (_, i) => Math.sin(i * 1.7) * 10);
    const got = tf.maxPool(tf.tensor4d(v, [1, n, n, 1]), 3, 2, 'same').dataSync();
    const out = Math.ceil((n - 3) / 2) + 1; // torch ceil_mode output size
    expect(got.length).toBe(out * out);
    for (let r = 0; r < out; r++) for (let c = 0; c < out; c++) {
      let m = -Infinity;
      for (let i = 2 * r; i < Math.min(2 * r + 3, n); i++) for (let j = 2 * c; j < Math.min(2 * c + 3, n); j++) m = Math.max(m, v[i * n + j]!);
      expect(got[r * out + c]).toBeCloseTo(m, 5);
    }
  });

  it('puts the stride on the grouped 3x3 conv (ResNeXt) or on the first 1x1 conv (SE-ResNet)', () => {
    const strides = (m: tf.LayersModel, layer: string): unknown => m.getLayer(layer).getConfig()['strides'];
    const x = buildBaseCnn(baseArch('tiny-se-resnext'), 64).trainModel;
    expect(x.getLayer('layer2_b0_conv2').getClassName()).toBe('ICHGroupedConv2D');
    expect(strides(x, 'layer2_b0_conv2')).toEqual([2, 2]);
    expect(strides(x, 'layer2_b0_conv1')).toEqual([1, 1]);
    expect(strides(x, 'layer2_b0_down_conv')).toEqual([2, 2]);
    const r = buildBaseCnn(baseArch('tiny-se-resnet'), 64).trainModel;
    expect(strides(r, 'layer2_b0_conv1')).toEqual([2, 2]);
    expect(strides(r, 'layer2_b0_conv2')).toEqual([1, 1]);
    x.dispose();
    r.dispose();
  });
});

describe.each(TINY)('%s', (name) => {
  const arch = baseArch(name);

  it('has the feature size, torch-like geometry, and a group for every trainable weight', () => {
    const { trainModel, featureModel, featureSize } = buildBaseCnn(arch, 64);
    expect(featureSize).toBe(featureSizeOf(arch));
    expect(featureModel.outputs.map((o) => o.shape)).toEqual([[null, featureSize], [null, 6]]);
    expect(trainModel.outputs.map((o) => o.shape)).toEqual([[null, 6]]);
    expect(trainModel.getLayer('wso').outputShape).toEqual([null, 64, 64, 3]);
    if (arch.family === 'densenet') {
      expect(trainModel.getLayer('conv0_pool').outputShape).toEqual([null, 16, 16, arch.stemChannels]);
      expect(trainModel.getLayer('norm5_relu').outputShape).toEqual([null, 2, 2, featureSize * arch.poolGroup]);
    } else {
      expect(trainModel.getLayer('layer0_pool').outputShape).toEqual([null, 16, 16, arch.stemChannels]);
      expect(trainModel.getLayer('layer4_b0_relu').outputShape).toEqual([null, 2, 2, featureSize * arch.poolGroup]);
    }
    const groups = new Set(trainModel.trainableWeights.map((w) => paramGroupOf(arch, w.originalName)));
    trainModel.trainableWeights.forEach((w) => expect(paramGroupOf(arch, w.name)).toBe(paramGroupOf(arch, w.originalName)));
    expect([...groups].sort()).toEqual(arch.family === 'densenet'
      ? ['classifier', 'conv0', 'denseblock1', 'denseblock2', 'denseblock3', 'denseblock4', 'norm5', 'transition1', 'transition2', 'transition3', 'wso']
      : ['classifier', 'layer0', 'layer1', 'layer2', 'layer3', 'layer4', 'wso']);
    expect(countParams(trainModel)).toBe(countParams(featureModel));
    trainModel.dispose();
  });

  it('is reproducible with a seed', () => {
    const a = buildBaseCnn(arch, 64, { seed: 7 });
    const b = buildBaseCnn(arch, 64, { seed: 7 });
    const c = buildBaseCnn(arch, 64, { seed: 8 });
    const wa = a.trainModel.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b.trainModel.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
    expect(c.trainModel.getWeights().map((w) => Array.from(w.dataSync()))).not.toEqual(wa);
    for (const m of [a, b, c]) m.trainModel.dispose();
  });

  it('learns a trivial batch; featureModel shares the weights and gives the same logits; save/load keeps predictions', async () => {
    const { trainModel, featureModel } = buildBaseCnn(arch, 64, { seed: 3 });
    expect(featureModel.trainableWeights).toEqual(trainModel.trainableWeights);
    compile(trainModel);
    const [x, y] = syntheticBatch(8, 64);
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) losses.push(Number(await trainModel.trainOnBatch(x, y)));
    expect(losses.every(Number.isFinite)).toBe(true);
    const first = (losses[0]! + losses[1]!) / 2;
    const last = (losses[18]! + losses[19]!) / 2;
    expect(last, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(first * 0.7);

    // eval mode: identical logits from both models, and the logits are classifier(features)
    const logits = (trainModel.predict(x) as tf.Tensor).dataSync();
    const [features, logits2] = featureModel.predict(x) as tf.Tensor[];
    expect(Array.from(logits2!.dataSync())).toEqual(Array.from(logits));
    const [k, b] = trainModel.getLayer('classifier').getWeights();
    const recomputed = tf.add(tf.matMul(features!, k!), b!).dataSync();
    recomputed.forEach((v, i) => expect(v).toBeCloseTo(logits[i]!, 4));

    // save / load through model-io: identical predictions, the same groups by name
    const dir = path.join(root, name);
    await saveModel(trainModel, dir, { preset: name });
    const loaded = await loadModel<{ preset: string }>(dir);
    expect(loaded.meta.preset).toBe(name);
    expect(countParams(loaded.model)).toBe(countParams(trainModel));
    expect(Array.from((loaded.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(logits));
    expect(loaded.model.trainableWeights.map((w) => paramGroupOf(arch, w.originalName)))
      .toEqual(trainModel.trainableWeights.map((w) => paramGroupOf(arch, w.originalName)));
    // and it trains again once compiled (a custom loss function is not serialised)
    compile(loaded.model);
    expect(Number.isFinite(Number(await loaded.model.trainOnBatch(x, y)))).toBe(true);
    loaded.model.dispose();
    trainModel.dispose();
    tf.dispose([x, y, features!, logits2!, recomputed]);
  });

  it('tiny step time (trainOnBatch, batch 16, 64 x 64): printed', async () => {
    const { trainModel } = buildBaseCnn(arch, 64, { seed: 5 });
    compile(trainModel);
    const [x, y] = syntheticBatch(16, 64);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await trainModel.trainOnBatch(x, y);
      if (i >= 2) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`${name}: trainOnBatch [16, 64, 64, 1] median ${median.toFixed(0)} ms over 5 steps (${countParams(trainModel)} params, ${tf.getBackend()})`);
    // the budget is "well under 1 s" on 2 wasm cores; loose bound so a busy machine does not flake
    expect(median).toBeLessThan(2500);
    trainModel.dispose();
    tf.dispose([x, y]);
  });
});
