/**
 * The project's own wasm-backend kernels for convolution gradients:
 *  - Conv2DBackpropFilter (missing from @tensorflow/tfjs-backend-wasm 4.22),
 *  - Conv2DBackpropInput (replaces the backend's slow built-in one);
 * with them (registerWasmTrainingKernels) the other training kernels of this folder: Tile, Sum/Mean over
 * leading axes, Identity without a copy, MaxPoolGrad, BatchMatMul with transposes and batches on XNNPACK,
 * and the fused training-mode batch norm; and Conv2D / FusedConv2D, which run on the native addon when it is on
 * (native-conv.ts; so do both gradients and BatchMatMul) and on the backend's own kernels otherwise.
 * They read and write the wasm heap directly, like the backend's own JS kernels (Slice, Concat):
 * the output is allocated first (allocation may grow, and so replace, the heap buffer), then
 * every view is taken with backend.typedArrayFromHeap.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  getKernel,
  registerKernel,
  unregisterKernel,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dBackpropFilterNHWC, conv2dBackpropInputNHWC, type ConvGeometry } from './conv2d-grad-impl.ts';
import { captureBuiltinTile, tileWasmConfig } from './wasm-tile.ts';
import { captureBuiltinReductions, meanWasmConfig, sumWasmConfig } from './wasm-reduce.ts';
import { conv2dBackpropFilterGemm, conv2dBackpropInputGemm } from './conv2d-grad-gemm.ts';
import { bnTrainGradWasmConfig, bnTrainWasmConfig, installFusedBatchNorm } from './wasm-batch-norm.ts';
import { captureBuiltinIdentity, identityWasmConfig } from './wasm-identity.ts';
import { maxPoolGradWasmConfig } from './wasm-max-pool-grad.ts';
import { batchMatMulWasmConfig, captureBuiltinBatchMatMul } from './wasm-batch-matmul.ts';
import { nativeBlas } from './native-blas.ts';
import { captureBuiltinConvs, conv2dBackpropFilterNative, conv2dBackpropInputNative, conv2DNativeConfig, fusedConv2DNativeConfig, nativeGeometry } from './native-conv.ts';

/**
 * 'xnn': im2col / col2im in TS, products on the backend's XNNPACK BatchMatMul / Conv2D (default, fast);
 * 'js': everything in plain TS loops (register-blocked per filter tap), kept as a reference.
 */
export type ConvGradImpl = 'xnn' | 'js';
let impl: ConvGradImpl = 'xnn';

function geometry(info: backend_util.Conv2DInfo): ConvGeometry {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('conv2d gradient kernels (wasm): only dilation 1 is supported');
  }
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function checkInputs(kernel: string, dataFormat: string, ...tensors: TensorInfo[]): void {
  if (dataFormat !== 'NHWC') throw new Error(`${kernel} (wasm): only NHWC is supported, got ${dataFormat}`);
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`${kernel} (wasm): only float32 is supported, got ${t.dtype}`);
  }
}

function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  checkInputs(Conv2DBackpropFilter, attrs.dataFormat, x, dy);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const blas = nativeBlas();
  const ng = blas ? nativeGeometry(info) : null;
  if (blas && ng) return conv2dBackpropFilterNative(backend, blas, x, dy, ng);
  if (impl === 'xnn') return conv2dBackpropFilterGemm(backend, x, dy, geometry(info));
  const out = backend.makeOutput(info.filterShape, 'float32');
  const outVals = backend.typedArrayFromHeap(out) as Float32Array;
  const xVals = backend.typedArrayFromHeap(x) as Float32Array;
  const dyVals = backend.typedArrayFromHeap(dy) as Float32Array;
  conv2dBackpropFilterNHWC(xVals, dyVals, outVals, geometry(info));
  return out;
}

function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  checkInputs(Conv2DBackpropInput, attrs.dataFormat, dy, filter);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad,
    attrs.dimRoundingMode, false, 'channelsLast');
  const blas = nativeBlas();
  const ng = blas ? nativeGeometry(info) : null;
  if (blas && ng) return conv2dBackpropInputNative(backend, blas, dy, filter, ng);
  if (impl === 'xnn') return conv2dBackpropInputGemm(backend, dy, filter, geometry(info));
  const out = backend.makeOutput(info.inShape, 'float32');
  const outVals = backend.typedArrayFromHeap(out) as Float32Array;
  const dyVals = backend.typedArrayFromHeap(dy) as Float32Array;
  const wVals = backend.typedArrayFromHeap(filter) as Float32Array;
  conv2dBackpropInputNHWC(dyVals, wVals, outVals, geometry(info));
  return out;
}

export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};

export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm as unknown as KernelFunc,
};

/** The kernels this module adds or replaces on the wasm backend. */
export const wasmTrainingKernels: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig, conv2DBackpropInputWasmConfig, tileWasmConfig, sumWasmConfig, meanWasmConfig, bnTrainWasmConfig, bnTrainGradWasmConfig,
  identityWasmConfig, maxPoolGradWasmConfig, batchMatMulWasmConfig, conv2DNativeConfig, fusedConv2DNativeConfig,
];

/**
 * Registers the project's wasm kernels (idempotent; replaces a built-in kernel of the same name
 * without the registry's "already registered" warning). Call after importing the wasm backend.
 */
export function registerWasmTrainingKernels(options: { impl?: ConvGradImpl } = {}): void {
  impl = options.impl ?? 'xnn';
  captureBuiltinTile();
  captureBuiltinReductions();
  captureBuiltinIdentity();
  captureBuiltinBatchMatMul();
  captureBuiltinConvs();
  for (const config of wasmTrainingKernels) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  // Training-mode batch norm of tfjs-layers onto the fused kernels above (wasm only; other backends keep the layer's code).
  installFusedBatchNorm();
}
