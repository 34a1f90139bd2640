/**
 * A faster Tile for the wasm backend. The built-in one is a generic per-element loop; batch-norm
 * gradients tile [1, 1, 1, C] to [B, H, W, C] several times per layer, which made Tile one of the
 * largest items of a BenchCNN train step. This version copies the innermost row once and then
 * doubles blocks with copyWithin (memmove), axis by axis.
 */
import { getKernel, Tile, util, type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Repeats out[start, start + block) `times` times in total, contiguously. */
function repeatBlock(out: Heap, start: number, block: number, times: number): void {
  let have = 1;
  while (have < times) {
    const n = Math.min(have, times - have);
    out.copyWithin(start + have * block, start, start + n * block);
    have += n;
  }
}

function tileInto(x: Heap, out: Heap, shape: number[], reps: number[], xStrides: number[], outStrides: number[],
  axis: number, src: number, dst: number): void {
  const n = shape[axis]!;
  const r = reps[axis]!;
  if (axis === shape.length - 1) {
    out.set(x.subarray(src, src + n), dst);
    repeatBlock(out, dst, n, r);
    return;
  }
  const xs = xStrides[axis]!;
  const os = outStrides[axis]!;
  for (let i = 0; i < n; i++) tileInto(x, out, shape, reps, xStrides, outStrides, axis + 1, src + i * xs, dst + i * os);
  repeatBlock(out, dst, n * os, r);
}

let builtinTile: KernelConfig | undefined;

function tileWasm(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: TileAttrs }): TensorInfo {
  const { inputs: { x }, backend, attrs: { reps } } = args;
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) {
    if (!builtinTile) throw new Error(`Tile (wasm): dtype ${x.dtype} is not supported`);
    return builtinTile.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const outShape = x.shape.map((d, i) => d * (reps[i] ?? 1));
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const xVals = backend.typedArrayFromHeap(x) as Heap;
  const outVals = backend.typedArrayFromHeap(out) as Heap;
  tileInto(xVals, outVals, x.shape, reps, util.computeStrides(x.shape).concat([1]), util.computeStrides(outShape).concat([1]), 0, 0, 0);
  return out;
}

export const tileWasmConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileWasm as unknown as KernelFunc,
  // The built-in kernel (kept for strings) binds its wasm function in its setup at backend init.
  setupFunc: (backend) => builtinTile?.setupFunc?.(backend),
};

/** Remembers the backend's own Tile (for string inputs) before it is replaced. */
export function captureBuiltinTile(): void {
  const existing = getKernel(Tile, 'wasm');
  if (existing && existing.kernelFunc !== tileWasmConfig.kernelFunc) builtinTile = existing;
}
