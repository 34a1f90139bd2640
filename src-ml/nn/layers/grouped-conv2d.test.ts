import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GroupedConv2D, groupedConv2dMasked } from './grouped-conv2d.ts';
import { relErr, saveLoad, seeded, tensorCountsOverPredicts, useWasm, wasmVsCpu, wrap } from './layer-test-utils.ts';

beforeAll(useWasm);

/** g independent tf.conv2d calls on channel slices (tf.slice, not tf.split), concatenated. */
function reference(x: tf.Tensor4D, k: tf.Tensor4D, g: number, stride: number, pad: 'same' | 'valid' | number): tf.Tensor {
  const cinG = k.shape[2];
  const coutG = k.shape[3] / g;
  const p = typeof pad === 'number' ? ([[0, 0], [pad, pad], [pad, pad], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : pad;
  const parts: tf.Tensor4D[] = [];
  for (let j = 0; j < g; j++) {
    const xj = tf.slice(x, [0, 0, 0, j * cinG], [-1, -1, -1, cinG]);
    const kj = tf.slice(k, [0, 0, 0, j * coutG], [-1, -1, -1, coutG]);
    parts.push(tf.conv2d(xj, kj, stride, p));
  }
  return tf.concat(parts, 3);
}

describe('GroupedConv2D', () => {
  it('equals g separate tf.conv2d calls (and the block-diagonal masked conv)', () => {
    for (const [cin, cout, g, k, stride, pad] of [[8, 12, 4, 3, 1, 'same'], [16, 16, 8, 3, 2, 1], [6, 9, 3, 1, 1, 'valid'], [8, 8, 2, 3, 2, 'valid']] as const) {
      const layer = new GroupedConv2D({ filters: cout, kernelSize: k, groups: g, strides: stride, padding: pad, useBias: true });
      const x = tf.tensor4d(seeded(2 * 6 * 6 * cin, cin + g), [2, 6, 6, cin]);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
      expect(kernel.shape).toEqual([k, k, cin / g, cout]);
      expect(y.shape).toEqual(layer.computeOutputShape([2, 6, 6, cin]));
      // a non-zero bias so the bias path is checked too
      layer.setWeights([kernel, tf.fill([cout], 0.25)]);
      const y2 = layer.apply(x, { training: true }) as tf.Tensor;
      const ref = tf.add(reference(x, kernel, g, stride, pad), 0.25);
      expect(relErr(y2.dataSync(), ref.dataSync())).toBeLessThan(1e-6);
      expect(relErr(y.dataSync(), tf.sub(ref, 0.25).dataSync())).toBeLessThan(1e-6);
      const p = typeof pad === 'number' ? ([[0, 0], [pad, pad], [pad, pad], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : pad;
      const masked = groupedConv2dMasked(x, kernel, g, [stride, stride], p);
      expect(relErr(masked.dataSync(), tf.sub(ref, 0.25).dataSync())).toBeLessThan(1e-5);
      void bias;
    }
  });

  it('equals a standard conv when g = 1', () => {
    const layer = new GroupedConv2D({ filters: 5, kernelSize: 3, groups: 1, strides: 2, padding: 'same' });
    const std = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false });
    const x = tf.tensor4d(seeded(2 * 7 * 7 * 3, 2), [2, 7, 7, 3]);
    layer.apply(x);
    std.apply(x);
    std.setWeights(layer.getWeights());
    expect(relErr((layer.apply(x) as tf.Tensor).dataSync(), (std.apply(x) as tf.Tensor).dataSync())).toBeLessThan(1e-6);
  });

  it('rejects channels or filters not divisible by groups', () => {
    expect(() => new GroupedConv2D({ filters: 10, kernelSize: 3, groups: 4 })).toThrow(/filters 10 are not divisible by groups 4/);
    expect(() => wrap([4, 4, 6], (t) => new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 4 }).apply(t) as tf.SymbolicTensor)).toThrow(/input channels 6/);
  });

  it('training (slice) and inference (masked) paths agree', () => {
    const layer = new GroupedConv2D({ filters: 12, kernelSize: 3, groups: 4, strides: 2, padding: 1, useBias: true });
    const x = tf.tensor4d(seeded(2 * 7 * 7 * 8, 31), [2, 7, 7, 8]);
    const a = layer.apply(x, { training: true }) as tf.Tensor;
    const b = layer.apply(x) as tf.Tensor;
    expect(relErr(a.dataSync(), b.dataSync())).toBeLessThan(1e-5);
  });

  for (const training of [true, false]) {
    it(`gradients match the cpu backend (${training ? 'training/slice' : 'inference/masked'} path)`, async () => {
      const err = await wasmVsCpu(
        () => wrap([6, 6, 8], (t) => new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 4, strides: 2, padding: 1, useBias: true }).apply(t, { training }) as tf.SymbolicTensor),
        seeded(2 * 6 * 6 * 8, 13), [2, 6, 6, 8]);
      expect(err).toBeLessThan(1e-4);
    });
  }

  it('survives save/load with identical outputs and does not leak tensors', async () => {
    const model = wrap([6, 6, 8], (t) => new GroupedConv2D({ filters: 12, kernelSize: 3, groups: 4, padding: 1, useBias: true }).apply(t) as tf.SymbolicTensor);
    const x = tf.tensor4d(seeded(2 * 6 * 6 * 8, 17), [2, 6, 6, 8]);
    const loaded = await saveLoad(model);
    const l = loaded.layers[1] as GroupedConv2D;
    expect([l.groups, l.padding, l.useBias, l.filters]).toEqual([4, 1, true, 12]);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    expect(new Set(tensorCountsOverPredicts(loaded, x)).size).toBe(1);
  });
});
