import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { BertAdam } from './bert-adam.ts';

beforeAll(async () => {
  await initBackend({ purpose: 'train' }, { log: () => {} });
});

/** The seed's bert_adam.py step, in plain numbers. */
function refStep(p: number[], g: number[], m: number[], v: number[], lr: number, wd: number, maxNorm: number): void {
  const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
  const coef = maxNorm / (norm + 1e-6);
  const gc = coef < 1 ? g.map((x) => x * coef) : g;
  for (let i = 0; i < p.length; i++) {
    m[i] = 0.9 * m[i]! + 0.1 * gc[i]!;
    v[i] = 0.999 * v[i]! + 0.001 * gc[i]! * gc[i]!;
    const upd = m[i]! / (Math.sqrt(v[i]!) + 1e-6) + wd * p[i]!;
    p[i] = p[i]! - lr * upd;
  }
}

describe('BertAdam', () => {
  it('matches the reference: per-tensor clipping, no bias correction, decoupled weight decay, per-variable LR', () => {
    const a = tf.variable(tf.tensor1d([0.5, -1, 2]), true, 'ba_test_a');
    const b = tf.variable(tf.tensor1d([0.1, 0.2]), true, 'ba_test_b');
    const opt = new BertAdam((name) => (name === 'ba_test_a' ? { lr: 0.01, weightDecay: 0.01 } : { lr: 0.1, weightDecay: 0 }));
    const pa = [0.5, -1, 2], pb = [0.1, 0.2];
    const ma = [0, 0, 0], va = [0, 0, 0], mb = [0, 0], vb = [0, 0];
    const ga = [[3, 4, 0], [0.1, 0.2, -0.3], [10, -10, 5]];
    const gb = [[0.01, -0.02], [0.5, 0.5], [-2, 0]];
    for (let s = 0; s < 3; s++) {
      opt.multiplier = [1, 0.5, 0.25][s]!;
      opt.applyGradients({ ba_test_a: tf.tensor1d(ga[s]!), ba_test_b: tf.tensor1d(gb[s]!) });
      refStep(pa, ga[s]!, ma, va, 0.01 * opt.multiplier, 0.01, 1);
      refStep(pb, gb[s]!, mb, vb, 0.1 * opt.multiplier, 0, 1);
    }
    const got = [...a.dataSync(), ...b.dataSync()];
    [...pa, ...pb].forEach((x, i) => expect(got[i]).toBeCloseTo(x, 5));
    expect(opt.iterations).toBe(3);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it('skips variables whose LR is 0 and round-trips its moments', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'ba_test_c');
    const frozen = tf.variable(tf.tensor1d([5]), true, 'ba_test_d');
    const opt = new BertAdam((name) => ({ lr: name === 'ba_test_d' ? 0 : 0.1, weightDecay: 0 }));
    opt.applyGradients({ ba_test_c: tf.tensor1d([1, -1]), ba_test_d: tf.tensor1d([1]) });
    expect(frozen.dataSync()[0]).toBe(5);
    const names = ['ba_test_c', 'ba_test_d'];
    const saved = await opt.exportMoments(names);
    expect(saved[0]![0]).toBeCloseTo(0.1 * Math.min(1, 1 / (Math.SQRT2 + 1e-6)), 6);
    expect(saved[2]).toEqual(new Float32Array(1));
    const opt2 = new BertAdam(() => ({ lr: 0.1, weightDecay: 0 }));
    opt2.importMoments(names, saved, 1);
    expect(await opt2.exportMoments(names)).toEqual(saved);
    expect(opt2.iterations).toBe(1);
    opt.dispose();
    opt2.dispose();
    tf.dispose([a, frozen]);
  });

  it('drives trainOnBatch (training-mode layers) and keeps the tensor count flat', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tf.layers.batchNormalization(), tf.layers.dense({ units: 1 })] });
    const opt = new BertAdam(() => ({ lr: 0.01, weightDecay: 0.01 }));
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 1);
    const y = tf.sum(x, 1, true);
    const first = (await model.trainOnBatch(x, y)) as number;
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 60; i++) last = (await model.trainOnBatch(x, y)) as number;
    expect(tf.memory().numTensors).toBe(count);
    expect(last).toBeLessThan(first * 0.5);
    model.dispose();
    opt.dispose();
    tf.dispose([x, y]);
  });
});
