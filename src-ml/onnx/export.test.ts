/**
 * The ONNX exporter against tfjs, per model family at tiny sizes: each exported graph passes
 * onnx.checker.check_model(full_check=True) (Debian's python3-onnx) and gives tfjs's outputs on ONNX Runtime
 * within 1e-4 (relErr: max abs difference over max(1, max |tfjs|)), with perturbed batch-norm statistics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { type BaseCnnArch, baseArch } from '../models/base-cnn-presets.ts';
import { buildBaseCnn } from '../models/base-cnn.ts';
import { assemblePooledResBag, buildPooledRes, FULLHEAD_SLICES } from '../models/pooled-res.ts';
import { assembleShallowBag, buildShallowNN, seedShallowNnConfig, SHALLOW_CONTINUOUS, SHALLOW_ROWS } from '../models/shallow-nn.ts';
import { initBackend } from '../nn/backend.ts';
import { buildBenchCNN } from '../nn/bench-cnn.ts';
import { windowing } from '../nn/layers/windowing.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';
import { relErr } from '../testing/numeric.ts';
import { exportToOnnx, type OnnxExport, type OnnxFamily } from './export.ts';
import { checkOnnx, type Feed, hasPythonOnnx, perturbWeights, runOnnx, runTfjs } from './export-test-utils.ts';

const TOLERANCE = 1e-4;
const HAVE_ONNX = hasPythonOnnx();

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { env: { ICH_BACKEND: 'wasm' }, log: () => undefined });
});

function normal(n: number, mean: number, std: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => mean + std * rng.normal());
}

/** The rsna preset's SE-ResNeXt block structure (32 groups, expansion 4, stride-2 stem, SE r 16) at a small width. */
const RSNA_SHAPED_SE_RESNEXT: BaseCnnArch = {
  ...baseArch('se_resnext101_32x4d'),
  blocks: [1, 1, 2, 1],
  stemChannels: 16,
  widths: [16, 32, 64, 128],
};

interface Case {
  label: string;
  family: OnnxFamily;
  build: () => tf.LayersModel;
  feeds: (batch: number) => Feed[];
}

const imageFeed = (size: number, seed: number) => (batch: number): Feed[] =>
  [{ data: normal(batch * size * size, 40, 300, seed), dims: [batch, size, size, 1] }];

const POOLED_F = 16;
const SHALLOW_F = 8;
const shallowCfg = seedShallowNnConfig(SHALLOW_F);

function shallowFeeds(batch: number): Feed[] {
  const rng = createRng(11);
  const rows = batch * SHALLOW_ROWS;
  const cards = shallowCfg.catCardinality;
  // mostly valid codes, some out of range on both sides (tfjs gives those a zero embedding)
  const codes = Int32Array.from({ length: rows * cards.length }, (_, i) => {
    const card = cards[i % cards.length]!;
    return rng.chance(0.1) ? rng.pick([-1, card, card + 3]) : rng.int(0, card - 1);
  });
  return [
    { data: normal(rows * SHALLOW_F, 0, 1, 12), dims: [batch, SHALLOW_ROWS, SHALLOW_F] },
    { data: normal(rows * SHALLOW_CONTINUOUS, 0, 1, 13), dims: [batch, SHALLOW_ROWS, SHALLOW_CONTINUOUS] },
    { data: codes, dims: [batch, SHALLOW_ROWS, cards.length] },
  ];
}

/** A bag of nets `one(seed)`, each with its own perturbed weights, merged by `assemble` (the members disposed). */
function bagOf(seeds: number[], one: (seed: number) => tf.LayersModel, assemble: (members: tf.LayersModel[]) => tf.LayersModel): tf.LayersModel {
  const members = seeds.map((seed) => {
    const m = one(seed);
    perturbWeights(m, seed);
    return m;
  });
  const bag = assemble(members);
  members.forEach((m) => m.dispose());
  return bag;
}

const CASES: Case[] = [
  { label: 'tiny-se-resnext 64 px', family: 'base-cnn', build: () => buildBaseCnn(baseArch('tiny-se-resnext'), 64, { seed: 1 }).featureModel, feeds: imageFeed(64, 2) },
  { label: 'tiny-se-resnet 64 px', family: 'base-cnn', build: () => buildBaseCnn(baseArch('tiny-se-resnet'), 64, { seed: 3 }).featureModel, feeds: imageFeed(64, 4) },
  { label: 'tiny-densenet 64 px', family: 'base-cnn', build: () => buildBaseCnn(baseArch('tiny-densenet'), 64, { seed: 5 }).featureModel, feeds: imageFeed(64, 6) },
  // 76 px: odd map sizes (19, 5) and asymmetric 'same' pooling pads on the way down
  { label: 'rsna-shaped SE-ResNeXt 76 px', family: 'base-cnn', build: () => buildBaseCnn(RSNA_SHAPED_SE_RESNEXT, 76, { seed: 7 }).featureModel, feeds: imageFeed(76, 8) },
  {
    label: 'Pooled-Res F 16, 3 copies',
    family: 'pooled-res',
    build: () => buildPooledRes(POOLED_F, { seed: 9 }),
    feeds: (batch) => [{ data: normal(batch * FULLHEAD_SLICES * 3 * POOLED_F, 0, 1, 10), dims: [batch, FULLHEAD_SLICES, 3, POOLED_F] }],
  },
  {
    label: 'Pooled-Res bag of 3, F 16, 4 copies',
    family: 'pooled-res',
    build: () => bagOf([21, 22, 23], (seed) => buildPooledRes(POOLED_F, { seed }), (ms) => assemblePooledResBag(POOLED_F, ms)),
    feeds: (batch) => [{ data: normal(batch * FULLHEAD_SLICES * 4 * POOLED_F, 0, 1, 24), dims: [batch, FULLHEAD_SLICES, 4, POOLED_F] }],
  },
  { label: 'shallow NN F 8', family: 'shallow', build: () => buildShallowNN(shallowCfg, { seed: 11 }), feeds: shallowFeeds },
  {
    label: 'shallow NN bag of 2, F 8',
    family: 'shallow',
    build: () => bagOf([31, 32], (seed) => buildShallowNN(shallowCfg, { seed }), (ms) => assembleShallowBag(shallowCfg, ms)),
    feeds: shallowFeeds,
  },
  // ich bench train's inference figure: 'same' convolutions, max pooling, a dense head with sigmoid
  {
    label: 'BenchCNN 32 px',
    family: 'base-cnn',
    build: () => buildBenchCNN(32, 3),
    feeds: (batch) => [{ data: normal(batch * 32 * 32 * 3, 0, 10, 14), dims: [batch, 32, 32, 3] }],
  },
];

const exported = new Map<string, { model: tf.LayersModel; onnx: OnnxExport }>();

async function exportOf(c: Case): Promise<{ model: tf.LayersModel; onnx: OnnxExport }> {
  let e = exported.get(c.label);
  if (!e) {
    const model = c.build();
    perturbWeights(model, 99);
    e = { model, onnx: await exportToOnnx(model, c.family) };
    exported.set(c.label, e);
  }
  return e;
}

afterAll(() => {
  for (const { model } of exported.values()) model.dispose();
});

describe.each(CASES)('$label', (c) => {
  it('keeps the tfjs inputs and outputs, batch dynamic', async () => {
    const { model, onnx } = await exportOf(c);
    expect(onnx.family).toBe(c.family);
    expect(onnx.inputs.map((i) => i.shape)).toEqual(model.inputs.map((t) => t.shape));
    expect(onnx.inputs.map((i) => i.dtype)).toEqual(model.inputs.map((t) => t.dtype));
    expect(onnx.outputs.map((o) => o.shape)).toEqual(model.outputs.map((t) => t.shape));
    expect(onnx.inputs.every((i) => i.shape[0] === null)).toBe(true);
  });

  it('equals the tfjs forward on ONNX Runtime within 1e-4 at two batch sizes', async () => {
    const { model, onnx } = await exportOf(c);
    for (const batch of [1, 3]) {
      const feeds = c.feeds(batch);
      const want = runTfjs(model, feeds);
      const got = await runOnnx(onnx.bytes, Object.fromEntries(onnx.inputs.map((inp, i) => [inp.name, feeds[i]!])), onnx.outputs.map((o) => o.name));
      expect(got).toHaveLength(want.length);
      want.forEach((w, i) => {
        expect(got[i]!.length).toBe(w.length);
        const err = relErr(got[i]!, w);
        if (process.env['ICH_ONNX_REPORT']) console.log(`${c.label} batch ${batch} output ${i}: relErr ${err.toExponential(2)}`);
        expect(err).toBeLessThan(TOLERANCE);
      });
      // the outputs vary across the batch by far more than the tolerance, so a mixed-up batch would show
      if (batch > 1) expect(Math.max(...want.map((w) => relErr(w.subarray(0, w.length / batch), w.subarray(w.length / batch, 2 * w.length / batch))))).toBeGreaterThan(10 * TOLERANCE);
    }
  });
});

describe.skipIf(!HAVE_ONNX)(`onnx.checker.check_model(full_check=True)${HAVE_ONNX ? '' : ' (SKIPPED: /usr/bin/python3 has no onnx; apt-get install python3-onnx)'}`, () => {
  it('accepts every exported family at opset 17', async () => {
    const results = checkOnnx(Object.fromEntries(await Promise.all(CASES.map(async (c, i) => [`case${i}`, (await exportOf(c)).onnx.bytes] as const))));
    CASES.forEach((c, i) => {
      const r = results[`case${i}`]!;
      expect(r.error, c.label).toBeNull();
      expect(r.ok).toBe(true);
      expect(r.opset).toBe(17);
    });
    // the layer types the families are made of, as the ONNX ops they should become
    const ops = new Set(Object.values(results).flatMap((r) => r.ops ?? []));
    for (const op of ['Conv', 'BatchNormalization', 'InstanceNormalization', 'Gemm', 'MaxPool', 'AveragePool', 'Concat', 'Gather', 'Slice', 'ReduceMax']) {
      expect(ops.has(op), op).toBe(true);
    }
  });
});

describe('details', () => {
  it('serves a different copy count K with the same Pooled-Res graph', async () => {
    const c = CASES[4]!;
    const { model, onnx } = await exportOf(c);
    const feeds: Feed[] = [{ data: normal(2 * FULLHEAD_SLICES * 5 * POOLED_F, 0, 1, 21), dims: [2, FULLHEAD_SLICES, 5, POOLED_F] }];
    const [want] = runTfjs(model, feeds);
    const [got] = await runOnnx(onnx.bytes, { [onnx.inputs[0]!.name]: feeds[0]! }, [onnx.outputs[0]!.name]);
    expect(relErr(got!, want!)).toBeLessThan(TOLERANCE);
  });

  it('windows a 256 px image within 1e-4 of a float64 reference (tfjs wasm drifts here: its moments sum in float32)', async () => {
    const size = 256;
    const input = tf.input({ shape: [size, size, 1], name: 'hu' });
    const layer = windowing({ gain: 8, name: 'wso' });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    const [k, b] = layer.getWeights().map((w) => Array.from(w.dataSync()));
    const data = normal(size * size, 40, 300, 31);
    const [got] = await runOnnx((await exportToOnnx(model, 'base-cnn')).bytes, { hu: { data, dims: [1, size, size, 1] } }, ['wso']);
    const ref = new Float64Array(size * size * 3);
    for (let c = 0; c < 3; c++) {
      const v = Array.from(data, (h) => 1 / (1 + Math.exp(-(h * k![c]! + b![c]!))));
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
      v.forEach((x, p) => { ref[p * 3 + c] = (x - mean) / Math.sqrt(variance + 1e-5); });
    }
    expect(relErr(got!, ref)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('exports a saved and reloaded model to the same bytes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ich-onnx-io-'));
    try {
      for (const c of CASES.filter((x, i) => i === 0 || x.family !== 'base-cnn')) { // a base CNN, Pooled-Res, its bag, the shallow NN
        const { model, onnx } = await exportOf(c);
        await saveModel(model, path.join(dir, c.family), {});
        const loaded = await loadModel(path.join(dir, c.family));
        const again = await exportToOnnx(loaded.model, c.family);
        loaded.model.dispose();
        expect(Buffer.from(again.bytes).equals(Buffer.from(onnx.bytes)), c.label).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports only the calls of the given model when layers are shared (trainModel: logits only)', async () => {
    const { trainModel } = buildBaseCnn(baseArch('tiny-se-resnext'), 64, { seed: 1 });
    perturbWeights(trainModel, 99);
    const onnx = await exportToOnnx(trainModel, 'base-cnn');
    expect(onnx.outputs).toEqual([{ name: 'classifier', shape: [null, 6] }]);
    const feeds = imageFeed(64, 2)(2);
    const [want] = runTfjs(trainModel, feeds);
    const [got] = await runOnnx(onnx.bytes, { hu: feeds[0]! }, ['classifier']);
    expect(relErr(got!, want!)).toBeLessThan(TOLERANCE);
    trainModel.dispose();
  });

  it('names the layer class it cannot export, in one line', async () => {
    const input = tf.input({ shape: [8, 8, 1], name: 'hu' });
    const up = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: up });
    let message = '';
    try {
      await exportToOnnx(model, 'base-cnn');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('ONNX export: layer "up" of class Conv2DTranspose cannot be exported');
    model.dispose();
  });

  it('refuses a model whose inputs do not fit the family', async () => {
    const { model } = await exportOf(CASES.find((c) => c.family === 'shallow')!);
    await expect(exportToOnnx(model, 'base-cnn')).rejects.toThrow(/^ONNX export: a base-cnn model has 1 rank-4 input\(s\), got \[\[null, 84, 8\]/);
  });
});
