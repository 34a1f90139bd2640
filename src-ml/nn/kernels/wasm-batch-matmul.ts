/**
 * BatchMatMul for the wasm backend that keeps every product on XNNPACK. The built-in kernel uses XNNPACK
 * only for a single plain product; a transposed operand or a batch of products falls back to a scalar
 * loop (a 1024^3 product: 0.13-0.23 s plain, 4-8 s with transposeA). Dense layers' gradients are
 * exactly those products (dW = x^T dy, dx = dy W^T): the SE blocks' fully connected layers of the base
 * CNNs train through them. Here each product of the batch gets plain operands (a transposed copy, made
 * in blocks so reads and writes stay in cache, or the operand itself) and goes to the built-in plain path.
 * Batch dimensions must be equal or one of them 1 (anything else goes to the built-in kernel).
 * With the native addon (native-blas.ts) every product, transposed or not, is one OpenBLAS sgemm on views of the
 * heap instead: no copies at all.
 */
import { BatchMatMul, broadcast_util, getKernel, util, type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeBlas, type IchBlas } from './native-blas.ts';

type Args = { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm; attrs: BatchMatMulAttrs };

let builtin: KernelConfig | undefined;

function runBuiltin(args: Args): TensorInfo {
  if (!builtin) throw new Error('BatchMatMul (wasm): built-in kernel not captured');
  return builtin.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
}

function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

const BLOCK = 32;

/** dst[c * rows + r] = src[at + r * cols + c]: a [rows, cols] block of src transposed into dst. */
function transposeInto(src: Float32Array, at: number, rows: number, cols: number, dst: Float32Array): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const s = at + r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c]!;
      }
    }
  }
}

/** A plain [rows, cols] operand from matrix `i` of x: x itself when possible, else a (transposed) copy. */
function plainOperand(backend: BackendWasm, x: TensorInfo, i: number, batch: number, stored: [number, number], transposed: boolean): { info: TensorInfo; temp: boolean } {
  const [sr, sc] = stored;
  const rows = transposed ? sc : sr;
  const cols = transposed ? sr : sc;
  if (!transposed && batch === 1) return { info: { dataId: x.dataId, shape: [rows, cols], dtype: 'float32' }, temp: false };
  const copy = backend.makeOutput([rows, cols], 'float32');
  const src = f32(backend, x);
  const dst = f32(backend, copy);
  const at = (batch === 1 ? 0 : i) * sr * sc;
  if (transposed) transposeInto(src, at, sr, sc, dst);
  else dst.set(src.subarray(at, at + sr * sc));
  return { info: copy, temp: true };
}

/** The products on the addon: sgemm reads transposed operands in place, batch i at its offset (0 for a broadcast one). */
function batchMatMulNative(blas: IchBlas, backend: BackendWasm, a: TensorInfo, b: TensorInfo, p: Product): TensorInfo {
  const out = backend.makeOutput(p.outShape, 'float32');
  if (util.sizeFromShape(p.outShape) === 0) return out;
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const ov = f32(backend, out);
  if (p.K === 0) ov.fill(0);
  else {
    const aSize = p.aStored[0] * p.aStored[1];
    const bSize = p.bStored[0] * p.bStored[1];
    for (let i = 0; i < p.batch; i++) {
      blas.sgemm(p.transposeA, p.transposeB, p.M, p.N, p.K, 1, av, p.batchA === 1 ? 0 : i * aSize, p.aStored[1], bv, p.batchB === 1 ? 0 : i * bSize, p.bStored[1], 0, ov, i * p.M * p.N, p.N);
    }
  }
  return out;
}

interface Product {
  batch: number; batchA: number; batchB: number; M: number; N: number; K: number;
  aStored: [number, number]; bStored: [number, number]; transposeA: boolean; transposeB: boolean; outShape: number[];
}

function batchMatMulWasm(args: Args): TensorInfo {
  const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return runBuiltin(args);
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  if (!(batchA === batchB || batchA === 1 || batchB === 1)) return runBuiltin(args);
  const aStored: [number, number] = [a.shape[aRank - 2]!, a.shape[aRank - 1]!];
  const bStored: [number, number] = [b.shape[bRank - 2]!, b.shape[bRank - 1]!];
  const M = transposeA ? aStored[1] : aStored[0];
  const K = transposeA ? aStored[0] : aStored[1];
  const kB = transposeB ? bStored[1] : bStored[0];
  const N = transposeB ? bStored[0] : bStored[1];
  if (K !== kB) throw new Error(`BatchMatMul (wasm): inner dimensions ${K} and ${kB} of [${a.shape}] and [${b.shape}] differ`);
  const outShape = [...broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), M, N];
  const blas = nativeBlas();
  if (blas) return batchMatMulNative(blas, backend, a, b, { batch, batchA, batchB, M, N, K, aStored, bStored, transposeA, transposeB, outShape });
  if (!transposeA && !transposeB && batch === 1) return runBuiltin(args);
  const out = batch === 1 ? null : backend.makeOutput(outShape, 'float32');
  let single: TensorInfo | null = null;
  for (let i = 0; i < batch; i++) {
    const pa = plainOperand(backend, a, i, batchA, aStored, transposeA);
    const pb = plainOperand(backend, b, i, batchB, bStored, transposeB);
    const prod = runBuiltin({ inputs: { a: pa.info, b: pb.info }, backend, attrs: { transposeA: false, transposeB: false } });
    if (pa.temp) backend.disposeData(pa.info.dataId);
    if (pb.temp) backend.disposeData(pb.info.dataId);
    if (!out) {
      single = prod;
      break;
    }
    f32(backend, out).set(f32(backend, prod), i * M * N);
    backend.disposeData(prod.dataId);
  }
  return out ?? { dataId: single!.dataId, shape: outShape, dtype: 'float32' };
}

export const batchMatMulWasmConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulWasm as unknown as KernelFunc,
  // The built-in kernel binds its wasm function in its setup at backend init.
  setupFunc: (backend) => builtin?.setupFunc?.(backend),
};

/** Remembers the backend's own BatchMatMul (every plain product still runs on it) before it is replaced. */
export function captureBuiltinBatchMatMul(): void {
  const existing = getKernel(BatchMatMul, 'wasm');
  if (existing && existing.kernelFunc !== batchMatMulWasmConfig.kernelFunc) builtin = existing;
}
