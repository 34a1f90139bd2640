/**
 * Sessions on worker threads with the batch cut across them (runtime-split.ts) against one session on this
 * thread: the same outputs in the same order at batch sizes that split unevenly, below the session count and
 * zero; one-line errors; and the settings that choose between them (ortLayout).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { initBackend } from '../nn/backend.ts';
import { exportToOnnx } from './export.ts';
import { OrtModel, openOrtModel, ortLayout, type ArrayInput } from './runtime.ts';
import { batchParts, SplitOrtModel } from './runtime-split.ts';

let bytes: Uint8Array;
let single: OrtModel;

/** Two outputs (per-item features and logits), so a mixed-up output order or batch order would show. */
function tinyNet(): tf.LayersModel {
  const x = tf.input({ shape: [8, 8, 1] });
  const h = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', biasInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
  const features = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 2 }).apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: [features, logits] });
}

function batchOf(n: number, seed: number): ArrayInput {
  const rng = createRng(seed);
  return { data: Float32Array.from({ length: n * 64 }, () => rng.normal()), dims: [n, 8, 8, 1] };
}

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
  const model = tinyNet();
  bytes = (await exportToOnnx(model, 'base-cnn')).bytes;
  model.dispose();
  single = await OrtModel.create(bytes, 'tiny', { threads: 1 });
}, 60_000);

afterAll(async () => {
  await single.release();
});

describe('batchParts', () => {
  it('cuts n items into at most k contiguous, non-empty, nearly equal parts', () => {
    expect(batchParts(32, 2)).toEqual([[0, 16], [16, 32]]);
    expect(batchParts(5, 2)).toEqual([[0, 2], [2, 5]]);
    expect(batchParts(7, 3)).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect(batchParts(1, 4)).toEqual([[0, 1]]);
    expect(batchParts(0, 2)).toEqual([[0, 0]]);
  });
});

describe('SplitOrtModel', () => {
  it('gives the single session\'s outputs, in order, at batch 7, 2, 1 and 0 on 3 sessions, and leaves the input intact', async () => {
    const split = await SplitOrtModel.create(bytes, 'tiny', { sessions: 3, threads: 1, spin: false });
    try {
      expect(split.sessions).toBe(3);
      expect(split.outputNames).toEqual(single.outputNames);
      for (const n of [7, 2, 1, 0]) {
        const input = batchOf(n, n);
        const copy = input.data.slice();
        const want = await single.run([input]);
        const got = await split.run([input]);
        expect(got.map((o) => o.length)).toEqual(want.map((o) => o.length));
        got.forEach((o, i) => expect(Array.from(o)).toEqual(Array.from(want[i]!)));
        expect(input.data).toEqual(copy);
      }
      // runs in flight together keep their own results
      const [a, b] = [batchOf(4, 10), batchOf(5, 11)];
      const [ga, gb] = await Promise.all([split.run([a]), split.run([b])]);
      expect(Array.from(ga[1]!)).toEqual(Array.from((await single.run([a]))[1]!));
      expect(Array.from(gb[1]!)).toEqual(Array.from((await single.run([b]))[1]!));
    } finally {
      await split.release();
    }
    await expect(split.run([batchOf(1, 1)])).rejects.toThrow(/^tiny: the ONNX Runtime session was released$/);
  }, 60_000);

  it('checks inputs with one line naming the model', async () => {
    const split = await SplitOrtModel.create(bytes, 'tiny.onnx', { sessions: 2, threads: 1, spin: false });
    try {
      await expect(split.run([])).rejects.toThrow(/^tiny\.onnx: the graph takes 1 inputs, got 0$/);
      await expect(split.run([{ data: new Float32Array(10), dims: [1, 8, 8, 1] }])).rejects.toThrow(/^tiny\.onnx: input .+ has 10 values for dims \[1, 8, 8, 1\]$/);
    } finally {
      await split.release();
    }
  }, 60_000);

  it('a worker that died: runs reject with one line (the forward then falls back to tfjs)', async () => {
    const split = await SplitOrtModel.create(bytes, 'tiny', { sessions: 2, threads: 1, spin: false });
    try {
      // the second session's thread ends, as a crash would
      const workers = (split as unknown as { workers: { worker: import('node:worker_threads').Worker }[] }).workers;
      await workers[1]!.worker.terminate();
      await new Promise((r) => setImmediate(r));
      await expect(split.run([batchOf(4, 4)])).rejects.toThrow(/^tiny: ONNX Runtime worker stopped \(exit code 1\)$/);
      // a batch of one goes to the first session alone, which still runs
      expect((await split.run([batchOf(1, 4)]))[0]).toHaveLength(3);
    } finally {
      await split.release();
    }
  }, 60_000);

  it('a graph the runtime refuses: one line naming the model', async () => {
    await expect(SplitOrtModel.create(new Uint8Array([1, 2, 3, 4]), 'bad.onnx', { sessions: 2, threads: 1, spin: false }))
      .rejects.toThrow(/^bad\.onnx: ONNX Runtime cannot create a session: [^\n]+$/);
  }, 60_000);
});

describe('ortLayout and openOrtModel', () => {
  it('one single-thread session per core by default; either setting alone takes its share of the cores', () => {
    expect(ortLayout({}, 2)).toEqual({ sessions: 2, threads: 1 });
    expect(ortLayout({}, 1)).toEqual({ sessions: 1, threads: 1 });
    expect(ortLayout({ ICH_ORT_THREADS: '2' }, 2)).toEqual({ sessions: 1, threads: 2 });
    expect(ortLayout({ ICH_ORT_THREADS: '4' }, 2)).toEqual({ sessions: 1, threads: 4 });
    expect(ortLayout({ ICH_ORT_SESSIONS: '1' }, 4)).toEqual({ sessions: 1, threads: 4 });
    expect(ortLayout({ ICH_ORT_SESSIONS: '3', ICH_ORT_THREADS: '2' }, 2)).toEqual({ sessions: 3, threads: 2 });
    expect(() => ortLayout({ ICH_ORT_SESSIONS: 'two' }, 2)).toThrow(/^ICH_ORT_SESSIONS=two: expected a positive integer$/);
  });

  it('opens one session on this thread or (settled) several on workers, as the settings say', async () => {
    const one = await openOrtModel(bytes, 'tiny', { env: { ICH_ORT_SESSIONS: '1', ICH_ORT_THREADS: '1' } });
    const two = await openOrtModel(bytes, 'tiny', { env: { ICH_ORT_SESSIONS: '2', ICH_ORT_THREADS: '1' } });
    try {
      expect(one).toBeInstanceOf(OrtModel);
      await two.settle?.();
      expect([one.sessions, two.sessions, two.threads]).toEqual([1, 2, 1]);
      const input = batchOf(3, 3);
      expect(Array.from((await two.run([input]))[0]!)).toEqual(Array.from((await one.run([input]))[0]!));
    } finally {
      await one.release();
      await two.release();
    }
  }, 60_000);
});
