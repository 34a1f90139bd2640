/**
 * Filter gradient of a stride-1 NHWC convolution without an element-wise im2col (conv2d-grad-gemm.ts's
 * im2colTransposed wrote every one of its KH*KW*Ci*P values from a JS loop: ~5% of a BenchCNN step).
 *
 * Every output pixel (b, oh, ow) is placed on a padded grid of Hp x Wp = (OH+KH-1) x (OW+KW-1) positions
 * per image, at q = (b*Hp + oh)*Wp + ow; tap (kh, kw) then reads grid position q + kh*Wp + kw. So with
 *   xt     [Ci, Q] : x transposed channel-major onto the grid (zeros in the padding), rows back to back,
 *   dyGrid [Q, Co] : dy on the grid (zeros off the output pixels),
 * the tap's block of the transposed im2col is ONE contiguous run of xt, xt[off .. off + Ci*Q), copied
 * with a memmove; dW [KH*KW*Ci, Co] = colsT x dyGrid is one plain product on XNNPACK. A shifted row of
 * channel c runs `off` positions into channel c+1's row (or the zero tail); those positions are the
 * grid's last `off` ones, which lie off every output pixel (dyGrid is zero there), so they add nothing.
 * The grid adds (Hp*Wp)/(OH*OW) - 1 of extra products (6% at 64x64 with 3x3 filters), so the caller
 * keeps the im2col path where the image is small.
 */
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './conv2d-grad-impl.ts';

export interface ShiftDeps {
  /** Largest colsT (floats) built at once. */
  chunkFloats: number;
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo;
}

function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Grid positions per output pixel: the extra work of the shift formulation (1 = none). */
export function shiftOverhead(g: ConvGeometry): number {
  return ((g.outHeight + g.filterHeight - 1) * (g.outWidth + g.filterWidth - 1)) / (g.outHeight * g.outWidth);
}

/** x images b0..b0+nb-1, channel-major on the grid: xt[c*Q + (b*Hp + ih + padTop)*Wp + iw + padLeft]. */
function transposeToGrid(x: Float32Array, xt: Float32Array, g: ConvGeometry, b0: number, nb: number, Hp: number, Wp: number): void {
  const { inHeight: H, inWidth: W, inChannels: ci, padTop, padLeft } = g;
  const Q = nb * Hp * Wp;
  // Input columns that land on the grid (with 'valid'-like padding some lie beyond it and are never read).
  const iwStart = Math.max(0, -padLeft);
  const iwEnd = Math.min(W, Wp - padLeft);
  for (let b = 0; b < nb; b++) {
    for (let ih = 0; ih < H; ih++) {
      const r = ih + padTop;
      if (r < 0 || r >= Hp) continue;
      let src = (((b0 + b) * H + ih) * W + iwStart) * ci;
      let dst = (b * Hp + r) * Wp + iwStart + padLeft;
      if (ci === 1) {
        for (let iw = iwStart; iw < iwEnd; iw++) xt[dst++] = x[src++]!;
        continue;
      }
      for (let iw = iwStart; iw < iwEnd; iw++, dst++) {
        for (let c = 0, d = dst; c < ci; c++, d += Q) xt[d] = x[src++]!;
      }
    }
  }
}

/** dW [KH, KW, Ci, Co] of a stride-1 convolution (dilation 1). */
export function conv2dBackpropFilterShift(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, deps: ShiftDeps): TensorInfo {
  if (g.strideHeight !== 1 || g.strideWidth !== 1) throw new Error('conv2dBackpropFilterShift: stride 1 only');
  const { batch, inChannels: ci, outHeight: OH, outWidth: OW, outChannels: co, filterHeight: KH, filterWidth: KW } = g;
  const Hp = OH + KH - 1;
  const Wp = OW + KW - 1;
  const plane = Hp * Wp;
  const taps = KH * KW;
  const K = taps * ci;
  const maxOff = (KH - 1) * Wp + (KW - 1);
  const step = Math.max(1, Math.min(batch, Math.floor(deps.chunkFloats / Math.max(1, K * plane))));
  let out: TensorInfo | null = null;
  for (let b0 = 0; b0 < batch; b0 += step) {
    const nb = Math.min(step, batch - b0);
    const Q = nb * plane;
    const xt = backend.makeOutput([ci * Q + maxOff], 'float32');
    const colsT = backend.makeOutput([K, Q], 'float32');
    const dyGrid = backend.makeOutput([Q, co], 'float32');
    {
      const xtv = f32(backend, xt);
      xtv.fill(0);
      transposeToGrid(f32(backend, x), xtv, g, b0, nb, Hp, Wp);
      const cols = f32(backend, colsT);
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const off = kh * Wp + kw;
          cols.set(xtv.subarray(off, off + ci * Q), (kh * KW + kw) * ci * Q);
        }
      }
      const grid = f32(backend, dyGrid);
      const dyv = f32(backend, dy);
      grid.fill(0);
      const rowLen = OW * co;
      for (let b = 0; b < nb; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const src = ((b0 + b) * OH + oh) * rowLen;
          grid.set(dyv.subarray(src, src + rowLen), (b * Hp + oh) * Wp * co);
        }
      }
    }
    backend.disposeData(xt.dataId);
    const prod = deps.matMul(colsT, dyGrid);
    backend.disposeData(colsT.dataId);
    backend.disposeData(dyGrid.dataId);
    if (!out) {
      out = { dataId: prod.dataId, shape: [KH, KW, ci, co], dtype: 'float32' };
      continue;
    }
    const acc = f32(backend, out);
    const part = f32(backend, prod);
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + part[i]!;
    backend.disposeData(prod.dataId);
  }
  return out!;
}
