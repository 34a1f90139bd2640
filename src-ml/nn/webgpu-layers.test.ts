// The project's layers on the webgpu backend against cpu: outputs and gradients (input and every weight), on
// whatever adapter exists (here Mesa's llvmpipe through Dawn's GL path). Tolerance: 1e-5 of the largest reference
// value (float32 sums in another order), 1e-4 for windowing, whose instance norm divides by small variances.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GroupedConv2D, groupedConvImpl } from './layers/grouped-conv2d.ts';
import { ChannelGroupMaxPool } from './layers/channel-group-max-pool.ts';
import { DENSENET_WINDOWS, Windowing } from './layers/windowing.ts';
import { squeezeExcitation } from './layers/squeeze-excitation.ts';
import { seeded, wrap } from './layers/layer-test-utils.ts';
import { groupedConv2dFused, GROUPED_CONV2D, GROUPED_CONV2D_BACKPROP_FILTER, GROUPED_CONV2D_BACKPROP_INPUT } from './kernels/webgpu-grouped-conv-op.ts';
import { filterGradChunks } from './kernels/webgpu-grouped-conv.ts';
import { webGpuForTests, webGpuVsCpu } from './webgpu-test-utils.ts';

const gpu = await webGpuForTests();
const run = gpu.skip ? it.skip : it;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function onWebGpu<T>(f: () => Promise<T> | T): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend('webgpu');
  try {
    return await f();
  } finally {
    await tf.setBackend(previous);
  }
}

describe('layers on webgpu', () => {
  run('grouped convolution takes the one-kernel path on webgpu, and never the masked one on GPU backends', async () => {
    await onWebGpu(async () => {
      expect(groupedConvImpl(false)).toBe(groupedConv2dFused);
      expect(groupedConvImpl(true)).toBe(groupedConv2dFused);
      const layer = new GroupedConv2D({ filters: 8, kernelSize: 3, groups: 4, padding: 1 });
      const x = tf.randomNormal([1, 5, 5, 8], 0, 1, 'float32', 3);
      layer.build(x.shape);
      const kernels: string[] = [];
      const profile = await tf.profile(() => {
        const xv = tf.variable(x);
        const { grads } = tf.variableGrads(() => tf.sum(layer.apply(xv) as tf.Tensor), [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)]);
        tf.dispose(Object.values(grads));
        xv.dispose();
      });
      for (const k of profile.kernels) kernels.push(k.name);
      expect(kernels).toEqual(expect.arrayContaining([GROUPED_CONV2D, GROUPED_CONV2D_BACKPROP_INPUT, GROUPED_CONV2D_BACKPROP_FILTER]));
      expect(kernels).not.toContain('Tile');
      x.dispose();
    });
    expect(groupedConvImpl(false, 'tensorflow')).not.toBe(groupedConvImpl(false, 'wasm'));
  }, 120_000);

  for (const training of [true, false]) {
    run(`grouped convolution: outputs and gradients equal cpu's (${training ? 'training' : 'inference'})`, async () => {
      // strides 1 and 2, 'same', 'valid' and PyTorch's symmetric padding, 1x1 and 3x3 kernels
      for (const [cin, cout, g, k, stride, pad] of [[8, 12, 4, 3, 1, 'same'], [16, 16, 8, 3, 2, 1], [6, 9, 3, 1, 1, 'valid'], [8, 8, 2, 3, 2, 'valid']] as const) {
        const err = await webGpuVsCpu(
          () => wrap([7, 7, cin], (t) => new GroupedConv2D({ filters: cout, kernelSize: k, groups: g, strides: stride, padding: pad, useBias: true }).apply(t, { training }) as tf.SymbolicTensor),
          seeded(2 * 7 * 7 * cin, cin + g), [2, 7, 7, cin], training);
        expect(err, `cin ${cin} cout ${cout} g ${g} k ${k} s ${stride} pad ${pad}`).toBeLessThan(1e-5);
      }
    }, 300_000);
  }

  run('grouped convolution: the filter gradient over several pixels per chunk (ResNeXt-like 32 groups of 2)', async () => {
    const { perChunk } = filterGradChunks(2 * 24 * 24, 9 * 2 * 64);
    expect(perChunk).toBeGreaterThan(1);
    const err = await webGpuVsCpu(
      () => wrap([24, 24, 64], (t) => new GroupedConv2D({ filters: 64, kernelSize: 3, groups: 32, padding: 1 }).apply(t, { training: true }) as tf.SymbolicTensor),
      seeded(2 * 24 * 24 * 64, 21), [2, 24, 24, 64]);
    expect(err).toBeLessThan(1e-5);
  }, 300_000);

  run('channel-group max pooling', async () => {
    const err = await webGpuVsCpu(() => wrap([4, 4, 16], (t) => new ChannelGroupMaxPool({ groupSize: 4 }).apply(t) as tf.SymbolicTensor), seeded(2 * 4 * 4 * 16, 5), [2, 4, 4, 16]);
    expect(err).toBeLessThan(1e-5);
  }, 120_000);

  run('windowing (sigmoid windows + instance norm) on HU values', async () => {
    const err = await webGpuVsCpu(() => wrap([5, 5, 1], (t) => new Windowing({ windows: DENSENET_WINDOWS }).apply(t) as tf.SymbolicTensor), seeded(2 * 5 * 5, 3, 600, 40), [2, 5, 5, 1]);
    expect(err).toBeLessThan(1e-4);
  }, 120_000);

  run('squeeze-excitation', async () => {
    const err = await webGpuVsCpu(() => wrap([3, 3, 32], (t) => squeezeExcitation(t, { reduction: 4 })), seeded(2 * 9 * 32, 6), [2, 3, 3, 32]);
    expect(err).toBeLessThan(1e-5);
  }, 120_000);
});
