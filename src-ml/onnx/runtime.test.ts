import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { saveModel } from '../nn/model-io.ts';
import { tempDir } from '../testing/fixtures.ts';
import { createRng } from '../base/random.ts';
import { exportToOnnx } from './export.ts';
import { modelDirCache } from './onnx-cache.ts';
import { createForward, tfjsForward, type ArrayInput, type Forward } from './runtime-forward.ts';
import { ortSpinning, ortThreads, OrtModel, requestedEngine, type OrtModule } from './runtime.ts';

const tmp = tempDir('ich-onnx-runtime-');
let model: tf.LayersModel;
let input: ArrayInput;

/** A small conv net with two outputs (features, logits), the shape of a base CNN's feature model. */
function tinyNet(): tf.LayersModel {
  const x = tf.input({ shape: [16, 16, 1] });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: 'glorotUniform' }).apply(x) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  const features = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 6 }).apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [features, logits] });
}

/** Non-trivial batch-norm statistics and biases (fresh ones are the identity and would hide a wrong one). */
function perturbWeights(m: tf.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const w of m.weights) {
    const kind = w.originalName.split('/').pop() ?? '';
    const n = w.shape.reduce((a: number, d) => a * (d ?? 1), 1);
    const make = kind === 'moving_variance' || kind === 'gamma' ? () => rng.uniform(0.5, 1.5) : kind === 'moving_mean' || kind === 'beta' || kind === 'bias' ? () => 0.3 * rng.normal() : null;
    if (make) tf.tidy(() => {
      w.write(tf.tensor(Float32Array.from({ length: n }, make), w.shape as number[]));
    });
  }
}

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
  model = tinyNet();
  perturbWeights(model, 3);
  const rng = createRng('onnx-runtime-input');
  input = { data: Float32Array.from({ length: 5 * 16 * 16 }, () => rng.normal()), dims: [5, 16, 16, 1] };
}, 60_000);

afterAll(() => {
  model.dispose();
  tmp.cleanup();
});

const source = (extra: Partial<Parameters<typeof createForward>[0]> = {}): Parameters<typeof createForward>[0] => ({
  label: 'tiny.k1.f0', family: 'base-cnn', loadTfjs: () => model, ownsModel: false, ...extra,
});

function expectClose(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThan(1e-4);
}

/** An onnxruntime-node stand-in whose sessions fail on run (a runtime that breaks after it loaded). */
function failingRuntime(runs: { n: number }): OrtModule {
  const session = {
    inputNames: ['input'], outputNames: ['a', 'b'],
    run: async () => {
      runs.n++;
      throw new Error('kernel exploded\nsecond line');
    },
    release: async () => undefined,
  };
  return { InferenceSession: { create: async () => session }, Tensor: class {} } as unknown as OrtModule;
}

describe('settings', () => {
  it('reads ICH_INFERENCE and ICH_ORT_THREADS, refusing unknown values', () => {
    expect(requestedEngine({})).toBe('onnx');
    expect(requestedEngine({ ICH_INFERENCE: 'TFJS' })).toBe('tfjs');
    expect(() => requestedEngine({ ICH_INFERENCE: 'gpu' })).toThrow(/ICH_INFERENCE=gpu: expected onnx or tfjs/);
    expect(ortThreads({ ICH_ORT_THREADS: '3' })).toBe(3);
    expect(ortThreads({})).toBeGreaterThanOrEqual(1);
    expect(() => ortThreads({ ICH_ORT_THREADS: '0' })).toThrow(/positive integer/);
    expect(ortSpinning({})).toBe(false);
    expect(ortSpinning({ ICH_ORT_SPIN: '1' })).toBe(true);
    expect(() => ortSpinning({ ICH_ORT_SPIN: 'yes' })).toThrow(/ICH_ORT_SPIN=yes: expected 0 or 1/);
  });
});

describe('createForward', () => {
  it('runs on ONNX Runtime and equals the tfjs forward within 1e-4, both outputs, batch sizes 5 and 1', async () => {
    const lines: string[] = [];
    const ort = await createForward(source(), { log: (l) => lines.push(l) });
    const tfj = tfjsForward(model);
    try {
      expect(ort.engine).toBe('onnx');
      const [fo, lo] = await ort.run([input]);
      const [ft, lt] = await tfj.run([input]);
      expectClose(fo!, ft!);
      expectClose(lo!, lt!);
      const one: ArrayInput = { data: input.data.subarray(0, 256), dims: [1, 16, 16, 1] };
      expectClose((await ort.run([one]))[1]!, (await tfj.run([one]))[1]!);
      expect(lines).toEqual([]);
    } finally {
      await ort.dispose();
      await tfj.dispose();
    }
    expect(model.layers.length).toBeGreaterThan(0); // not disposed: the caller owns it
  });

  it('ICH_INFERENCE=tfjs runs tfjs without exporting', async () => {
    let exports = 0;
    const f = await createForward(source(), { env: { ICH_INFERENCE: 'tfjs' }, exportGraph: () => { exports++; return new Uint8Array(); } });
    expect(f.engine).toBe('tfjs');
    expect(exports).toBe(0);
    await f.dispose();
  });

  it('a runtime that does not load: tfjs, one log line for any number of models', async () => {
    const lines: string[] = [];
    const deps = { log: (l: string) => lines.push(l), loadOrt: () => Promise.reject(new Error('onnxruntime-node cannot load: libonnxruntime.so.1: cannot open shared object file')) };
    const forwards: Forward[] = [await createForward(source(), deps), await createForward(source({ label: 'tiny.k1.f1' }), deps)];
    for (const f of forwards) {
      expect(f.engine).toBe('tfjs');
      await f.run([input]);
      await f.dispose();
    }
    expect(lines).toEqual(['warning: tiny.k1.f0: inference on tfjs (onnxruntime-node cannot load: libonnxruntime.so.1: cannot open shared object file)']);
  });

  it('a graph the runtime refuses: tfjs with one line naming the model and the reason', async () => {
    const lines: string[] = [];
    const f = await createForward(source(), { log: (l) => lines.push(l), exportGraph: () => new Uint8Array([1, 2, 3, 4]) });
    expect(f.engine).toBe('tfjs');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: tiny\.k1\.f0: inference on tfjs \(tiny\.k1\.f0: ONNX Runtime cannot create a session: .+\)$/);
    await f.dispose();
  });

  it('a run that throws: that batch and the rest on tfjs, one line, the tfjs numbers', async () => {
    const lines: string[] = [];
    const runs = { n: 0 };
    const f = await createForward(source(), { log: (l) => lines.push(l), loadOrt: async () => failingRuntime(runs) });
    expect(f.engine).toBe('onnx');
    const want = (await tfjsForward(model).run([input]))[1]!;
    for (let i = 0; i < 3; i++) expect((await f.run([input]))[1]).toEqual(want);
    expect(f.engine).toBe('tfjs');
    expect(runs.n).toBe(1);
    expect(lines).toEqual(['warning: tiny.k1.f0: inference on tfjs from here on (tiny.k1.f0: ONNX Runtime run failed: kernel exploded)']);
    await f.dispose();
  });

  it('disposes a model it loaded itself, on either engine', async () => {
    for (const env of [{}, { ICH_INFERENCE: 'tfjs' }]) {
      const own = tinyNet();
      const f = await createForward(source({ loadTfjs: () => own, ownsModel: true }), { env });
      await f.run([input]);
      await f.dispose();
      expect(() => own.predict(tf.zeros([1, 16, 16, 1]))).toThrow(/disposed/);
    }
  });
});

describe('OrtModel', () => {
  it('checks input counts and sizes with one line naming the model', async () => {
    const m = await OrtModel.create((await exportToOnnx(model, 'base-cnn')).bytes, 'tiny.onnx', { threads: 1 });
    try {
      expect(m.inputNames).toHaveLength(1);
      expect(m.outputNames).toHaveLength(2);
      await expect(m.run([])).rejects.toThrow(/^tiny\.onnx: the graph takes 1 inputs, got 0$/);
      await expect(m.run([{ data: new Float32Array(10), dims: [1, 16, 16, 1] }])).rejects.toThrow(/^tiny\.onnx: input .+ has 10 values for dims \[1, 16, 16, 1\]$/);
    } finally {
      await m.release();
    }
    await expect(m.run([input])).rejects.toThrow(/released/);
  });
});

describe('modelDirCache', () => {
  it('exports once per weights: model.<key>.onnx beside the model, re-exported when the weights change', async () => {
    const dir = path.join(tmp.dir, 'm1');
    await saveModel(model, dir, { stage: 'test' });
    let exports = 0;
    let prepared = 0;
    const deps = {
      exportGraph: async (m: tf.LayersModel) => { exports++; return (await exportToOnnx(m, 'base-cnn')).bytes; },
      beforeTfjs: async () => { prepared++; },
    };
    const open = async (): Promise<Float32Array> => {
      const f = await createForward(source({ cache: modelDirCache(dir, 'base-cnn') }), deps);
      try {
        expect(f.engine).toBe('onnx');
        return (await f.run([input]))[1]!;
      } finally {
        await f.dispose();
      }
    };
    const first = await open();
    expect(prepared).toBe(1); // the tfjs side readied for the export
    const second = await open();
    expect(exports).toBe(1);
    expect(prepared).toBe(1); // a cached graph needs no tfjs at all
    expect(second).toEqual(first);
    const cached = readdirSync(dir).filter((f) => f.endsWith('.onnx'));
    expect(cached).toHaveLength(1);
    expect(cached[0]).toMatch(/^model\.[0-9a-f]{16}\.onnx$/);

    // New weights (a model saved again): a new key, the old export removed.
    const other = tinyNet();
    perturbWeights(other, 9);
    await saveModel(other, dir, { stage: 'test' });
    other.dispose();
    const key = await modelDirCache(dir, 'base-cnn').key();
    await open();
    expect(exports).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.onnx'))).toEqual([`model.${key}.onnx`]);
  });

  it('keys differ by family and by weights, and a folder it cannot write sends the graph to the temp folder', async () => {
    const dir = path.join(tmp.dir, 'm2');
    await saveModel(model, dir, { stage: 'test' });
    const tmpDir = path.join(tmp.dir, 'fallback');
    const cache = modelDirCache(dir, 'base-cnn', { tmpDir });
    const key = await cache.key();
    expect(await modelDirCache(dir, 'pooled-res').key()).not.toBe(key);
    // A folder in the way of the file makes the write fail, as a read-only model folder would.
    mkdirSync(path.join(dir, `model.${key}.onnx`));
    expect(await cache.read()).toBeNull();
    const bytes = (await exportToOnnx(model, 'base-cnn')).bytes;
    await cache.write(bytes);
    expect(existsSync(path.join(tmpDir, `${key}.onnx`))).toBe(true);
    expect(new Uint8Array(readFileSync(path.join(tmpDir, `${key}.onnx`)))).toEqual(bytes);
    expect(new Uint8Array((await modelDirCache(dir, 'base-cnn', { tmpDir }).read())!)).toEqual(bytes);
  });
});
