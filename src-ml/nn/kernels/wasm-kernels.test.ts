/**
 * The project's wasm kernels against the cpu backend (same inputs), a small conv net trained on wasm,
 * and a leak check (tensor count and wasm heap size) across train steps.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, type ConvGradImpl } from './wasm-conv-grad.ts';
import { setIm2colChunkFloats, setMaxShiftOverhead } from './conv2d-grad-gemm.ts';
import { relErr } from '../../testing/numeric.ts';
import { batchMatMulWasmVsCpu, onBackend, randomData } from '../../testing/kernel-compare.ts';
import { mulberry32 } from '../../base/random.ts';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  batch: number; h: number; w: number; ci: number; co: number; k: number; stride: number; pad: Pad;
  /** Filter width when it differs from the height k (conv1d-style [1, kw] filters). */
  kw?: number;
}

/** Deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  return mulberry32(seed);
}


function cases(): Case[] {
  const rand = rng(12345);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const list: Case[] = [];
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (let rep = 0; rep < 4; rep++) {
          list.push({
            batch: 1 + Math.floor(rand() * 3), h: k + Math.floor(rand() * 9), w: k + Math.floor(rand() * 9),
            ci: 1 + Math.floor(rand() * 8), co: 1 + Math.floor(rand() * 8), k, stride, pad,
          });
        }
      }
      // explicit padding, including pads larger than the kernel (exercises the general paths)
      const p = (): number => Math.floor(rand() * (k + 2));
      list.push({
        batch: pick([1, 2, 3]), h: k + 2 + Math.floor(rand() * 6), w: k + 1 + Math.floor(rand() * 6),
        ci: pick([1, 3, 8]), co: pick([1, 5, 8]), k, stride, pad: [[0, 0], [p(), p()], [p(), p()], [0, 0]],
      });
    }
  }
  // conv1d as tfjs runs it: height 1, filter [1, kw]
  for (const [kw, stride, pad] of [[3, 1, 'same'], [3, 2, 'valid'], [5, 1, 'valid']] as const) {
    list.push({ batch: 2, h: 1, w: 11, ci: 6, co: 4, k: 1, kw, stride, pad });
  }
  return list;
}

function outSize(c: Case): [number, number] {
  const info = tf.backend_util.computeConv2DInfo([c.batch, c.h, c.w, c.ci], [c.k, c.kw ?? c.k, c.ci, c.co], c.stride, 1, c.pad);
  return [info.outHeight, info.outWidth];
}



function runGrad(kind: 'filter' | 'input', c: Case, a: Float32Array, dy: Float32Array): Float32Array {
  const [oh, ow] = outSize(c);
  return tf.tidy(() => {
    const dyT = tf.tensor4d(dy, [c.batch, oh, ow, c.co]);
    const common = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const out = kind === 'filter'
      ? tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(a, [c.batch, c.h, c.w, c.ci]), dy: dyT },
        { ...common, filterShape: [c.k, c.kw ?? c.k, c.ci, c.co] } as unknown as tf.NamedAttrMap)
      : tf.engine().runKernel('Conv2DBackpropInput', { dy: dyT, filter: tf.tensor4d(a, [c.k, c.kw ?? c.k, c.ci, c.co]) },
        { ...common, inputShape: [c.batch, c.h, c.w, c.ci] } as unknown as tf.NamedAttrMap);
    return (out as tf.Tensor).dataSync() as Float32Array;
  });
}

function wasmHeapBytes(): number {
  return ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength;
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
  expect(await tf.setBackend('cpu')).toBe(true);
});

const allCases = cases();

describe.each([
  ['xnn', false, false],
  ['xnn', true, false],
  ['xnn', false, true],
  ['xnn', true, true],
  ['js', false, false],
] as [ConvGradImpl, boolean, boolean][])('conv2d gradient kernels on wasm (impl %s, one image per chunk: %s, stride-1 filter gradient by shifts always: %s) match cpu', (impl, chunked, shift) => {
  it(`Conv2DBackpropFilter and Conv2DBackpropInput over ${allCases.length} shapes`, async () => {
    registerWasmTrainingKernels({ impl });
    setIm2colChunkFloats(chunked ? 1 : undefined);
    setMaxShiftOverhead(shift ? Infinity : undefined);
    const rand = rng(7);
    for (const c of allCases) {
      const [oh, ow] = outSize(c);
      const x = randomData(c.batch * c.h * c.w * c.ci, rand);
      const w = randomData(c.k * (c.kw ?? c.k) * c.ci * c.co, rand);
      const dy = randomData(c.batch * oh * ow * c.co, rand);
      const label = JSON.stringify(c);
      const dwCpu = await onBackend('cpu', () => runGrad('filter', c, x, dy));
      const dwWasm = await onBackend('wasm', () => runGrad('filter', c, x, dy));
      expect(relErr(dwWasm, dwCpu), `filter ${label}`).toBeLessThan(1e-4);
      const dxCpu = await onBackend('cpu', () => runGrad('input', c, w, dy));
      const dxWasm = await onBackend('wasm', () => runGrad('input', c, w, dy));
      expect(relErr(dxWasm, dxCpu), `input ${label}`).toBeLessThan(1e-4);
    }
    setIm2colChunkFloats();
    setMaxShiftOverhead();
    registerWasmTrainingKernels();
  });
});

describe('Tile on wasm matches cpu', () => {
  it.each([
    [[1, 1, 1, 5], [2, 3, 4, 1], 'float32'],
    [[2, 3], [3, 2], 'int32'],
    [[3, 1, 2], [1, 4, 3], 'float32'],
    [[4], [5], 'bool'],
    [[2, 2, 2], [1, 1, 1], 'float32'],
  ] as const)('shape %j reps %j %s', async (shape, reps, dtype) => {
    const n = (shape as readonly number[]).reduce((p, d) => p * d, 1);
    const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 2 : i - 3));
    const run = (): number[] => tf.tidy(() => Array.from(tf.tile(tf.tensor(values, [...shape], dtype), [...reps]).dataSync()));
    const cpu = await onBackend('cpu', run);
    expect(await onBackend('wasm', run)).toEqual(cpu);
  });
});

describe('MaxPoolGrad on wasm matches cpu', () => {
  it.each([
    [[2, 8, 8, 5], 2, 2, 'valid'],
    [[1, 7, 9, 3], 3, 2, 'same'],
    [[2, 6, 6, 4], 3, 1, 'same'],
    [[1, 5, 5, 2], 2, 1, 'valid'],
  ] as const)('input %j, window %i, stride %i, %s (ties included)', async (shape, size, stride, pad) => {
    const n = (shape as readonly number[]).reduce((p, d) => p * d, 1);
    const rand = rng(n);
    // Rounded values and ReLU zeros make ties, which must go to the same input as on cpu.
    const values = Float32Array.from({ length: n }, () => Math.max(0, Math.round(rand() * 6 - 2)));
    const run = (): number[] => tf.tidy(() => {
      const dyRand = rng(n + 1);
      const x = tf.tensor4d(values, [...shape] as [number, number, number, number]);
      const f = (xi: tf.Tensor4D): tf.Tensor => tf.maxPool(xi, size, stride, pad);
      const dy = tf.tensor(Float32Array.from({ length: f(x).size }, () => dyRand() * 2 - 1), f(x).shape);
      return Array.from(tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(f(xi as tf.Tensor4D), dy)))(x).dataSync());
    });
    const cpu = await onBackend('cpu', run);
    // Overlapping windows add their shares in another order: equal up to rounding.
    expect(relErr(await onBackend('wasm', run), cpu)).toBeLessThan(1e-6);
  });
});

describe('BatchMatMul on wasm matches cpu', () => {
  it.each([
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[2, 5, 7], [2, 7, 3], false, false],
    [[3, 7, 5], [3, 3, 7], true, true],
    [[4, 5, 7], [7, 3], false, false],
    [[1, 7, 5], [2, 2, 7, 3], true, false],
    [[2, 1, 5, 7], [1, 3, 7, 4], false, false],
  ] as const)('a %j, b %j, transposeA %s, transposeB %s', async (aShape, bShape, ta, tb) => {
    const r = await batchMatMulWasmVsCpu(aShape, bShape, ta, tb);
    expect(r.wasmShape).toEqual(r.cpuShape);
    expect(r.relErr).toBeLessThan(1e-5);
  });
});

describe('Identity on wasm', () => {
  it('shares the buffer and keeps the values when the source is disposed', async () => {
    await onBackend('wasm', () => undefined);
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    const s = tf.clone(tf.tensor(['a', 'b']));
    expect(s.dataSync()).toEqual(['a', 'b']);
  });
});

describe('Sum and Mean on wasm match cpu', () => {
  it.each([
    [[4, 5, 6, 3], [0, 1, 2], false, 'float32'],
    [[4, 5, 6, 3], [2, 0, 1], true, 'float32'],
    [[7, 9], 0, false, 'float32'],
    [[3, 4, 5], [0, 1, 2], false, 'float32'],
    [[3, 4, 5], -1, false, 'float32'],
    [[3, 4, 5], [1, 2], true, 'float32'],
    [[3, 4, 5], [0, 1], false, 'int32'],
    [[0, 4], 0, false, 'float32'],
  ] as const)('shape %j axis %j keepDims %s %s', async (shape, axis, keepDims, dtype) => {
    const n = (shape as readonly number[]).reduce((p, d) => p * d, 1);
    const rand = rng(n + 1);
    const values = Array.from({ length: n }, () => (dtype === 'int32' ? Math.floor(rand() * 20 - 10) : rand() * 2 - 1));
    const run = (): { shape: number[]; sum: number[]; mean: number[] } => tf.tidy(() => {
      const x = tf.tensor(values, [...shape], dtype);
      const ax = typeof axis === 'number' ? axis : [...axis];
      const sum = tf.sum(x, ax, keepDims);
      return { shape: sum.shape, sum: Array.from(sum.dataSync()), mean: Array.from(tf.mean(x, ax, keepDims).dataSync()) };
    });
    const cpu = await onBackend('cpu', run);
    const wasm = await onBackend('wasm', run);
    expect(wasm.shape).toEqual(cpu.shape);
    expect(relErr(wasm.sum, cpu.sum)).toBeLessThan(1e-5);
    expect(relErr(wasm.mean, cpu.mean)).toBeLessThan(1e-5);
  });
});

/** Two conv layers (3x3 same, then 3x3 stride 2 valid) + dense, on a fixed batch. */
function smallNet(seed: number) {
  const init = (shape: number[], s: number) => tf.variable(tf.randomNormal(shape, 0, 0.3, 'float32', seed + s));
  const params = { w1: init([3, 3, 2, 4], 1), w2: init([3, 3, 4, 6], 2), wd: init([5 * 5 * 6, 1], 3), bd: tf.variable(tf.zeros([1])) };
  const x = tf.randomNormal([3, 12, 12, 2], 0, 1, 'float32', seed + 4) as tf.Tensor4D;
  const y = tf.tensor2d([[1], [0], [1]]);
  const loss = (): tf.Scalar => tf.tidy(() => {
    const h1 = tf.relu(tf.conv2d(x, params.w1 as tf.Tensor4D, 1, 'same'));
    const h2 = tf.relu(tf.conv2d(h1, params.w2 as tf.Tensor4D, 2, 'valid'));
    const logits = tf.add(tf.matMul(tf.reshape(h2, [3, -1]), params.wd), params.bd);
    return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;
  });
  const dispose = (): void => {
    Object.values(params).forEach((v) => v.dispose());
    x.dispose();
    y.dispose();
  };
  return { params, loss, dispose };
}

describe('a small conv net on wasm', () => {
  it('has the same gradients as on cpu and its loss decreases', async () => {
    const grads = async (backend: string): Promise<Record<string, Float32Array>> => {
      await onBackend(backend, () => undefined);
      const net = smallNet(11);
      const { grads: g, value } = tf.variableGrads(net.loss);
      const out: Record<string, Float32Array> = {};
      for (const [key, v] of Object.entries(net.params)) out[key] = g[v.name]!.dataSync() as Float32Array;
      Object.values(g).forEach((t) => t.dispose());
      value.dispose();
      net.dispose();
      return out;
    };
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    expect(Object.keys(wasm).length).toBe(4);
    for (const name of Object.keys(cpu)) expect(relErr(wasm[name]!, cpu[name]!), name).toBeLessThan(1e-4);

    const net = smallNet(11);
    const opt = tf.train.adam(0.01);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const l = opt.minimize(net.loss, true) as tf.Scalar;
      losses.push(l.dataSync()[0]!);
      l.dispose();
    }
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.9);
    opt.dispose();
    net.dispose();
  });

  it('does not leak tensors or wasm heap across 20 steps', async () => {
    await onBackend('wasm', () => undefined);
    const net = smallNet(5);
    const opt = tf.train.adam(0.01);
    const step = (): void => {
      const l = opt.minimize(net.loss, true);
      l?.dispose();
    };
    for (let i = 0; i < 3; i++) step();
    const tensors = tf.memory().numTensors;
    const heap = wasmHeapBytes();
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(wasmHeapBytes()).toBe(heap);
    opt.dispose();
    net.dispose();
  });
});
