import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../nn/backend.ts';
import { loadModel, saveModel } from '../nn/model-io.ts';
import { countParams } from './base-cnn.ts';
import { shallowNnLoss } from './fullhead-losses.ts';
import { buildShallowNN, CategoricalEmbedding, SEED_CAT_CARDINALITY, SEED_CAT_EMBED_DIMS, seedShallowNnConfig, SHALLOW_ROWS } from './shallow-nn.ts';

let root: string;
beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
  root = await mkdtemp(path.join(tmpdir(), 'shallow-nn-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const F = 8;
const cfg = seedShallowNnConfig(F);

/** Random inputs [features [B,84,F], continuous [B,84,38], categorical [B,84,10] int32 codes]. */
function inputs(B: number, seed: number): tf.Tensor[] {
  return tf.tidy(() => {
    const codes = tf.stack(
      SEED_CAT_CARDINALITY.map((card, i) => tf.floor(tf.randomUniform([B, SHALLOW_ROWS], 0, card - 1e-3, 'float32', seed + i))),
      2,
    );
    return [
      tf.randomNormal([B, SHALLOW_ROWS, F], 0, 1, 'float32', seed),
      tf.randomNormal([B, SHALLOW_ROWS, 38], 0, 1, 'float32', seed + 100),
      tf.cast(codes, 'int32'),
    ];
  });
}

function predict(model: tf.LayersModel, xs: tf.Tensor[]): Float32Array {
  return tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
}

/**
 * Rows (output slices) of sample 0 whose outputs differ at all: outside the receptive field the
 * computation is identical, bit for bit; at its edge the change is tiny (it decays through 6 convs).
 */
function changedRows(a: Float32Array, b: Float32Array): number[] {
  const rows: number[] = [];
  for (let r = 0; r < 60; r++) {
    let d = 0;
    for (let c = 0; c < 6; c++) d = Math.max(d, Math.abs(a[r * 6 + c]! - b[r * 6 + c]!));
    if (d > 0) rows.push(r);
  }
  return rows;
}

describe('shallow NN', () => {
  it('has the seed parameter count: about 125k plus the stem (F + 68)·64', () => {
    const bn = (c: number) => 2 * c;
    const conv = (ni: number, no: number, k: number) => ni * no * k + no; // with bias
    const res = (ni: number, nh: number) => conv(ni, nh, 1) + bn(nh) + conv(nh, nh, 5) + bn(nh) + (ni === nh ? 0 : conv(ni, nh, 1) + bn(nh));
    const embeddings = SEED_CAT_CARDINALITY.reduce((a, card, i) => a + card * SEED_CAT_EMBED_DIMS[i]!, 0);
    expect(embeddings).toBe(184);
    expect(SEED_CAT_EMBED_DIMS.reduce((a, b) => a + b, 0)).toBe(30);
    const body = bn(64) + res(64, 64) + res(64, 32) + res(96, 64) + res(64, 32) + res(128, 64) + res(64, 32) + conv(160, 6, 1);
    expect(body).toBe(125350);
    const stem = (256 + 68) * 64 + 64;
    const model = buildShallowNN(seedShallowNnConfig(256));
    expect(countParams(model)).toBe(stem + body + embeddings);
    expect(countParams(model)).toBe(146334);
    model.dispose();
  });

  it('maps [B,84,F] + [B,84,38] + [B,84,10] to logits [B,60,6]; output j depends on padded rows j..j+24 only', () => {
    const model = buildShallowNN(cfg, { seed: 1 });
    const xs = inputs(2, 1);
    const y = model.predict(xs) as tf.Tensor;
    expect(y.shape).toEqual([2, 60, 6]);
    y.dispose();
    const ref = predict(model, xs);
    for (const r of [40, 0, 83, 12]) {
      // categorical codes only at rows 40 and 12 (see the note on the field edges below)
      for (const which of r === 40 || r === 12 ? [0, 1, 2] : [0, 1]) {
        const bumped = tf.tidy(() => {
          const t = xs[which]!;
          const mask = tf.oneHot(tf.tensor1d([r], 'int32'), SHALLOW_ROWS).reshape([1, SHALLOW_ROWS, 1]);
          // features, continuous: +10 on row r; categorical: every code of row r moved to (code + 1) % 3
          if (which < 2) return tf.add(t, tf.mul(mask, 10));
          const moved = tf.mod(tf.add(t, tf.scalar(1, 'int32')), tf.scalar(3, 'int32'));
          return tf.where(tf.broadcastTo(tf.cast(mask, 'bool'), t.shape), moved, t);
        });
        const replaced = xs.map((t, i) => (i === which ? bumped : t));
        const rows = changedRows(ref, predict(model, replaced));
        const lo = Math.max(0, r - 24);
        const hi = Math.min(59, r);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((j) => j >= lo && j <= hi)).toBe(true);
        // The whole field, edges included, for the dense inputs (the embeddings start at std 0.01,
        // too small for a code change to reach the field's edge through float32 rounding).
        if (which < 2) expect([rows[0], rows.at(-1)]).toEqual([lo, hi]);
        bumped.dispose();
      }
    }
    // categorical codes given as float32 give the same output as int32
    const asFloat = tf.cast(xs[2]!, 'float32');
    const viaFloat = predict(model, [xs[0]!, xs[1]!, asFloat]);
    for (let i = 0; i < ref.length; i++) expect(viaFloat[i]).toBeCloseTo(ref[i]!, 6);
    tf.dispose([...xs, asFloat]);
    model.dispose();
  });

  it('looks up one table per categorical column', () => {
    const layer = new CategoricalEmbedding({ cardinalities: [3, 2], dims: [2, 1], name: 'emb_test', seed: 7 });
    const codes = tf.tensor3d([[[2, 0], [0, 1]]], [1, 2, 2], 'int32');
    const out = layer.apply(codes) as tf.Tensor;
    expect(out.shape).toEqual([1, 2, 3]);
    const [t0, t1] = layer.getWeights().map((w) => w.arraySync() as number[][]);
    const want = [[...t0![2]!, ...t1![0]!], [...t0![0]!, ...t1![1]!]];
    const got = out.arraySync() as number[][][];
    got[0]!.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 7)));
    // truncated normal, std 0.01: within 2 std
    for (const w of layer.getWeights()) expect(Math.max(...Array.from(w.dataSync(), Math.abs))).toBeLessThanOrEqual(0.02 + 1e-7);
    tf.dispose([codes, out]);
  });

  it('trains with trainOnBatch and the shallow-NN loss on a learnable toy task', async () => {
    const model = buildShallowNN(cfg, { seed: 3 });
    model.compile({ optimizer: tf.train.adam(3e-3), loss: shallowNnLoss });
    const B = 4;
    const [feat, cont, cat] = inputs(B, 11);
    // target for output row j = sign of feature 0 at padded row j + 12; rows outside a 30..60-slice series are -1
    const f0 = feat!.slice([0, 12, 0], [B, 60, 1]).dataSync();
    const ys = new Float32Array(B * 60 * 6).fill(-1);
    for (let b = 0; b < B; b++) {
      const n = 30 + 10 * b;
      for (let j = 0; j < Math.min(n, 60); j++) for (let c = 0; c < 6; c++) ys[(b * 60 + j) * 6 + c] = f0[b * 60 + j]! > 0 ? 1 : 0;
    }
    const y = tf.tensor3d(ys, [B, 60, 6]);
    const losses: number[] = [];
    for (let step = 0; step < 25; step++) losses.push(Number(await model.trainOnBatch([feat!, cont!, cat!], y)));
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.6 * losses[0]!);
    tf.dispose([feat!, cont!, cat!, y]);
    model.dispose();
  });

  it('round-trips through saveModel / loadModel and keeps the tensor count flat across predictions', async () => {
    const model = buildShallowNN(cfg, { seed: 4 });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: shallowNnLoss });
    const xs = inputs(2, 21);
    const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, 60, 6], 0, 1, 'float32', 9), 0.5), 'float32'));
    await model.trainOnBatch(xs, y);
    // float32 codes train too
    const asFloat = tf.cast(xs[2]!, 'float32');
    expect(Number.isFinite(Number(await model.trainOnBatch([xs[0]!, xs[1]!, asFloat], y)))).toBe(true);
    asFloat.dispose();
    const before = predict(model, xs);
    const dir = path.join(root, 'shallow');
    await saveModel(model, dir, { kind: 'shallow-nn' });
    const loaded = await loadModel(dir);
    const after = predict(loaded.model, xs);
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 5);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) predict(loaded.model, xs);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([...xs, y]);
    loaded.model.dispose();
    model.dispose();
  });
});
