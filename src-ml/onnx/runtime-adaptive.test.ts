/**
 * AdaptiveOrtModel (runtime-adaptive.ts): one session until SPLIT_AFTER_MS of runs, then the split sessions,
 * the same outputs on either; a split that cannot start costs one line and nothing else.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../base/random.ts';
import { initBackend } from '../nn/backend.ts';
import { exportToOnnx } from './export.ts';
import { OrtModel, openOrtModel, type ArrayInput } from './runtime.ts';
import { AdaptiveOrtModel } from './runtime-adaptive.ts';
import { SplitOrtModel } from './runtime-split.ts';

let bytes: Uint8Array;
const rng = createRng('adaptive');
const input: ArrayInput = { data: Float32Array.from({ length: 6 * 64 }, () => rng.normal()), dims: [6, 8, 8, 1] };

beforeAll(async () => {
  await initBackend({ purpose: 'infer' }, { log: () => {} });
  const x = tf.input({ shape: [8, 8, 1] });
  const h = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', biasInitializer: 'ones' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor });
  bytes = (await exportToOnnx(model, 'base-cnn')).bytes;
  model.dispose();
}, 60_000);

const split = () => SplitOrtModel.create(bytes, 'tiny', { sessions: 2, threads: 1, spin: false });

describe('AdaptiveOrtModel', () => {
  it('stays on its first session below the threshold, starting no worker', async () => {
    let starts = 0;
    const m = new AdaptiveOrtModel(await OrtModel.create(bytes, 'tiny', { threads: 2 }), { split: () => { starts++; return split(); }, splitAfterMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) await m.run([input]);
      expect(m.sessions).toBe(1);
      expect(m.threads).toBe(2);
      expect(starts).toBe(0);
    } finally {
      await m.release();
    }
  });

  it('past the threshold moves to the split sessions, outputs unchanged, and releases cleanly', async () => {
    const m = new AdaptiveOrtModel(await OrtModel.create(bytes, 'tiny', { threads: 2 }), { split, splitAfterMs: 0 });
    try {
      const want = await m.run([input]); // on the first session; starts the split
      await m.settle();
      expect(m.sessions).toBe(2);
      expect(m.threads).toBe(1);
      expect(Array.from((await m.run([input]))[0]!)).toEqual(Array.from(want[0]!));
    } finally {
      await m.release();
    }
    await expect(m.run([input])).rejects.toThrow(/^tiny: the ONNX Runtime session was released$/);
  }, 60_000);

  it('a split that cannot start: one warning line, the first session goes on', async () => {
    const lines: string[] = [];
    const m = new AdaptiveOrtModel(await OrtModel.create(bytes, 'tiny', { threads: 1 }), {
      split: () => SplitOrtModel.create(new Uint8Array([1, 2, 3]), 'tiny', { sessions: 2, threads: 1, spin: false }), splitAfterMs: 0, log: (l) => lines.push(l),
    });
    try {
      await m.run([input]);
      await m.settle();
      await m.settle();
      expect(m.sessions).toBe(1);
      expect((await m.run([input]))[0]).toHaveLength(6 * 3);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^warning: tiny: staying on one ONNX Runtime session \(tiny: ONNX Runtime cannot create a session: [^\n]+\)$/);
    } finally {
      await m.release();
    }
  }, 60_000);

  it('openOrtModel gives it when the layout has several sessions, its first session holding all their threads', async () => {
    const m = await openOrtModel(bytes, 'tiny', { env: { ICH_ORT_SESSIONS: '2', ICH_ORT_THREADS: '1' } });
    try {
      expect(m).toBeInstanceOf(AdaptiveOrtModel);
      expect([m.sessions, m.threads]).toEqual([1, 2]);
      await m.settle?.();
      expect([m.sessions, m.threads]).toEqual([2, 1]);
    } finally {
      await m.release();
    }
  }, 60_000);
});
