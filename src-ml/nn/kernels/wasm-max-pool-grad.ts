/**
 * MaxPoolGrad for the wasm backend in plain TypeScript: the built-in kernel took ~4% of a BenchCNN step for
 * three 2x2 pools. Each output's gradient goes to the first maximum of its window in row-major order
 * (tfjs's cpu backend's rule, so ties after a ReLU resolve the same way). Windows are scanned a pixel at a
 * time over all channels, so every read is a contiguous channel run. With the native addon on (native-blas.ts)
 * the same loop runs in C.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeBlas } from './native-blas.ts';

function maxPoolGradWasm(args: { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`MaxPoolGrad (wasm): only float32 is supported, got ${input.dtype}`);
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const blas = nativeBlas();
  if (blas) {
    blas.maxPoolGrad(x, g, dx, Int32Array.of(B, H, W, C, OH, OW, FH, FW, SH, SW, padTop, padLeft));
    return out;
  }
  dx.fill(0);
  const best = new Float32Array(C);
  const arg = new Int32Array(C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - padTop;
      const hs = Math.max(0, h0);
      const he = Math.min(H, h0 + FH);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - padLeft;
        const ws = Math.max(0, w0);
        const we = Math.min(W, w0 + FW);
        best.fill(-Infinity);
        arg.fill(-1);
        for (let h = hs; h < he; h++) {
          for (let w = ws; w < we; w++) {
            const base = ((b * H + h) * W + w) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c]!;
              if (v > best[c]!) {
                best[c] = v;
                arg[c] = base + c;
              }
            }
          }
        }
        const d = ((b * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          const at = arg[c]!;
          if (at >= 0) dx[at] = dx[at]! + g[d + c]!;
        }
      }
    }
  }
  return out;
}

export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};
