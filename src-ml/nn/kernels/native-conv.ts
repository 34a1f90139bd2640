/**
 * Convolutions of the wasm backend on the native addon (native-blas.ts): forward Conv2D / FusedConv2D and both
 * gradients, each one call into C (im2col or col2im in chunks + OpenBLAS sgemm) on Float32Array views of the wasm
 * heap: the output is allocated first (allocation may grow, and so replace, the heap buffer), then the views are
 * taken, and nothing else allocates until the call returns. NHWC, float32, dilation 1; the forward kernels hand
 * anything else (dilations, PReLU or other activations, an odd bias) to the backend's own kernel.
 */
import {
  backend_util,
  Conv2D,
  FusedConv2D,
  getKernel,
  util,
  type Conv2DAttrs,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv2d-grad-impl.ts';
import { nativeBlas, type IchBlas } from './native-blas.ts';

function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** The geometry as ich-blas.c reads it (13 int32s, in this order). */
export function convGeometryArray(g: ConvGeometry): Int32Array {
  return Int32Array.of(g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels,
    g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft);
}

/** Geometry of a tfjs conv info, or null where the native kernels do not apply (dilation, empty tensors). */
export function nativeGeometry(info: backend_util.Conv2DInfo): ConvGeometry | null {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const g: ConvGeometry = {
    batch: info.batchSize, inHeight: info.inHeight, inWidth: info.inWidth, inChannels: info.inChannels,
    outHeight: info.outHeight, outWidth: info.outWidth, outChannels: info.outChannels,
    filterHeight: info.filterHeight, filterWidth: info.filterWidth, strideHeight: info.strideHeight,
    strideWidth: info.strideWidth, padTop: info.padInfo.top, padLeft: info.padInfo.left,
  };
  const sizes = [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.filterHeight, g.filterWidth];
  return sizes.every((s) => s > 0) && g.padTop >= 0 && g.padLeft >= 0 ? g : null;
}

/** Filter gradient [KH, KW, Ci, Co]. */
export function conv2dBackpropFilterNative(backend: BackendWasm, blas: IchBlas, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const out = backend.makeOutput([g.filterHeight, g.filterWidth, g.inChannels, g.outChannels], 'float32');
  blas.conv2dBackpropFilter(f32(backend, x), f32(backend, dy), f32(backend, out), convGeometryArray(g));
  return out;
}

/** Input gradient [B, H, W, Ci]. */
export function conv2dBackpropInputNative(backend: BackendWasm, blas: IchBlas, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const out = backend.makeOutput([g.batch, g.inHeight, g.inWidth, g.inChannels], 'float32');
  blas.conv2dBackpropInput(f32(backend, dy), f32(backend, filter), f32(backend, out), convGeometryArray(g));
  return out;
}

/** Fused activations ich-blas.c applies itself (its codes); others go to the built-in kernel. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 };

type ConvArgs = { inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo }; backend: BackendWasm; attrs: Conv2DAttrs & Partial<FusedConv2DAttrs> };

const builtins = new Map<string, KernelConfig>();

function runBuiltin(name: string, args: ConvArgs): TensorInfo {
  const k = builtins.get(name);
  if (!k) throw new Error(`${name} (wasm): built-in kernel not captured`);
  return k.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
}

/** y = conv(x, filter) (+ bias, activation) on the addon, or null when it does not apply. */
function convNative(args: ConvArgs): TensorInfo | null {
  const blas = nativeBlas();
  if (!blas) return null;
  const { inputs: { x, filter, bias, preluActivationWeights }, backend, attrs } = args;
  const act = ACTIVATIONS[attrs.activation ?? 'linear'];
  if (act === undefined || preluActivationWeights != null || attrs.dataFormat !== 'NHWC') return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return null;
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const g = nativeGeometry(info);
  if (!g || (bias && util.sizeFromShape(bias.shape) !== g.outChannels)) return null;
  const out = backend.makeOutput(info.outShape, 'float32');
  blas.conv2d(f32(backend, x), f32(backend, filter), f32(backend, out), convGeometryArray(g), bias ? f32(backend, bias) : null, act, attrs.leakyreluAlpha ?? 0.2);
  return out;
}

function makeConfig(name: string): KernelConfig {
  return {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ((args: ConvArgs) => convNative(args) ?? runBuiltin(name, args)) as unknown as KernelFunc,
    // The built-in kernels bind their wasm functions in their setup at backend init.
    setupFunc: (backend) => builtins.get(name)?.setupFunc?.(backend),
  };
}

export const conv2DNativeConfig = makeConfig(Conv2D);
export const fusedConv2DNativeConfig = makeConfig(FusedConv2D);

/** Remembers the backend's own Conv2D and FusedConv2D (the fallback) before they are replaced. */
export function captureBuiltinConvs(): void {
  for (const config of [conv2DNativeConfig, fusedConv2DNativeConfig]) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing && existing.kernelFunc !== config.kernelFunc) builtins.set(config.kernelName, existing);
  }
}
