/**
 * Sum and Mean over leading axes (e.g. axes [0, 1, 2] of an NHWC tensor: the per-channel reductions of
 * batch norm and its gradients) for the wasm backend. The built-in kernels first transpose the
 * reduced axes to the end, a full extra pass through memory with a slow generic transpose; here the
 * inner (kept) block is contiguous, so each input row is added to a float64 accumulator in order.
 * Any other reduction is passed to the backend's own kernel. With the native addon on (native-blas.ts) the
 * same sums run in C.
 */
import { getKernel, Mean, Sum, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeBlas } from './native-blas.ts';

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}
type ReduceArgs = { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: ReduceAttrs };

const builtin: Partial<Record<string, KernelConfig>> = {};
let acc = new Float64Array(0);

/** Number of leading axes reduced when `axis` is exactly [0, 1, ..., k-1] (k >= 1), else 0. */
function leadingAxes(axis: number | number[], shape: number[]): number {
  const axes = util.parseAxisParam(axis, shape).slice().sort((a, b) => a - b);
  for (let i = 0; i < axes.length; i++) if (axes[i] !== i) return 0;
  return axes.length;
}

function reduceLeading(kind: 'sum' | 'mean', args: ReduceArgs): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  const k = x.dtype === 'float32' ? leadingAxes(attrs.axis, x.shape) : 0;
  if (k === 0 || util.sizeFromShape(x.shape) === 0) {
    const kernelName = kind === 'sum' ? Sum : Mean;
    const f = builtin[kernelName]?.kernelFunc;
    if (!f) throw new Error(`${kernelName} (wasm): built-in kernel not captured`);
    return f(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  const outer = util.sizeFromShape(x.shape.slice(0, k));
  const inner = util.sizeFromShape(x.shape.slice(k));
  const outShape = attrs.keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
  const out = backend.makeOutput(outShape, 'float32');
  const outVals = backend.typedArrayFromHeap(out) as Float32Array;
  const xVals = backend.typedArrayFromHeap(x) as Float32Array;
  const scale = kind === 'mean' ? 1 / outer : 1;
  const blas = nativeBlas();
  if (blas) {
    blas.sumLeading(xVals, outVals, outer, inner, scale);
    return out;
  }
  if (acc.length < inner) acc = new Float64Array(inner);
  acc.fill(0, 0, inner);
  for (let r = 0, base = 0; r < outer; r++, base += inner) {
    for (let j = 0; j < inner; j++) acc[j] = acc[j]! + xVals[base + j]!;
  }
  for (let j = 0; j < inner; j++) outVals[j] = acc[j]! * scale;
  return out;
}

export const sumWasmConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: ((args: ReduceArgs) => reduceLeading('sum', args)) as unknown as KernelFunc,
  // The built-in kernel (used for other axes) binds its wasm function in its setup at backend init.
  setupFunc: (backend) => builtin[Sum]?.setupFunc?.(backend),
};

export const meanWasmConfig: KernelConfig = {
  kernelName: Mean,
  backendName: 'wasm',
  kernelFunc: ((args: ReduceArgs) => reduceLeading('mean', args)) as unknown as KernelFunc,
  setupFunc: (backend) => builtin[Mean]?.setupFunc?.(backend),
};

/** Remembers the backend's own Sum and Mean (used for other reductions) before they are replaced. */
export function captureBuiltinReductions(): void {
  for (const config of [sumWasmConfig, meanWasmConfig]) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing && existing.kernelFunc !== config.kernelFunc) builtin[config.kernelName] = existing;
  }
}
