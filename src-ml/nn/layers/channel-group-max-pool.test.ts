import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ChannelGroupMaxPool } from './channel-group-max-pool.ts';
import { saveLoad, seeded, tensorCountsOverPredicts, useWasm, wasmVsCpu, wrap } from './layer-test-utils.ts';

beforeAll(useWasm);

function naive(x: Float32Array, [b, h, w, c]: number[], g: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < b!; n++) {
    for (let j = 0; j < c! / g; j++) {
      let m = -Infinity;
      for (let y = 0; y < h!; y++) for (let xx = 0; xx < w!; xx++) for (let k = j * g; k < (j + 1) * g; k++) {
        m = Math.max(m, x[((n * h! + y) * w! + xx) * c! + k]!);
      }
      out.push(m);
    }
  }
  return out;
}

describe('ChannelGroupMaxPool', () => {
  it('equals a naive loop', () => {
    const cases: [number[], number][] = [[[2, 3, 4, 16], 8], [[1, 5, 5, 12], 4], [[3, 2, 2, 6], 1], [[2, 4, 4, 9], 9]];
    for (const [shape, g] of cases) {
      const data = seeded(shape.reduce((a, b) => a * b, 1), 21 + g);
      const y = new ChannelGroupMaxPool({ groupSize: g }).apply(tf.tensor(data, [...shape])) as tf.Tensor;
      expect(y.shape).toEqual([shape[0], shape[3]! / g]);
      expect(Array.from(y.dataSync())).toEqual(naive(data, [...shape], g).map(Math.fround));
    }
  });

  it('gives the seed head sizes and errors when C % g != 0', () => {
    expect(new ChannelGroupMaxPool({ groupSize: 8 }).computeOutputShape([null, 16, 16, 2048])).toEqual([null, 256]);
    expect(new ChannelGroupMaxPool({ groupSize: 4 }).computeOutputShape([null, 16, 16, 2208])).toEqual([null, 552]);
    expect(new ChannelGroupMaxPool({ groupSize: 8 }).computeOutputShape([null, 16, 16, 1664])).toEqual([null, 208]);
    expect(() => wrap([4, 4, 10], (t) => new ChannelGroupMaxPool({ groupSize: 4 }).apply(t) as tf.SymbolicTensor)).toThrow(/10 channels are not divisible by groupSize 4/);
    expect(() => new ChannelGroupMaxPool({ groupSize: 0 })).toThrow(/positive integer/);
  });

  it('gradients match the cpu backend', async () => {
    const err = await wasmVsCpu(() => wrap([4, 4, 16], (t) => new ChannelGroupMaxPool({ groupSize: 4 }).apply(t) as tf.SymbolicTensor), seeded(2 * 4 * 4 * 16, 5), [2, 4, 4, 16]);
    expect(err).toBeLessThan(1e-4);
  });

  it('survives save/load with identical outputs and does not leak tensors', async () => {
    const model = wrap([4, 4, 16], (t) => new ChannelGroupMaxPool({ groupSize: 8 }).apply(t) as tf.SymbolicTensor);
    const x = tf.tensor4d(seeded(2 * 4 * 4 * 16, 8), [2, 4, 4, 16]);
    const loaded = await saveLoad(model);
    expect((loaded.layers[1] as ChannelGroupMaxPool).groupSize).toBe(8);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    expect(new Set(tensorCountsOverPredicts(loaded, x)).size).toBe(1);
  });
});
