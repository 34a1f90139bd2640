/**
 * The native OpenBLAS addon (native/ich-blas.c) and the wasm kernels routed to it, against plain JS and the cpu
 * backend: sgemm with transposes, strides, offsets, alpha and beta; Conv2D / FusedConv2D forward and both
 * gradients over strides, paddings and conv1d shapes (whole and in tiny im2col chunks); BatchMatMul with
 * transposes and batches; the training-mode batch norm against its JS loops; a small net's gradients; loading in a
 * worker thread; ICH_NATIVE=0 falling back.
 * Skipped, with the reason in the suite name, where the addon is not built.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../base/random.ts';
import { relErr } from '../../testing/numeric.ts';
import { batchMatMulWasmVsCpu, onBackend, randomData } from '../../testing/kernel-compare.ts';
import { initBackend } from '../backend.ts';
import { ADDON_PATH, defaultNativeThreads, disableNativeKernels, enableNativeKernels, loadNativeBlas, nativeBlas } from './native-blas.ts';
import { BN_TRAIN, BN_TRAIN_GRAD } from './wasm-batch-norm.ts';
import { registerWasmTrainingKernels } from './wasm-conv-grad.ts';

const loaded = loadNativeBlas();
const skipReason = loaded.blas ? '' : ` (skipped: ${loaded.reason})`;


/** Row-major reference: C[offC + i*ldc + j] = alpha * sum_k op(A)[i,k] op(B)[k,j] + beta * C. */
function sgemmRef(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, offA: number, lda: number,
  b: Float32Array, offB: number, ldb: number, beta: number, c: Float32Array, offC: number, ldc: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[offA + (ta ? p * lda + i : i * lda + p)]! * b[offB + (tb ? j * ldb + p : p * ldb + j)]!;
      const at = offC + i * ldc + j;
      c[at] = alpha * s + (beta === 0 ? 0 : beta * c[at]!);
    }
  }
}


type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case { batch: number; h: number; w: number; ci: number; co: number; kh: number; kw: number; stride: number; pad: Pad }

function convCases(): Case[] {
  const rand = mulberry32(2024);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const list: Case[] = [];
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2, 3]) {
      for (const pad of ['same', 'valid'] as const) {
        for (let rep = 0; rep < 2; rep++) list.push({ batch: int(1, 3), h: k + int(0, 8), w: k + int(0, 8), ci: int(1, 9), co: int(1, 9), kh: k, kw: k, stride, pad });
      }
      const p = (): number => int(0, k + 1);
      list.push({ batch: 2, h: k + int(2, 7), w: k + int(1, 6), ci: 3, co: 5, kh: k, kw: k, stride, pad: [[0, 0], [p(), p()], [p(), p()], [0, 0]] });
    }
  }
  // 1x1 stride 1 unpadded (the addon's im2col-free path), conv1d as tfjs runs it ([1, kw] filters), a wide image.
  list.push({ batch: 3, h: 5, w: 7, ci: 6, co: 4, kh: 1, kw: 1, stride: 1, pad: 'valid' });
  for (const [kw, stride, pad] of [[3, 1, 'same'], [3, 2, 'valid'], [5, 1, 'valid']] as const) list.push({ batch: 2, h: 1, w: 11, ci: 6, co: 4, kh: 1, kw, stride, pad });
  list.push({ batch: 2, h: 17, w: 33, ci: 16, co: 24, kh: 3, kw: 3, stride: 1, pad: 'same' });
  return list;
}

function outShape(c: Case): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo([c.batch, c.h, c.w, c.ci], [c.kh, c.kw, c.ci, c.co], c.stride, 1, c.pad);
  return [c.batch, info.outHeight, info.outWidth, c.co];
}

function conv(c: Case, x: Float32Array, w: Float32Array, fused?: { bias: Float32Array; activation: 'linear' | 'relu' | 'relu6' | 'leakyrelu' }): Float32Array {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.batch, c.h, c.w, c.ci]);
    const wt = tf.tensor4d(w, [c.kh, c.kw, c.ci, c.co]);
    const y = fused
      ? tf.fused.conv2d({ x: xt, filter: wt, strides: c.stride, pad: c.pad, bias: tf.tensor1d(fused.bias), activation: fused.activation, leakyreluAlpha: 0.3 })
      : tf.conv2d(xt, wt, c.stride, c.pad);
    return y.dataSync() as Float32Array;
  });
}

function convGrad(kind: 'filter' | 'input', c: Case, a: Float32Array, dy: Float32Array): Float32Array {
  return tf.tidy(() => {
    const dyT = tf.tensor4d(dy, outShape(c));
    const common = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const out = kind === 'filter'
      ? tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(a, [c.batch, c.h, c.w, c.ci]), dy: dyT }, { ...common, filterShape: [c.kh, c.kw, c.ci, c.co] } as unknown as tf.NamedAttrMap)
      : tf.engine().runKernel('Conv2DBackpropInput', { dy: dyT, filter: tf.tensor4d(a, [c.kh, c.kw, c.ci, c.co]) }, { ...common, inputShape: [c.batch, c.h, c.w, c.ci] } as unknown as tf.NamedAttrMap);
    return (out as tf.Tensor).dataSync() as Float32Array;
  });
}

describe.skipIf(!loaded.blas)(`native addon ich-blas${skipReason}`, () => {
  const blas = loaded.blas!;

  it('sgemm equals a JS reference with transposes, leading dimensions, offsets, alpha and beta', () => {
    const rand = mulberry32(99);
    for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 9, 33], [64, 48, 70], [5, 1, 0]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const [alpha, beta] = [0.5 + rand(), rand() < 0.5 ? 0 : rand() - 0.5];
          const lda = (ta ? m : k) + 2;
          const ldb = (tb ? k : n) + 1;
          const ldc = n + 3;
          const [offA, offB, offC] = [5, 2, 7];
          const a = randomData(offA + (ta ? k : m) * lda, rand);
          const b = randomData(offB + (tb ? n : k) * ldb, rand);
          const c = randomData(offC + m * ldc, rand);
          const expected = Float32Array.from(c);
          sgemmRef(ta, tb, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, expected, offC, ldc);
          blas.sgemm(ta, tb, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc);
          expect(relErr(c, expected), `${m}x${n}x${k} ta=${ta} tb=${tb}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('sgemm refuses operands that overrun their arrays, in one line', () => {
    const a = new Float32Array(6);
    const c = new Float32Array(4);
    expect(() => blas.sgemm(false, false, 2, 2, 3, 1, a, 1, 3, a, 0, 2, 0, c, 0, 2)).toThrow(/^ich-blas: sgemm: A \[2 x 3\] at 1 overruns its 6 floats$/);
    expect(() => blas.sgemm(false, false, 2, 2, 3, 1, a, 0, 3, a, 0, 2, 0, new Float32Array(3), 0, 2)).toThrow(/^ich-blas: sgemm: C /);
    expect(() => blas.sgemm(false, false, 2, 2, 3, 1, a, 0, 3, new Float64Array(6) as unknown as Float32Array, 0, 2, 0, c, 0, 2)).toThrow(/Float32Arrays/);
  });

  it('loads and computes in a worker thread too', async () => {
    const code = `const { parentPort, workerData } = require('node:worker_threads');
const b = require(workerData);
const a = new Float32Array([1, 2, 3, 4]), c = new Float32Array(4);
b.sgemm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
parentPort.postMessage(Array.from(c));`;
    const worker = new Worker(code, { eval: true, workerData: ADDON_PATH });
    const out = await new Promise<number[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(out).toEqual([7, 10, 15, 22]);
  });
});

describe.skipIf(!loaded.blas)(`wasm kernels on the native addon match cpu${skipReason}`, () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    expect(await tf.setBackend('cpu')).toBe(true);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(enableNativeKernels({})).toMatch(/^products: OpenBLAS/);
  });
  afterAll(() => {
    loaded.blas?.setChunkFloats(256 * 1024);
    disableNativeKernels();
  });

  const cases = convCases();
  it.each([['whole', 256 * 1024], ['in chunks of one pixel row', 1]] as const)(`Conv2D, FusedConv2D and both gradients over ${cases.length} shapes (%s)`, async (_label, chunk) => {
    loaded.blas!.setChunkFloats(chunk);
    const rand = mulberry32(7);
    const activations = ['linear', 'relu', 'relu6', 'leakyrelu'] as const;
    for (const [i, c] of cases.entries()) {
      const x = randomData(c.batch * c.h * c.w * c.ci, rand);
      const w = randomData(c.kh * c.kw * c.ci * c.co, rand);
      const dy = randomData(outShape(c).reduce((p, d) => p * d, 1), rand);
      const fused = { bias: randomData(c.co, rand), activation: activations[i % activations.length]! };
      const label = JSON.stringify(c);
      expect(nativeBlas()).not.toBeNull();
      expect(relErr(await onBackend('wasm', () => conv(c, x, w)), await onBackend('cpu', () => conv(c, x, w))), `conv2d ${label}`).toBeLessThan(1e-4);
      expect(relErr(await onBackend('wasm', () => conv(c, x, w, fused)), await onBackend('cpu', () => conv(c, x, w, fused))), `fused ${fused.activation} ${label}`).toBeLessThan(1e-4);
      expect(relErr(await onBackend('wasm', () => convGrad('filter', c, x, dy)), await onBackend('cpu', () => convGrad('filter', c, x, dy))), `filter ${label}`).toBeLessThan(1e-4);
      expect(relErr(await onBackend('wasm', () => convGrad('input', c, w, dy)), await onBackend('cpu', () => convGrad('input', c, w, dy))), `input ${label}`).toBeLessThan(1e-4);
    }
    loaded.blas!.setChunkFloats(256 * 1024);
  });

  it('gives bit-identical results on every run', async () => {
    const c: Case = { batch: 4, h: 20, w: 20, ci: 16, co: 32, kh: 3, kw: 3, stride: 1, pad: 'same' };
    const rand = mulberry32(3);
    const x = randomData(c.batch * c.h * c.w * c.ci, rand);
    const dy = randomData(c.batch * c.h * c.w * c.co, rand);
    const first = await onBackend('wasm', () => convGrad('filter', c, x, dy));
    expect(Array.from(convGrad('filter', c, x, dy))).toEqual(Array.from(first));
  });

  it.each([
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[2, 5, 7], [2, 7, 3], false, false],
    [[3, 7, 5], [3, 3, 7], true, true],
    [[4, 5, 7], [7, 3], false, false],
    [[1, 7, 5], [2, 2, 7, 3], true, false],
    [[2, 5, 7], [2, 4, 7], false, true],
    [[2, 1, 5, 7], [1, 3, 7, 4], false, false],
    [[2, 5, 0], [2, 0, 3], false, false],
    [[2, 5, 4], [2, 4, 0], false, false],
  ] as const)('BatchMatMul a %j, b %j, transposeA %s, transposeB %s', async (aShape, bShape, ta, tb) => {
    const r = await batchMatMulWasmVsCpu(aShape, bShape, ta, tb);
    expect(r.wasmShape).toEqual(r.cpuShape);
    expect(r.relErr).toBeLessThan(1e-5);
  });

  // A large offset against the spread checks the one-pass statistics for cancellation.
  it.each([[[3, 5, 4, 6], 0], [[7, 5], 0.5], [[2, 9, 3], 100], [[4, 8, 8, 32], 1]] as const)('batch norm forward and backward for shape %j, inputs offset by %d, equal the JS loops', async (shape, offset) => {
    await onBackend('wasm', () => undefined);
    const n = shape.reduce((p, d) => p * d, 1);
    const c = shape[shape.length - 1]!;
    const rand = mulberry32(n);
    const x = randomData(n, rand).map((v) => v + offset);
    const dy = randomData(n, rand);
    const gamma = randomData(c, rand);
    const beta = randomData(c, rand);
    const run = (): Float32Array[] => tf.tidy(() => {
      const xt = tf.tensor(x, [...shape]);
      const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x: xt, gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta) }, { epsilon: 1e-3 }) as tf.Tensor[];
      const grads = tf.engine().runKernel(BN_TRAIN_GRAD, { dy: tf.tensor(dy, [...shape]), x: xt, gamma: tf.tensor1d(gamma), mean: mean!, variance: variance! }, { epsilon: 1e-3 }) as tf.Tensor[];
      return [y!, mean!, variance!, ...grads].map((t) => t.dataSync() as Float32Array);
    });
    const native = run();
    disableNativeKernels();
    const js = run();
    enableNativeKernels({});
    expect(native.length).toBe(6);
    native.forEach((v, i) => expect(relErr(v, js[i]!), `output ${i}`).toBeLessThan(1e-5));
  });

  it.each([
    [[2, 6, 6, 3], 2, 2, 'valid'],
    [[1, 7, 5, 4], 3, 2, 'same'],
    [[2, 5, 5, 2], 2, 1, 'same'],
  ] as const)('MaxPoolGrad of input %j, window %d, stride %d, %s equals the JS loop', async (shape, size, stride, pad) => {
    await onBackend('wasm', () => undefined);
    const n = (shape as readonly number[]).reduce((p, d) => p * d, 1);
    const rand = mulberry32(n + size);
    // Rounded values so windows hold ties: the first maximum in row-major order must win on both paths.
    const x = randomData(n, rand).map((v) => Math.round(v * 3));
    const run = (): Float32Array => tf.tidy(() => {
      // Distinct weights per output, so each output's gradient lands visibly on its window's winner.
      const loss = (xi: tf.Tensor): tf.Scalar => {
        const y = tf.maxPool(xi as tf.Tensor4D, size, stride, pad);
        return tf.sum(tf.mul(y, tf.reshape(tf.range(1, 1 + y.size), y.shape)));
      };
      return tf.grad(loss)(tf.tensor4d(x, [...shape])).dataSync() as Float32Array;
    });
    const native = run();
    disableNativeKernels();
    const js = run();
    enableNativeKernels({});
    expect(Array.from(native)).toEqual(Array.from(js));
    expect(Math.max(...native)).toBeGreaterThan(0);
  });

  it.each([[[4, 5, 6, 3], [0, 1, 2], false], [[7, 9], 0, true], [[3, 4, 5], [1, 0], false]] as const)('Sum and Mean of %j over leading axes %j (keepDims %s) equal the JS loop', async (shape, axis, keepDims) => {
    await onBackend('wasm', () => undefined);
    const n = (shape as readonly number[]).reduce((p, d) => p * d, 1);
    const x = randomData(n, mulberry32(n)).map((v) => v + 10);
    const run = (): { shape: number[]; sum: Float32Array; mean: Float32Array } => tf.tidy(() => {
      const t = tf.tensor(x, [...shape]);
      const ax = typeof axis === 'number' ? axis : [...axis];
      const sum = tf.sum(t, ax, keepDims);
      return { shape: sum.shape, sum: sum.dataSync() as Float32Array, mean: tf.mean(t, ax, keepDims).dataSync() as Float32Array };
    });
    const native = run();
    disableNativeKernels();
    const js = run();
    enableNativeKernels({});
    expect(native.shape).toEqual(js.shape);
    expect(Array.from(native.sum)).toEqual(Array.from(js.sum));
    expect(Array.from(native.mean)).toEqual(Array.from(js.mean));
  });

  it('a small conv + dense net has the same gradients as on cpu and leaks neither tensors nor heap', async () => {
    const grads = async (backend: string): Promise<Float32Array[]> => {
      await onBackend(backend, () => undefined);
      const w1 = tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 0.3, 'float32', 1));
      const w2 = tf.variable(tf.randomNormal([3, 3, 4, 6], 0, 0.3, 'float32', 2));
      const b2 = tf.variable(tf.randomNormal([6], 0, 0.3, 'float32', 5));
      const wd = tf.variable(tf.randomNormal([5 * 5 * 6, 1], 0, 0.3, 'float32', 3));
      const x = tf.randomNormal([3, 12, 12, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      const y = tf.tensor2d([[1], [0], [1]]);
      const loss = (): tf.Scalar => tf.tidy(() => {
        const h1 = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'));
        const h2 = tf.fused.conv2d({ x: h1, filter: w2 as tf.Tensor4D, strides: 2, pad: 'valid', bias: b2, activation: 'relu' });
        return tf.losses.sigmoidCrossEntropy(y, tf.matMul(tf.reshape(h2, [3, -1]), wd)) as tf.Scalar;
      });
      const before = tf.memory().numTensors;
      const { grads: g, value } = tf.variableGrads(loss);
      const out = [w1, w2, b2, wd].map((v) => g[v.name]!.dataSync() as Float32Array);
      tf.dispose([...Object.values(g), value]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([w1, w2, b2, wd, x, y]);
      return out;
    };
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    cpu.forEach((g, i) => expect(relErr(wasm[i]!, g), `weight ${i}`).toBeLessThan(1e-4));
  });
});

describe('OpenBLAS threads', () => {
  it('are every core unless OPENBLAS_NUM_THREADS says otherwise', () => {
    expect(defaultNativeThreads({ OPENBLAS_NUM_THREADS: '3' })).toBe(3);
    expect(defaultNativeThreads({ OPENBLAS_NUM_THREADS: 'x' })).toBe(availableParallelism());
    expect(defaultNativeThreads({})).toBe(availableParallelism());
  });
});

describe('ICH_NATIVE', () => {
  afterAll(() => disableNativeKernels());
  /** The native TensorFlow packages are absent here; skip their import so the test goes straight to wasm. */
  const noTfNode = (s: string): Promise<unknown> => (s.startsWith('@tensorflow/tfjs-node') ? Promise.reject(new Error('absent')) : import(s));

  it('=0 keeps the kernels on wasm (XNNPACK), and the backend line says so', async () => {
    const lines: string[] = [];
    expect(await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm', ICH_NATIVE: '0' }, log: (l) => lines.push(l), importModule: noTfNode })).toBe('wasm');
    expect(lines).toEqual([expect.stringMatching(/^\[nn\] backend: wasm \(wasm, simd=\w+, products: XNNPACK \(ICH_NATIVE=0\)\) for train/)]);
    expect(nativeBlas()).toBeNull();
    // The wasm path still computes the gradients.
    const c: Case = { batch: 2, h: 6, w: 6, ci: 3, co: 4, kh: 3, kw: 3, stride: 2, pad: 'same' };
    const rand = mulberry32(5);
    const x = randomData(c.batch * c.h * c.w * c.ci, rand);
    const dy = randomData(outShape(c).reduce((p, d) => p * d, 1), rand);
    const wasm = convGrad('filter', c, x, dy);
    expect(relErr(wasm, await onBackend('cpu', () => convGrad('filter', c, x, dy)))).toBeLessThan(1e-4);
  });

  it.skipIf(!loaded.blas)(`unset turns the native products on where the addon is built${skipReason}`, async () => {
    const lines: string[] = [];
    expect(await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'wasm' }, log: (l) => lines.push(l), importModule: noTfNode })).toBe('wasm');
    expect(lines).toEqual([expect.stringMatching(/^\[nn\] backend: wasm \(wasm, simd=\w+, products: OpenBLAS [\d.]+.*threads?\) for train/)]);
    expect(nativeBlas()).toBe(loaded.blas);
  });
});
