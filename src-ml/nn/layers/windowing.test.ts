import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DENSENET_WINDOWS, SE_NET_WINDOWS, Windowing, findWindowingWeights, windowInitialWeights } from './windowing.ts';
import { saveLoad, seeded, tensorCountsOverPredicts, useWasm, wasmVsCpu, wrap } from './layer-test-utils.ts';

beforeAll(useWasm);

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('Windowing (WSO)', () => {
  it('initial weights are 1/W and 0.5 - C/W', () => {
    const { kernel, bias } = windowInitialWeights(DENSENET_WINDOWS);
    expect(kernel).toEqual([1 / 80, 1 / 200, 1 / 2800]);
    expect(bias).toEqual([0.5 - 40 / 80, 0.5 - 80 / 200, 0.5 - 600 / 2800]);
  });

  it('a gain g sharpens the initial window to g/W and 0.5 - g*C/W, keeps it in the config, rejects g <= 0', () => {
    const { kernel, bias } = windowInitialWeights([[40, 80]], 8);
    expect(kernel).toEqual([8 / 80]);
    expect(bias).toEqual([0.5 - (8 * 40) / 80]);
    const layer = new Windowing({ windows: [[40, 80]], gain: 8 });
    layer.apply(tf.zeros([1, 2, 2, 1]));
    const [k, b] = layer.getWeights();
    expect(k!.dataSync()[0]).toBeCloseTo(0.1, 7);
    expect(b!.dataSync()[0]).toBeCloseTo(-3.5, 6);
    expect(layer.getConfig()['gain']).toBe(8);
    // the brain window spans sigmoid(-3.5)..sigmoid(4.5) instead of the seed's 0.5..0.73
    expect(sigmoid(0.1 * 0 - 3.5)).toBeLessThan(0.03);
    expect(() => new Windowing({ gain: 0 })).toThrow(/gain must be positive/);
  });

  it('initial output is sigmoid((HU - C)/W + 0.5), instance-normalised per image and channel', () => {
    // one 2x2 image; window (40, 80): HU 0, 40, 80, 120 -> sigmoid(0), sigmoid(0.5), sigmoid(1), sigmoid(1.5)
    const hu = [0, 40, 80, 120];
    const layer = new Windowing({ windows: [[40, 80], [80, 200]] });
    const y = layer.apply(tf.tensor4d(hu, [1, 2, 2, 1])) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2, 2]);
    const out = y.dataSync();
    const brain = [0.5, 0.6224593, 0.7310586, 0.8175745];
    hu.forEach((v, i) => expect(sigmoid((v - 40) / 80 + 0.5)).toBeCloseTo(brain[i]!, 6));
    for (const [ch, [c, w]] of [[0, [40, 80]], [1, [80, 200]]] as const) {
      const s = hu.map((v) => sigmoid((v - c) / w + 0.5));
      const mean = s.reduce((a, b) => a + b, 0) / 4;
      const variance = s.reduce((a, b) => a + (b - mean) ** 2, 0) / 4; // biased
      s.forEach((v, i) => expect(out[i * 2 + ch]!).toBeCloseTo((v - mean) / Math.sqrt(variance + 1e-5), 4));
    }
    // hand-computed channel 0: mean 0.6677731, biased var 0.01416166 -> first value -1.4093274
    expect(out[0]!).toBeCloseTo(-1.4093274, 4);
  });

  it('normalises each image separately and defaults to the SE-net windows', () => {
    const layer = new Windowing();
    expect(layer.windows).toEqual(SE_NET_WINDOWS.map((w) => [...w]));
    const x = tf.tensor4d(seeded(2 * 4 * 4, 5, 300, 40), [2, 4, 4, 1]);
    const y = layer.apply(x) as tf.Tensor;
    const { mean, variance } = tf.moments(y, [1, 2]);
    mean.dataSync().forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5));
    variance.dataSync().forEach((v) => expect(v).toBeGreaterThan(0.99));
  });

  it('gradients reach the window weights and match the cpu backend', async () => {
    const x = seeded(2 * 5 * 5, 7, 200, 40);
    const model = wrap([5, 5, 1], (t) => new Windowing({ windows: DENSENET_WINDOWS }).apply(t) as tf.SymbolicTensor);
    const ws = findWindowingWeights(model);
    expect(ws.map((w) => w.shape)).toEqual([[1, 1, 1, 3], [3]]);
    const xt = tf.tensor4d(x, [2, 5, 5, 1]);
    const r = tf.tensor(seeded(2 * 5 * 5 * 3, 3), [2, 5, 5, 3]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(xt) as tf.Tensor, r)), ws.map((w) => w.read() as tf.Variable));
    for (const g of Object.values(grads)) {
      const data = g.dataSync();
      expect(data.every(Number.isFinite)).toBe(true);
      expect(data.some((v) => Math.abs(v) > 1e-6)).toBe(true);
    }
    tf.dispose([xt, r, ...Object.values(grads)]);
    const err = await wasmVsCpu(() => wrap([5, 5, 1], (t) => new Windowing({ windows: DENSENET_WINDOWS }).apply(t) as tf.SymbolicTensor), x, [2, 5, 5, 1]);
    expect(err).toBeLessThan(1e-4);
  });

  it('survives save/load with identical outputs and does not leak tensors', async () => {
    const model = wrap([6, 6, 1], (t) => new Windowing({ windows: DENSENET_WINDOWS, name: 'wso' }).apply(t) as tf.SymbolicTensor);
    // move the weights off their init so the round trip has to carry them
    model.setWeights([tf.tensor4d([0.02, 0.004, 0.0005], [1, 1, 1, 3]), tf.tensor1d([0.1, -0.2, 0.3])]);
    const x = tf.tensor4d(seeded(2 * 36, 11, 500), [2, 6, 6, 1]);
    const loaded = await saveLoad(model);
    expect(loaded.layers[1]).toBeInstanceOf(Windowing);
    expect((loaded.layers[1] as Windowing).windows).toEqual(DENSENET_WINDOWS.map((w) => [...w]));
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    const counts = tensorCountsOverPredicts(loaded, x);
    expect(new Set(counts).size).toBe(1);
  });
});
