import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';
import { countParams } from './base-cnn.ts';
import { maskedWeightedBce } from './fullhead-losses.ts';
import { buildPooledRes, FULLHEAD_SLICES, pooledResParamCount } from './pooled-res.ts';

let root: string;
beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
  root = await mkdtemp(path.join(tmpdir(), 'pooled-res-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const F = 8;

function predict(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

/** Rows (slices) of sample 0 whose outputs differ at all (outside the receptive field they are identical, bit for bit). */
function changedRows(a: Float32Array, b: Float32Array): number[] {
  const rows: number[] = [];
  for (let r = 0; r < FULLHEAD_SLICES; r++) {
    let d = 0;
    for (let c = 0; c < 6; c++) d = Math.max(d, Math.abs(a[r * 6 + c]! - b[r * 6 + c]!));
    if (d > 0) rows.push(r);
  }
  return rows;
}

describe('Pooled-Res', () => {
  it('has the seed parameter count (221,126 for F = 256)', () => {
    const byHand =
      (64 * 9 * 256 + 64) + // conv over 9 slices, F -> 64, bias
      2 * 64 + // bn0 gamma, beta
      (64 * 64 * 7 + 64) + 2 * 64 + // conv1 k7 + bn1
      (128 * 64 * 5 + 64) + 2 * 64 + // conv2 k5 on concat[x0, x1] + bn2
      (192 * 6 * 3 + 6); // logits k3 on concat[x0, x1, x2]
    expect(byHand).toBe(221126);
    const model = buildPooledRes(256);
    expect(countParams(model)).toBe(byHand);
    expect(pooledResParamCount(256)).toBe(byHand);
    expect(pooledResParamCount(552)).toBe(221126 + 64 * 9 * (552 - 256));
    model.dispose();
  });

  it('takes any number of TTA copies, and the max over copies ignores their order', () => {
    const model = buildPooledRes(F, { seed: 1 });
    for (const k of [3, 4, 8]) {
      const x = tf.randomNormal([2, 60, k, F], 0, 1, 'float32', k);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 60, 6]);
      const perm = tf.reverse(x, 2); // copies in reverse order
      const a = y.dataSync();
      const b = predict(model, perm);
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
      tf.dispose([x, y, perm]);
    }
    model.dispose();
  });

  it('sees ±10 slices: perturbing slice j changes outputs j-10..j+10 only', () => {
    const model = buildPooledRes(F, { seed: 2 });
    const base = tf.randomNormal([1, 60, 3, F], 0, 1, 'float32', 5);
    const ref = predict(model, base);
    for (const j of [30, 3, 55]) {
      const bump = tf.tidy(() => {
        const mask = tf.oneHot(tf.tensor1d([j], 'int32'), 60).reshape([1, 60, 1, 1]);
        return tf.add(base, tf.mul(mask, 5));
      });
      const rows = changedRows(ref, predict(model, bump));
      const lo = Math.max(0, j - 10);
      const hi = Math.min(59, j + 10);
      expect(rows[0]).toBe(lo);
      expect(rows.at(-1)).toBe(hi);
      expect(rows.every((r) => r >= lo && r <= hi)).toBe(true);
      bump.dispose();
    }
    base.dispose();
    model.dispose();
  });

  it('trains with trainOnBatch and the masked loss on a learnable toy task', async () => {
    const model = buildPooledRes(F, { seed: 3 });
    model.compile({ optimizer: tf.train.adam(3e-3), loss: maskedWeightedBce });
    // Slice label = (feature 0 of its copies > 0); series of 20..60 slices, the rest padded with -1.
    const B = 4;
    const xs = new Float32Array(B * 60 * 3 * F);
    const ys = new Float32Array(B * 60 * 6).fill(-1);
    let s = 99;
    const rnd = (): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296 - 0.5;
    };
    for (let b = 0; b < B; b++) {
      const n = 20 + 13 * b;
      for (let r = 0; r < n; r++) {
        const pos = rnd() > 0;
        for (let c = 0; c < 3; c++) for (let f = 0; f < F; f++) xs[((b * 60 + r) * 3 + c) * F + f] = f === 0 ? (pos ? 1 : -1) + 0.2 * rnd() : rnd();
        for (let k = 0; k < 6; k++) ys[(b * 60 + r) * 6 + k] = pos ? 1 : 0;
      }
    }
    const x = tf.tensor4d(xs, [B, 60, 3, F]);
    const y = tf.tensor3d(ys, [B, 60, 6]);
    const losses: number[] = [];
    for (let step = 0; step < 25; step++) losses.push(Number(await model.trainOnBatch(x, y)));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.5 * losses[0]!);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('round-trips through saveModel / loadModel and keeps the tensor count flat across predictions', async () => {
    const model = buildPooledRes(F, { seed: 4 });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: maskedWeightedBce });
    const x = tf.randomNormal([2, 60, 4, F], 0, 1, 'float32', 8);
    const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 60, 6], 0, 1, 'float32', 9), 0.5), 'float32'));
    await model.trainOnBatch(x, y); // moves the batch-norm statistics
    const before = predict(model, x);
    const dir = path.join(root, 'pooled');
    await saveModel(model, dir, { kind: 'pooled-res', featureSize: F });
    const loaded = await loadModel<{ kind: string }>(dir);
    expect(loaded.meta.kind).toBe('pooled-res');
    const after = predict(loaded.model, x);
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 5);
    // with 3 copies too (the loaded model kept the free copy axis)
    const x3 = tf.slice(x, [0, 0, 0, 0], [2, 60, 3, F]);
    predict(loaded.model, x3);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) predict(loaded.model, x3);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([x, y, x3]);
    loaded.model.dispose();
    model.dispose();
  });
});
