/**
 * Plain-TypeScript gradient loops for a 2-D convolution in NHWC layout (dilation 1).
 *
 * Both gradients are written as one small matrix product per filter tap (kh, kw):
 *   dW[kh,kw]  (Ci x Co) += X_shift^T (Ci x P) * dY (P x Co)
 *   dX_shift   (P x Ci)  += dY (P x Co) * W[kh,kw]^T (Co x Ci)
 * where P runs over the output pixels whose shifted input pixel lies inside the image.
 * For a fixed output row the valid output columns form one contiguous range, so there
 * are no per-element bounds checks; pixels are processed 4 at a time (register
 * blocking) so each filter row / dW row is loaded once per 4 pixels. The per-tap
 * filter block (Ci*Co floats) stays in cache while one image is swept.
 * No allocation happens inside the loops.
 */

export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  /** Padding before the first row / column (from backend_util.computeConv2DInfo). */
  padTop: number;
  padLeft: number;
}

/** First and one-past-last output column whose input column ow*sw + kw - padLeft lies in [0, inWidth). */
function validColumns(g: ConvGeometry, kw: number): [number, number] {
  const off = kw - g.padLeft;
  // iw = ow * sw + off >= 0  <=>  ow >= ceil(-off / sw)
  const start = off >= 0 ? 0 : Math.ceil(-off / g.strideWidth);
  // iw <= inWidth - 1  <=>  ow <= floor((inWidth - 1 - off) / sw)
  const last = g.inWidth - 1 - off;
  const end = last < 0 ? 0 : Math.min(g.outWidth, Math.floor(last / g.strideWidth) + 1);
  return [Math.min(start, g.outWidth), end];
}

/**
 * dW (shape [KH, KW, Ci, Co]) = gradient of the filter given x ([B, H, W, Ci]) and dy ([B, OH, OW, Co]).
 * `dw` is overwritten.
 */
export function conv2dBackpropFilterNHWC(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry): void {
  const { batch, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co } = g;
  const { filterHeight, filterWidth, strideHeight: sh, strideWidth: sw, padTop } = g;
  dw.fill(0);
  const xImage = inHeight * inWidth * ci;
  const dyImage = outHeight * outWidth * co;
  const xStep = sw * ci; // distance between the input pixels of two neighbouring output columns
  for (let b = 0; b < batch; b++) {
    const xb = b * xImage;
    const dyb = b * dyImage;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const [owStart, owEnd] = validColumns(g, kw);
        if (owStart >= owEnd) continue;
        const tap = (kh * filterWidth + kw) * ci * co;
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * sh + kh - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          const xRow = xb + ih * inWidth * ci;
          const dyRow = dyb + oh * outWidth * co;
          let ow = owStart;
          for (; ow + 4 <= owEnd; ow += 4) {
            const x0 = xRow + (ow * sw + kw - g.padLeft) * ci;
            const x1 = x0 + xStep;
            const x2 = x1 + xStep;
            const x3 = x2 + xStep;
            const d0 = dyRow + ow * co;
            const d1 = d0 + co;
            const d2 = d1 + co;
            const d3 = d2 + co;
            for (let c = 0; c < ci; c++) {
              const a0 = x[x0 + c]!;
              const a1 = x[x1 + c]!;
              const a2 = x[x2 + c]!;
              const a3 = x[x3 + c]!;
              const r = tap + c * co;
              for (let o = 0; o < co; o++) {
                dw[r + o] = dw[r + o]! + a0 * dy[d0 + o]! + a1 * dy[d1 + o]! + a2 * dy[d2 + o]! + a3 * dy[d3 + o]!;
              }
            }
          }
          for (; ow < owEnd; ow++) {
            const x0 = xRow + (ow * sw + kw - g.padLeft) * ci;
            const d0 = dyRow + ow * co;
            for (let c = 0; c < ci; c++) {
              const a0 = x[x0 + c]!;
              const r = tap + c * co;
              for (let o = 0; o < co; o++) {
                dw[r + o] = dw[r + o]! + a0 * dy[d0 + o]!;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * dX (shape [B, H, W, Ci]) = gradient of the input given dy ([B, OH, OW, Co]) and the filter ([KH, KW, Ci, Co]).
 * `dx` is overwritten.
 */
export function conv2dBackpropInputNHWC(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeometry): void {
  const { batch, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co } = g;
  const { filterHeight, filterWidth, strideHeight: sh, strideWidth: sw, padTop } = g;
  dx.fill(0);
  const xImage = inHeight * inWidth * ci;
  const dyImage = outHeight * outWidth * co;
  const xStep = sw * ci;
  for (let b = 0; b < batch; b++) {
    const xb = b * xImage;
    const dyb = b * dyImage;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const [owStart, owEnd] = validColumns(g, kw);
        if (owStart >= owEnd) continue;
        const tap = (kh * filterWidth + kw) * ci * co;
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * sh + kh - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          const xRow = xb + ih * inWidth * ci;
          const dyRow = dyb + oh * outWidth * co;
          let ow = owStart;
          for (; ow + 4 <= owEnd; ow += 4) {
            const x0 = xRow + (ow * sw + kw - g.padLeft) * ci;
            const x1 = x0 + xStep;
            const x2 = x1 + xStep;
            const x3 = x2 + xStep;
            const d0 = dyRow + ow * co;
            const d1 = d0 + co;
            const d2 = d1 + co;
            const d3 = d2 + co;
            let c = 0;
            for (; c + 2 <= ci; c += 2) {
              const r = tap + c * co;
              const r1 = r + co;
              let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
              for (let o = 0; o < co; o++) {
                const wv = w[r + o]!;
                const wu = w[r1 + o]!;
                const e0 = dy[d0 + o]!;
                const e1 = dy[d1 + o]!;
                const e2 = dy[d2 + o]!;
                const e3 = dy[d3 + o]!;
                s0 += wv * e0; s1 += wv * e1; s2 += wv * e2; s3 += wv * e3;
                t0 += wu * e0; t1 += wu * e1; t2 += wu * e2; t3 += wu * e3;
              }
              dx[x0 + c] = dx[x0 + c]! + s0;
              dx[x1 + c] = dx[x1 + c]! + s1;
              dx[x2 + c] = dx[x2 + c]! + s2;
              dx[x3 + c] = dx[x3 + c]! + s3;
              dx[x0 + c + 1] = dx[x0 + c + 1]! + t0;
              dx[x1 + c + 1] = dx[x1 + c + 1]! + t1;
              dx[x2 + c + 1] = dx[x2 + c + 1]! + t2;
              dx[x3 + c + 1] = dx[x3 + c + 1]! + t3;
            }
            for (; c < ci; c++) {
              const r = tap + c * co;
              let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              for (let o = 0; o < co; o++) {
                const wv = w[r + o]!;
                s0 += wv * dy[d0 + o]!; s1 += wv * dy[d1 + o]!; s2 += wv * dy[d2 + o]!; s3 += wv * dy[d3 + o]!;
              }
              dx[x0 + c] = dx[x0 + c]! + s0;
              dx[x1 + c] = dx[x1 + c]! + s1;
              dx[x2 + c] = dx[x2 + c]! + s2;
              dx[x3 + c] = dx[x3 + c]! + s3;
            }
          }
          for (; ow < owEnd; ow++) {
            const x0 = xRow + (ow * sw + kw - g.padLeft) * ci;
            const d0 = dyRow + ow * co;
            for (let c = 0; c < ci; c++) {
              const r = tap + c * co;
              let s0 = 0;
              for (let o = 0; o < co; o++) s0 += w[r + o]! * dy[d0 + o]!;
              dx[x0 + c] = dx[x0 + c]! + s0;
            }
          }
        }
      }
    }
  }
}
