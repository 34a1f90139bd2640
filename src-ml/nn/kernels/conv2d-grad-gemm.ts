/**
 * Gradient kernels that move the heavy arithmetic onto the wasm backend's own XNNPACK kernels
 * (its plain BatchMatMul and Conv2D run at 10-20 GFLOP/s with SIMD, ~20x a scalar JS loop):
 *  - filter gradient: im2col (transposed, built in TS) x dy, one plain matrix product per chunk of images;
 *  - input gradient, stride 1: a forward convolution of dy with the flipped, transposed filter;
 *  - input gradient, other strides: dy x W^T (plain product) then col2im (scatter-add, in TS).
 * Only "plain" products are used: the backend's transposed BatchMatMul and Transpose are slow paths.
 * The heap may grow (and its buffer be replaced) whenever memory is allocated, so every typed-array
 * view is taken again after each allocation or nested kernel call.
 */
import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv2d-grad-impl.ts';
import { conv2dBackpropFilterShift, shiftOverhead } from './conv2d-grad-shift.ts';

/** Largest grid overhead (conv2d-grad-shift.ts) at which the shift formulation still beats im2col. */
let MAX_SHIFT_OVERHEAD = 1.3;

/** Test hook: 0 turns the shift formulation off, Infinity uses it for every stride-1 convolution; no argument restores the default. */
export function setMaxShiftOverhead(v = 1.3): void {
  MAX_SHIFT_OVERHEAD = v;
}

/** Largest im2col buffer (floats, 64 MiB) built at once; bigger batches are processed in chunks of images. */
const DEFAULT_CHUNK_FLOATS = 16 * 1024 * 1024;
let CHUNK_FLOATS = DEFAULT_CHUNK_FLOATS;

/** Sets the im2col chunk size in floats (tests use a tiny one to exercise chunking); no argument restores the default. */
export function setIm2colChunkFloats(floats: number = DEFAULT_CHUNK_FLOATS): void {
  CHUNK_FLOATS = floats;
}

function runWasmKernel(name: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  const out = (kernel.kernelFunc as KernelFunc)({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
  return out;
}

function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function imagesPerChunk(perImage: number, batch: number): number {
  return Math.max(1, Math.min(batch, Math.floor(CHUNK_FLOATS / Math.max(1, perImage))));
}

/**
 * colsT[k, p] (k = (kh*KW + kw)*Ci + c, p = pixel of images b0..b0+nb-1) = x at the shifted position, or 0.
 * Loop order: one output row at a time, all channels of it, so the input row being read stays in L1
 * and every write is a contiguous run.
 */
function im2colTransposed(x: Float32Array, colsT: Float32Array, g: ConvGeometry, b0: number, nb: number): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight, filterWidth } = g;
  const { strideHeight: sh, strideWidth: sw, padTop, padLeft } = g;
  const P = nb * outHeight * outWidth;
  const xImage = inHeight * inWidth * ci;
  const step = sw * ci;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const off = kw - padLeft;
      const owStart = Math.min(outWidth, off >= 0 ? 0 : Math.ceil(-off / sw));
      const lastIw = inWidth - 1 - off;
      const owEnd = Math.max(owStart, lastIw < 0 ? 0 : Math.min(outWidth, Math.floor(lastIw / sw) + 1));
      const tapRow = (kh * filterWidth + kw) * ci;
      for (let b = 0; b < nb; b++) {
        const xb = (b0 + b) * xImage;
        for (let oh = 0; oh < outHeight; oh++) {
          const pRow = (b * outHeight + oh) * outWidth;
          const ih = oh * sh + kh - padTop;
          const inside = ih >= 0 && ih < inHeight;
          const xr = xb + ih * inWidth * ci + (owStart * sw + off) * ci;
          for (let c = 0; c < ci; c++) {
            const dst = (tapRow + c) * P + pRow;
            if (!inside) {
              colsT.fill(0, dst, dst + outWidth);
              continue;
            }
            if (owStart > 0) colsT.fill(0, dst, dst + owStart);
            let xi = xr + c;
            for (let ow = owStart; ow < owEnd; ow++, xi += step) colsT[dst + ow] = x[xi]!;
            if (owEnd < outWidth) colsT.fill(0, dst + owEnd, dst + outWidth);
          }
        }
      }
    }
  }
}

/** dx (images b0..) += col2im(dCols), dCols[p, k] with k = (kh*KW + kw)*Ci + c. */
function col2imAdd(dCols: Float32Array, dx: Float32Array, g: ConvGeometry, b0: number, nb: number): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight, filterWidth } = g;
  const { strideHeight: sh, strideWidth: sw, padTop, padLeft } = g;
  const K = filterHeight * filterWidth * ci;
  const xImage = inHeight * inWidth * ci;
  let p = 0;
  for (let b = 0; b < nb; b++) {
    const xb = (b0 + b) * xImage;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, p++) {
        const src = p * K;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * sh + kh - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * sw + kw - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const s = src + (kh * filterWidth + kw) * ci;
            const d = xb + (ih * inWidth + iw) * ci;
            for (let c = 0; c < ci; c++) dx[d + c] = dx[d + c]! + dCols[s + c]!;
          }
        }
      }
    }
  }
}

/** A [rows, cols] view of images b0..b0+nb-1 of t: t itself when it covers the batch, else a copy. */
function rowsOf(backend: BackendWasm, t: TensorInfo, b0: number, nb: number, batch: number, rows: number, cols: number): { info: TensorInfo; temp: boolean } {
  if (b0 === 0 && nb === batch) return { info: { dataId: t.dataId, shape: [rows, cols], dtype: 'float32' }, temp: false };
  const copy = backend.makeOutput([rows, cols], 'float32');
  const perImage = rows * cols / nb;
  f32(backend, copy).set(f32(backend, t).subarray(b0 * perImage, (b0 + nb) * perImage));
  return { info: copy, temp: true };
}

/** Filter gradient [KH, KW, Ci, Co] of an NHWC conv, computed as im2col^T x dy on the wasm backend. */
export function conv2dBackpropFilterGemm(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  if (g.strideHeight === 1 && g.strideWidth === 1 && shiftOverhead(g) <= MAX_SHIFT_OVERHEAD) {
    return conv2dBackpropFilterShift(backend, x, dy, g, {
      chunkFloats: CHUNK_FLOATS,
      matMul: (a, b) => runWasmKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false }),
    });
  }
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const co = g.outChannels;
  const perImage = g.outHeight * g.outWidth;
  const out = backend.makeOutput([g.filterHeight, g.filterWidth, g.inChannels, co], 'float32');
  f32(backend, out).fill(0);
  const step = imagesPerChunk(K * perImage, g.batch);
  for (let b0 = 0; b0 < g.batch; b0 += step) {
    const nb = Math.min(step, g.batch - b0);
    const P = nb * perImage;
    const colsT = backend.makeOutput([K, P], 'float32');
    im2colTransposed(f32(backend, x), f32(backend, colsT), g, b0, nb);
    const dyRows = rowsOf(backend, dy, b0, nb, g.batch, P, co);
    const prod = runWasmKernel('BatchMatMul', backend, { a: colsT, b: dyRows.info }, { transposeA: false, transposeB: false });
    const acc = f32(backend, out);
    const part = f32(backend, prod);
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + part[i]!;
    backend.disposeData(prod.dataId);
    backend.disposeData(colsT.dataId);
    if (dyRows.temp) backend.disposeData(dyRows.info.dataId);
  }
  return out;
}

/** Input gradient [B, H, W, Ci] of an NHWC conv on the wasm backend. */
export function conv2dBackpropInputGemm(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const { filterHeight: KH, filterWidth: KW, inChannels: ci, outChannels: co } = g;
  const padBottom = g.inHeight - g.outHeight + g.padTop;
  const padRight = g.inWidth - g.outWidth + g.padLeft;
  const flipTop = KH - 1 - g.padTop;
  const flipLeft = KW - 1 - g.padLeft;
  if (g.strideHeight === 1 && g.strideWidth === 1 && flipTop >= 0 && flipLeft >= 0 && padBottom >= 0 && padRight >= 0) {
    // dx = conv(dy, W') with W'[j, i, o, c] = W[KH-1-j, KW-1-i, c, o].
    const flipped = backend.makeOutput([KH, KW, co, ci], 'float32');
    const wf = f32(backend, flipped);
    const w = f32(backend, filter);
    for (let j = 0; j < KH; j++) {
      for (let i = 0; i < KW; i++) {
        const src = ((KH - 1 - j) * KW + (KW - 1 - i)) * ci * co;
        const dst = (j * KW + i) * co * ci;
        for (let c = 0; c < ci; c++) {
          for (let o = 0; o < co; o++) wf[dst + o * ci + c] = w[src + c * co + o]!;
        }
      }
    }
    const out = runWasmKernel('Conv2D', backend, { x: dy, filter: flipped }, {
      strides: [1, 1],
      pad: [[0, 0], [flipTop, padBottom], [flipLeft, padRight], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    } as unknown as NamedAttrMap);
    backend.disposeData(flipped.dataId);
    return out;
  }
  // General strides: dCols = dy x W^T, then scatter-add into dx.
  const K = KH * KW * ci;
  const wT = backend.makeOutput([co, K], 'float32');
  {
    const dst = f32(backend, wT);
    const w = f32(backend, filter);
    for (let k = 0; k < K; k++) for (let o = 0; o < co; o++) dst[o * K + k] = w[k * co + o]!;
  }
  const out = backend.makeOutput([g.batch, g.inHeight, g.inWidth, ci], 'float32');
  f32(backend, out).fill(0);
  const perImage = g.outHeight * g.outWidth;
  const step = imagesPerChunk(K * perImage, g.batch);
  for (let b0 = 0; b0 < g.batch; b0 += step) {
    const nb = Math.min(step, g.batch - b0);
    const P = nb * perImage;
    const dyRows = rowsOf(backend, dy, b0, nb, g.batch, P, co);
    const dCols = runWasmKernel('BatchMatMul', backend, { a: dyRows.info, b: wT }, { transposeA: false, transposeB: false });
    col2imAdd(f32(backend, dCols), f32(backend, out), g, b0, nb);
    backend.disposeData(dCols.dataId);
    if (dyRows.temp) backend.disposeData(dyRows.info.dataId);
  }
  backend.disposeData(wT.dataId);
  return out;
}
