// The presets, every model of each: tiny and rsna go through the same checks. Every base model is built (at 64 px:
// no weight shape depends on the input size, and a 512 px SE-ResNeXt101 costs seconds more for nothing) and its
// parameter count, output shapes, windowing layer and learning-rate groups are checked; rsna's settings are then
// compared with the seed's numbers (shared/docs/seed-solution-spec.md sections 0, 1, 3, 4, 5; docs/seed-pipeline.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../../src-shared/labels.ts';
import { type BaseCnnArch, BASE_ARCHS, baseArch } from '../models/base-cnn-presets.ts';
import { buildBaseCnn, countParams, paramGroupOf, type BaseCnn } from '../models/base-cnn.ts';
import { initBackend } from '../nn/backend.ts';
import { DENSENET_WINDOWS, SE_NET_WINDOWS } from '../nn/layers/windowing.ts';
import { memberFoldSchemes } from './pipeline.ts';
import { type BaseModelPreset, foldsOf, loadPreset, PRESET_DIR, type Preset, validatePreset } from './presets.ts';

const BUILD_SIZE = 64;

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
});

// ---------------------------------------------------------------------------------------------------------------
// Parameter counts of the PyTorch definitions, computed here from the module definitions, not from our tfjs build:
//   SE-nets: Cadene pretrainedmodels, pretrainedmodels/models/senet.py (commit 32122d7): SENet(input_3x3=False,
//     inplanes=64, downsample_kernel_size=1, downsample_padding=0), SEResNeXtBottleneck / SEResNetBottleneck,
//     SEModule (fc1, fc2 = 1x1 convs with bias), last_linear(2048 -> 1000).
//   DenseNets: torchvision/models/densenet.py: conv0 7x7 + norm0, _DenseLayer (norm1, conv1 1x1 to bn_size*k,
//     norm2, conv2 3x3 to k), _Transition (norm, 1x1 conv to floor(c * 0.5)), norm5, classifier(c -> 1000).
// Convolutions have no bias except the SE fcs; a BatchNorm has 2*C parameters (its running stats are buffers).
// The same formula with a tiny arch's hyper-parameters counts the tiny nets.
// ---------------------------------------------------------------------------------------------------------------
function torchParams(a: BaseCnnArch): { total: number; bodyChannels: number } {
  const bn = (c: number) => 2 * c;
  if (a.family === 'densenet') {
    const k = a.growthRate!;
    const inner = a.bnSize! * k;
    let c = a.stemChannels;
    let n = 3 * c * 7 * 7 + bn(c);
    a.blocks.forEach((layers, i) => {
      for (let l = 0; l < layers; l++, c += k) n += bn(c) + c * inner + bn(inner) + inner * k * 9;
      if (i < a.blocks.length - 1) {
        const out = Math.floor(c * a.compression!);
        n += bn(c) + c * out;
        c = out;
      }
    });
    return { total: n + bn(c) + c * 1000 + 1000, bodyChannels: c };
  }
  const exp = a.expansion!;
  const g = a.groups ?? 1;
  let inplanes = a.stemChannels;
  let n = 3 * inplanes * 7 * 7 + bn(inplanes);
  a.widths.forEach((planes, stage) => {
    for (let b = 0; b < a.blocks[stage]!; b++) {
      const out = planes * exp;
      // SEResNeXtBottleneck: width = floor(planes * base_width / 64) * groups; SEResNetBottleneck: planes.
      const mid = a.family === 'se-resnext' ? Math.floor((planes * a.baseWidth!) / 64) * g : planes;
      n += inplanes * mid + bn(mid) + (mid / g) * mid * 9 + bn(mid) + mid * out + bn(out);
      const r = Math.floor(out / a.seReduction!);
      n += out * r + r + r * out + out;
      // _make_layer: downsample when stride != 1 (stages 2-4) or inplanes != planes * expansion
      if (b === 0 && (stage > 0 || inplanes !== out)) n += inplanes * out + bn(out);
      inplanes = out;
    }
  });
  return { total: n + inplanes * 1000 + 1000, bodyChannels: inplanes };
}

// The recorded totals (ImageNet head included): torchvision/models/densenet.py DenseNet{121,161,169}_Weights
// .IMAGENET1K_V1.meta["num_params"]; the SE-nets as printed by sum(p.numel() for p in model.parameters()) on
// pretrainedmodels' definitions (the formula above gives the same numbers from senet.py).
const TORCH_TOTALS: Record<string, number> = {
  se_resnext101_32x4d: 48_955_416,
  se_resnext50_32x4d: 27_559_896,
  se_resnet101: 49_326_872,
  se_resnet50: 28_088_024,
  densenet161: 28_681_000,
  densenet169: 14_149_480,
  densenet121: 7_978_856,
};
// The 50-layer SE-nets and DenseNet121 are the other ImageNet checkpoints `ich weights import` names; they are
// not in the seed's member set nor in BASE_ARCHS, so they are built below from the 101-layer archs with the
// torch depths (same code path) when BASE_ARCHS lacks them.
const EXTRA_ARCHS: Record<string, BaseCnnArch> = {
  se_resnext50_32x4d: { ...baseArch('se_resnext101_32x4d'), blocks: [3, 4, 6, 3] },
  se_resnet50: { ...baseArch('se_resnet101'), blocks: [3, 4, 6, 3] },
  densenet121: { ...baseArch('densenet169'), blocks: [6, 12, 24, 16] },
};
const archOf = (name: string): BaseCnnArch => BASE_ARCHS[name] ?? EXTRA_ARCHS[name]!;

/** Trainable parameters of our model for a torch net: torch total - its ImageNet fc + the seed's head (F*6 + 6) + WSO (3 + 3). */
function expectedTrainable(a: BaseCnnArch, torchTotal: number, bodyChannels: number): number {
  const feature = bodyChannels / a.poolGroup;
  return torchTotal - (bodyChannels * 1000 + 1000) + (feature * 6 + 6) + (3 + 3);
}

const built = new Map<string, BaseCnn>();
function build(archName: string): BaseCnn {
  let m = built.get(archName);
  if (!m) {
    m = buildBaseCnn(archOf(archName), BUILD_SIZE);
    built.set(archName, m);
  }
  return m;
}
function release(archName: string): void {
  built.get(archName)?.trainModel.dispose();
  built.delete(archName);
}
afterAll(() => {
  for (const name of [...built.keys()]) release(name);
});

const SE_GROUPS = ['classifier', 'layer0', 'layer1', 'layer2', 'layer3', 'layer4', 'wso'];
const DENSE_GROUPS = ['classifier', 'conv0', 'denseblock1', 'denseblock2', 'denseblock3', 'denseblock4', 'norm5', 'transition1', 'transition2',
  'transition3', 'wso'];

/** The checks every built net goes through: torch parameter count, output shapes, windowing layer, parameter groups. */
function checkArch(archName: string): Set<string> {
  const arch = archOf(archName);
  const { trainModel, featureModel, featureSize } = build(archName);
  const { total, bodyChannels } = torchParams(arch);
  if (TORCH_TOTALS[archName] !== undefined) expect(total, `${archName}: formula vs recorded torch total`).toBe(TORCH_TOTALS[archName]);

  // parameter count and feature size, against the torch definition
  expect(featureSize).toBe(bodyChannels / arch.poolGroup);
  expect(countParams(trainModel), `${archName} trainable parameters`).toBe(expectedTrainable(arch, total, bodyChannels));
  expect(countParams(featureModel)).toBe(countParams(trainModel));

  // output shapes; the body's last map at 64 px (stem stride 2, max pool, three stride-2 stages: / 32)
  expect(trainModel.inputs[0]!.shape).toEqual([null, BUILD_SIZE, BUILD_SIZE, 1]);
  expect(trainModel.outputs.map((o) => o.shape)).toEqual([[null, 6]]);
  expect(featureModel.outputs.map((o) => o.shape)).toEqual([[null, featureSize], [null, 6]]);
  const spatial = BUILD_SIZE / (16 * (arch.stemStride ?? 2));
  const last = arch.family === 'densenet' ? 'norm5_relu' : `layer4_b${arch.blocks[3]! - 1}_relu`;
  expect(trainModel.getLayer(last).outputShape).toEqual([null, spatial, spatial, bodyChannels]);

  // the windowing layer: 1 HU channel -> 3 windows, initialised 1/W and 0.5 - C/W (times the arch's gain)
  const wso = trainModel.getLayer('wso');
  expect(wso.outputShape).toEqual([null, BUILD_SIZE, BUILD_SIZE, 3]);
  const [kernel, bias] = wso.getWeights();
  const gain = arch.windowGain ?? 1;
  const windows = arch.family === 'densenet' ? DENSENET_WINDOWS : SE_NET_WINDOWS;
  expect(kernel!.shape).toEqual([1, 1, 1, 3]);
  Array.from(kernel!.dataSync()).forEach((k, c) => expect(k).toBeCloseTo(gain / windows[c]![1], 7));
  Array.from(bias!.dataSync()).forEach((b, c) => expect(b).toBeCloseTo(0.5 - (gain * windows[c]![0]) / windows[c]![1], 6));

  const groups = new Set(trainModel.trainableWeights.map((w) => paramGroupOf(arch, w.originalName)));
  expect([...groups].sort()).toEqual(arch.family === 'densenet' ? DENSE_GROUPS : SE_GROUPS);
  return groups;
}

/** The checks every base model of every preset goes through, on its arch's groups. */
function checkBaseModel(preset: Preset, m: BaseModelPreset, groups: Set<string>): void {
  // learning rates: every trainable weight's group has one, and every group the preset names exists in the net
  // (a misspelt group would be silently ignored by the optimizer)
  expect(Object.keys(m.optimizer.lr).sort(), `${m.name} lr groups`).toEqual([...groups].sort());
  for (const g of groups) expect(m.optimizer.lr[g], `${m.name} lr.${g}`).toBeTypeOf('number');

  // the folds it trains on and the size it trains at
  const folds = foldsOf(preset, m);
  expect(folds.k).toBeGreaterThanOrEqual(2);
  expect(m.imageSize % 32, `${m.name} imageSize`).toBe(0);
  if (m.initFrom) {
    const from = preset.base.find((b) => b.name === m.initFrom)!;
    expect(from.arch, `${m.name} starts from a model of its arch`).toBe(m.arch);
    expect(foldsOf(preset, from), `${m.name} starts from the same folds`).toEqual(folds);
    expect(from.imageSize).toBe(m.imageSize);
  }
}

/** One forward pass on one image: finite logits, features of the preset's size. */
function runsForward(archName: string): void {
  const { featureModel, featureSize } = build(archName);
  const x = tf.randomNormal([1, BUILD_SIZE, BUILD_SIZE, 1], 40, 200, 'float32', 1);
  const [f, logits] = featureModel.predict(x) as tf.Tensor[];
  expect(f!.shape).toEqual([1, featureSize]);
  expect(logits!.shape).toEqual([1, 6]);
  expect(Array.from(logits!.dataSync()).every(Number.isFinite)).toBe(true);
  tf.dispose([x, f!, logits!]);
}

describe.each(['tiny', 'rsna'])('preset %s', (name) => {
  const preset = loadPreset(name);

  it('validates as written, with unique names and initFrom pointing back', () => {
    const raw: unknown = JSON.parse(readFileSync(path.join(PRESET_DIR, `${name}.json`), 'utf8'));
    expect(validatePreset(raw, `${name}.json`)).toEqual(preset);
    expect(preset.name).toBe(name);
    expect(new Set(preset.base.map((m) => m.name)).size).toBe(preset.base.length);
  });

  // one test per arch: the models that share it are checked on one build, which is then freed
  const archs = [...new Set(preset.base.map((m) => m.arch))];
  it.each(archs)('%s: torch parameter count, shapes, windowing, a learning rate for every group; runs', (arch) => {
    const groups = checkArch(arch);
    for (const m of preset.base.filter((b) => b.arch === arch)) checkBaseModel(preset, m, groups);
    runsForward(arch);
    release(arch);
  });
});

// The seed's member set (spec section 0) uses four backbones; any rsna does not list are still built here.
const SEED_ARCHS = ['se_resnext101_32x4d', 'se_resnet101', 'densenet169', 'densenet161'];
const RSNA_ARCHS = new Set(loadPreset('rsna').base.map((m) => m.arch));

describe("the seed's backbones rsna does not list, and the other ImageNet checkpoints, at torch depth", () => {
  const names = [...SEED_ARCHS.filter((n) => !RSNA_ARCHS.has(n)), ...Object.keys(EXTRA_ARCHS).filter((n) => !(n in BASE_ARCHS))];
  it.each(names)('%s: torch parameter count, shapes, windowing, parameter groups', (name) => {
    expect(TORCH_TOTALS[name]).toBeDefined();
    checkArch(name);
    release(name);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// rsna against the seed (spec section 3 "Training regime and sampling", "Optimizer", "LR schedule"; sections 4, 5).
// Each rsna model is matched to the seed run it reproduces by (arch, folds, loss, whether it starts from another).
// ---------------------------------------------------------------------------------------------------------------
const SE_LR = { wso: 5e-6, layer0: 1e-5, layer1: 2e-5, layer2: 4e-5, layer3: 8e-5, layer4: 1.6e-4, classifier: 2e-4 };
// DenseNet transitions: in no group in the seed, so never updated (LR 0 here).
const DENSE_LR = { wso: 1e-5, conv0: 2e-5, denseblock1: 2e-5, denseblock2: 4e-5, denseblock3: 8e-5, denseblock4: 1.6e-4, norm5: 1e-4,
  classifier: 1e-3, transition1: 0, transition2: 0, transition3: 0 };
const F3 = { k: 3, seed: 8153 };
const F5 = { k: 5, seed: 432 };
/** Sampler repeats by label name, for the project's label order. */
const repeats = (r: Partial<Record<(typeof LABELS)[number], number>>) => LABELS.map((l) => r[l] ?? 0);

interface SeedRun {
  run: string;
  folds: { k: number; seed: number };
  epochs: number;
  cycles: number;
  sampler: BaseModelPreset['sampler'];
  augment: BaseModelPreset['augment'];
  keep: 'best' | 'last';
  tau: number;
  lr: Record<string, number>;
  /** The seed run this one starts from, or none (ImageNet). */
  from?: string;
  /** Its features feed the shallow models. */
  features: boolean;
}
const SEED_RUNS: Record<string, SeedRun> = {
  // 5-fold new_splits: 6 epochs, each re-sampling 50% of the negatives + every positive, shift 20, best epoch kept
  'se_resnext101_32x4d/5/bce': { run: 'se_resnext101_32x4d_5', folds: F5, epochs: 6, cycles: 6, sampler: { negativeFraction: 0.5 },
    augment: 'se-shift20', keep: 'best', tau: 1, lr: SE_LR, features: true },
  'se_resnet101/5/bce': { run: 'se_resnet101_5', folds: F5, epochs: 6, cycles: 6, sampler: { negativeFraction: 0.5 }, augment: 'se-shift20',
    keep: 'best', tau: 1, lr: SE_LR, features: true },
  // focal: from the 5-fold SE-ResNet101, 2 more epochs with focal loss, same sampler, shift 20
  'se_resnet101/5/focal': { run: 'se_resnet101_focal', folds: F5, epochs: 2, cycles: 2, sampler: { negativeFraction: 0.5 },
    augment: 'se-shift20', keep: 'best', tau: 1, lr: SE_LR, from: 'se_resnet101/5/bce', features: true },
  // 3-fold classifier_splits SE-nets: 5 epochs on the full fold (no sampler), shift 10, last epoch used
  'se_resnext101_32x4d/3/bce': { run: 'se_resnext101_32x4d_3', folds: F3, epochs: 5, cycles: 5, sampler: { negativeFraction: 1 }, augment: 'se',
    keep: 'last', tau: 1, lr: SE_LR, features: true },
  'se_resnet101/3/bce': { run: 'se_resnet101_3', folds: F3, epochs: 5, cycles: 5, sampler: { negativeFraction: 1 }, augment: 'se',
    keep: 'last', tau: 1, lr: SE_LR, features: true },
  // DenseNets, stage 1 (basic_splits): 2 epochs, 1 cycle, 20% of the negatives, epidural x10, other subtypes x1, any x0
  ...Object.fromEntries(['densenet169', 'densenet161'].flatMap((d) => [
    [`${d}/3/bce/stage1`, { run: `${d}_3 stage 1`, folds: F3, epochs: 2, cycles: 1,
      sampler: { negativeFraction: 0.2, perClassRepeats: repeats({ epidural: 10, intraparenchymal: 1, intraventricular: 1, subarachnoid: 1, subdural: 1 }) },
      augment: 'densenet', keep: 'last', tau: 1, lr: DENSE_LR, features: false } satisfies SeedRun],
    // stage 2 (classifier_splits): from stage 1, 3 epochs on the full data, tau 1.5, last epoch used
    [`${d}/3/bce`, { run: `${d}_3`, folds: F3, epochs: 3, cycles: 3, sampler: { negativeFraction: 1 }, augment: 'densenet', keep: 'last',
      tau: 1.5, lr: DENSE_LR, from: `${d}/3/bce/stage1`, features: true } satisfies SeedRun],
  ])),
};

function seedKey(preset: Preset, m: BaseModelPreset): string {
  const base = `${m.arch}/${foldsOf(preset, m).k}/${m.loss}`;
  // a DenseNet run that starts from nothing is the seed's stage 1
  return m.arch.startsWith('densenet') && !m.initFrom ? `${base}/stage1` : base;
}

describe('rsna carries the seed numbers', () => {
  const rsna = loadPreset('rsna');

  it('preset-wide folds: 5-fold KFold by patient, seed 432', () => {
    expect(rsna.folds).toEqual(F5);
  });

  it("the seed's member set: every seed run is a model, every feature run's full heads train on its own folds", () => {
    expect(rsna.base.map((m) => seedKey(rsna, m)).sort()).toEqual(Object.keys(SEED_RUNS).sort());
    // spec section 0: Zahar's candidates d7 (D161), d9/d11 (SE-ResNeXt101 3/5 folds), d12/d13 (SE-ResNet101 5, focal); Yuval's
    // Pooled-Res of D169, both SE-nets on 3 and on 5 folds and the focal net: here every one of them gets both heads
    expect(rsna.base.filter((m) => m.features).map((m) => seedKey(rsna, m)).sort()).toEqual([
      'densenet161/3/bce', 'densenet169/3/bce', 'se_resnet101/3/bce', 'se_resnet101/5/bce', 'se_resnet101/5/focal', 'se_resnext101_32x4d/3/bce',
      'se_resnext101_32x4d/5/bce',
    ]);
    expect(memberFoldSchemes(rsna)).toEqual([F5, F3]);
  });

  // The seed fine-tuned ImageNet bodies: a model that starts from nothing names that start and the rates it
  // would take from random init instead (--from-scratch); one that starts from another model takes neither.
  const SE_SCRATCH = { wso: 5e-5, layer0: 1e-3, layer1: 1e-3, layer2: 1e-3, layer3: 1e-3, layer4: 1e-3, classifier: 2e-3 };
  const DENSE_SCRATCH = { wso: 5e-5, conv0: 1e-3, denseblock1: 1e-3, denseblock2: 1e-3, denseblock3: 1e-3, denseblock4: 1e-3, transition1: 1e-3,
    transition2: 1e-3, transition3: 1e-3, norm5: 1e-3, classifier: 2e-3 };
  it.each(rsna.base.map((m) => [m.name, m] as const))('%s: ImageNet init from <workspace>/weights, documented from-scratch rates', (_n, m) => {
    if (m.initFrom) {
      expect(m.init).toBeUndefined();
      return;
    }
    expect(m.init).toMatchObject({ weights: 'imagenet', dir: 'weights' });
    expect(m.init!.fromScratch.lr).toEqual(m.arch.startsWith('densenet') ? DENSE_SCRATCH : SE_SCRATCH);
    expect(m.init!.fromScratch.note).toMatch(/from random init/);
  });

  it.each(rsna.base.map((m) => [m.name, m] as const))('%s: folds, epochs, sampler, loss, schedule, LRs, optimizer, features', (_n, m) => {
    const key = seedKey(rsna, m);
    const seed = SEED_RUNS[key];
    expect(seed, `${m.name} (${key}) reproduces no seed run`).toBeDefined();
    const s = seed!;
    expect(foldsOf(rsna, m), s.run).toEqual(s.folds);
    expect(m.imageSize).toBe(512);
    expect(m.batchSize).toBe(32);
    expect(m.epochs).toBe(s.epochs);
    expect(m.cycles ?? m.epochs, 'schedule restarts: one per epoch, one in all for DenseNet stage 1').toBe(s.cycles);
    expect(m.sampler.negativeFraction).toBe(s.sampler.negativeFraction);
    expect(m.sampler.perClassRepeats).toEqual(s.sampler.perClassRepeats);
    expect(m.augment).toBe(s.augment);
    expect(m.keep).toBe(s.keep);
    // BertAdam: wd 0.01, clip 1.0 per tensor; WarmupExpCosineWithWarmupRestarts: warmup 0.002 of a cycle
    expect(m.optimizer.weightDecay).toBe(0.01);
    expect(m.optimizer.maxGradNorm).toBe(1);
    expect(m.optimizer.lr).toEqual(s.lr);
    expect(m.schedule).toEqual({ tau: s.tau, warmup: 0.002 });
    if (s.from) {
      const from = rsna.base.find((b) => b.name === m.initFrom);
      expect(from && seedKey(rsna, from), `${m.name} starts from ${s.from}`).toBe(s.from);
    } else {
      expect(m.initFrom).toBeUndefined();
    }
    // features: 4 augmented copies per train image, 8 per test image, batch 96
    if (s.features) expect(m.features).toMatchObject({ trainCopies: 4, testCopies: 8, batchSize: 96 });
    else expect(m.features).toBeUndefined();
  });

  it('Pooled-Res: 24 epochs, batch 16, BertAdam 1e-3 / wd 0.01 / clip 1, 2 cycles, best 3 averaged, 3-of-4 train, 4-of-8 test, 32 passes', () => {
    expect(rsna.pooledRes).toMatchObject({
      epochs: 24, batchSize: 16, lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1, cycles: 2, tau: 1, warmup: 0.002, bestAverage: 3,
      trainCopies: 3, valCopies: 4, oofPasses: 32, testCopies: 4, testPasses: 32,
    });
    expect(rsna.pooledRes.minSteps).toBeUndefined();
  });

  it("the shallow NN: batch 32, Adam (0.9, 0.99) re-created each epoch, L2 1e-4, 13 epochs in 4 steps; the risky fine-tune 1e-5 x2, 5e-6 x1", () => {
    expect(rsna.shallow.batchSize).toBe(32);
    expect(rsna.shallow.betas).toEqual([0.9, 0.99]);
    expect(rsna.shallow.weightDecay).toBe(1e-4);
    expect(rsna.shallow.lrSteps).toEqual([[2e-4, 4], [2e-5, 4], [5e-6, 3], [2e-6, 2]]);
    expect(rsna.shallow.lrSteps.reduce((a, [, e]) => a + e, 0)).toBe(13);
    expect(rsna.shallow.weighted.lrSteps).toEqual([[1e-5, 2], [5e-6, 1]]);
    expect(rsna.shallow.minSteps).toBeUndefined();
  });
});

describe('validatePreset', () => {
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

  it('folds: tiny draws them stratified, rsna as the seed (plain KFold); stratify must be a boolean', () => {
    const tiny = loadPreset('tiny');
    expect(tiny.folds).toEqual({ k: 3, seed: 8153, stratify: true });
    expect(loadPreset('rsna').folds.stratify).toBeUndefined();
    const bad = structuredClone(tiny) as unknown as { folds: { stratify: unknown } };
    bad.folds.stratify = 'yes';
    expect(() => validatePreset(bad, 'x.json')).toThrow(/x\.json\.folds\.stratify: expected true or false, got "yes"/);
  });

  it("rejects rsna's staged runs out of order and its sampler and feature fields when malformed", () => {
    const rsna = loadPreset('rsna');
    const staged = rsna.base.findIndex((m) => m.initFrom);
    expect(staged).toBeGreaterThan(0);
    const reordered = structuredClone(rsna);
    const [m] = reordered.base.splice(staged, 1);
    reordered.base.unshift(m!);
    expect(() => validatePreset(reordered, 'r.json')).toThrow(/r\.json\.base\[0\]: initFrom must name an earlier model/);
    const repeatsBad = structuredClone(rsna);
    const d = repeatsBad.base.findIndex((b) => b.sampler.perClassRepeats);
    expect(d).toBeGreaterThanOrEqual(0);
    repeatsBad.base[d]!.sampler.perClassRepeats = [10, 1, 1, 1, 1];
    expect(() => validatePreset(repeatsBad, 'r.json')).toThrow(new RegExp(`r\\.json\\.base\\[${d}\\]: sampler\\.perClassRepeats must have 6 entries`));
    const ttaBad = structuredClone(rsna) as unknown as { base: { features?: { augment: string } }[] };
    ttaBad.base[0]!.features!.augment = 'densenet';
    expect(() => validatePreset(ttaBad, 'r.json')).toThrow(/r\.json\.base\[0\]\.features\.augment: expected one of/);
    const dup = structuredClone(rsna);
    dup.base[1]!.name = dup.base[0]!.name;
    expect(() => validatePreset(dup, 'r.json')).toThrow(/duplicate model name/);
  });

  it('rejects an init without from-scratch rates for every group, of another kind, or beside initFrom', () => {
    const rsna = loadPreset('rsna');
    const missing = structuredClone(rsna);
    delete (missing.base[0]!.init!.fromScratch.lr as Record<string, number>).layer4;
    expect(() => validatePreset(missing, 'r.json')).toThrow(/r\.json\.base\[0\]\.init\.fromScratch\.lr: must name the groups of optimizer\.lr/);
    const kind = structuredClone(rsna) as unknown as { base: { init: { weights: string } }[] };
    kind.base[0]!.init.weights = 'random';
    expect(() => validatePreset(kind, 'r.json')).toThrow(/r\.json\.base\[0\]\.init\.weights: expected one of imagenet/);
    const both = structuredClone(rsna);
    const staged = both.base.findIndex((m) => m.initFrom);
    both.base[staged]!.init = structuredClone(rsna.base[0]!.init);
    expect(() => validatePreset(both, 'r.json')).toThrow(/a model with initFrom starts from that model: it takes no init/);
  });
});
