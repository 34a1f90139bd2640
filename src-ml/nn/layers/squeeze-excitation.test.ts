import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { squeezeExcitation } from './squeeze-excitation.ts';
import { saveLoad, seeded, tensorCountsOverPredicts, useWasm, wasmVsCpu, wrap } from './layer-test-utils.ts';

beforeAll(useWasm);

describe('squeezeExcitation', () => {
  it('keeps the shape and scales each channel of each image by one factor in (0, 1)', () => {
    const input = tf.input({ shape: [3, 3, 32] });
    const out = squeezeExcitation(input, { reduction: 16, name: 'se_a' });
    const fc2 = tf.model({ inputs: input, outputs: out }).getLayer('se_a_fc2').output as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [out, fc2] });
    expect(model.getLayer('se_a_fc1').outputShape).toEqual([null, 2]);
    expect(out.shape).toEqual([null, 3, 3, 32]);
    const x = tf.tensor4d(seeded(2 * 9 * 32, 4, 1, 1.5), [2, 3, 3, 32]);
    const [y, scale] = model.predict(x) as tf.Tensor[];
    const xs = x.dataSync();
    const ys = y!.dataSync();
    const ss = scale!.dataSync();
    for (let n = 0; n < 2; n++) for (let p = 0; p < 9; p++) for (let c = 0; c < 32; c++) {
      const i = (n * 9 + p) * 32 + c;
      const s = ss[n * 32 + c]!;
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
      expect(ys[i]!).toBeCloseTo(xs[i]! * s, 5);
    }
    // the scale is sigmoid(fc2(relu(fc1(mean over H, W))))
    const mean = tf.mean(x, [1, 2]);
    const [k1, b1, k2, b2] = model.getLayer('se_a_fc1').getWeights().concat(model.getLayer('se_a_fc2').getWeights());
    const expected = tf.sigmoid(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(mean, k1!), b1!)), k2!), b2!));
    expected.dataSync().forEach((v, i) => expect(ss[i]!).toBeCloseTo(v, 5));
  });

  it('rejects channels not divisible by the reduction', () => {
    expect(() => squeezeExcitation(tf.input({ shape: [2, 2, 24] }), { reduction: 16 })).toThrow(/not divisible/);
  });

  it('gradients match the cpu backend', async () => {
    const err = await wasmVsCpu(() => wrap([3, 3, 32], (t) => squeezeExcitation(t, { reduction: 4 })), seeded(2 * 9 * 32, 6), [2, 3, 3, 32]);
    expect(err).toBeLessThan(1e-4);
  });

  it('survives save/load with identical outputs and does not leak tensors', async () => {
    const model = wrap([3, 3, 32], (t) => squeezeExcitation(t, { name: 'se_b' }));
    const x = tf.tensor4d(seeded(2 * 9 * 32, 9), [2, 3, 3, 32]);
    const loaded = await saveLoad(model);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    expect(new Set(tensorCountsOverPredicts(loaded, x)).size).toBe(1);
  });
});
