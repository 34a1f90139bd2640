// The seed's image preparation (docs/seed-pipeline.md section 2 "Decoding" and "Size"): pad to square with the raw [0,0]
// value, rescale to HU, then resize the way skimage.transform.resize(order=1, mode='reflect',
// anti_aliasing=True, preserve_range=True) does. skimage maps mode 'reflect' to scipy.ndimage's
// 'mirror' (d c b | a b c d | c b a) for both the anti-aliasing Gaussian and the zoom, so every
// boundary here is 'mirror'. Work is done in float64 like skimage on a float64 HU image; only the
// final result is narrowed to float32.

export interface Rescale {
  slope: number;
  intercept: number;
}

/** scipy.ndimage.gaussian_filter's default kernel extent, in standard deviations. */
export const GAUSSIAN_TRUNCATE = 4;

function checkDims(length: number, rows: number, cols: number, what: string): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`${what}: rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
  if (length < rows * cols) throw new RangeError(`${what}: ${length} values for a ${rows} x ${cols} image`);
}

/**
 * The first n values as a Float64Array: the input itself when it already is one (never mutated),
 * else a copy. Keeps the hot loops below monomorphic over Float64Array.
 */
function asFloat64(image: ArrayLike<number>, n: number): Float64Array {
  if (image instanceof Float64Array) return image.length === n ? image : image.subarray(0, n);
  const out = new Float64Array(n);
  if (image.length === n) out.set(image);
  else if (ArrayBuffer.isView(image)) out.set((image as unknown as Float32Array).subarray(0, n));
  else for (let i = 0; i < n; i++) out[i] = image[i]!;
  return out;
}

/** scipy.ndimage 'mirror' extension of an integer index (period 2n - 2, edge sample not repeated). */
export function mirrorIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * scipy.ndimage's map_coordinate for 'mirror', step for step: folds a fractional coordinate back
 * toward [0, n - 1]; a result in (n - 1, n) is left for the mirrored neighbour index to finish.
 */
function mirrorCoordinate(c: number, n: number): number {
  if (n <= 1) return 0;
  const sz2 = 2 * n - 2;
  if (c < 0) {
    c = sz2 * Math.trunc(-c / sz2) + c;
    c = c <= 1 - n ? c + sz2 : -c;
  } else if (c > n - 1) {
    c -= sz2 * Math.trunc(c / sz2);
    if (c >= n) c = sz2 - c;
  }
  return c;
}

/**
 * Pads a rows x cols image to a centered square, the extra row/column (odd difference) going after
 * the image like numpy's pad((d // 2, d - d // 2)). The fill defaults to the value at [0,0].
 */
export function padToSquare(
  image: ArrayLike<number>,
  rows: number,
  cols: number,
  fill: number = image[0] ?? 0,
): { data: Float64Array; size: number } {
  checkDims(image.length, rows, cols, 'padToSquare');
  const size = Math.max(rows, cols);
  const top = Math.floor((size - rows) / 2);
  const left = Math.floor((size - cols) / 2);
  const data = new Float64Array(size * size);
  if (rows !== cols) data.fill(fill);
  const src = asFloat64(image, rows * cols);
  for (let r = 0; r < rows; r++) data.set(src.subarray(r * cols, (r + 1) * cols), (r + top) * size + left);
  return { data, size };
}

/** scipy.ndimage._gaussian_kernel1d (order 0): normalised, radius = int(truncate * sigma + 0.5). */
export function gaussianKernel(sigma: number, truncate = GAUSSIAN_TRUNCATE): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  const a = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp(a * x * x);
    k[x + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

/**
 * scipy.ndimage.gaussian_filter(image, (sigmaRow, sigmaCol), mode='mirror', truncate=4): separable,
 * axis 0 first then axis 1, axes with sigma ~ 0 skipped (as scipy does).
 */
export function gaussianBlur(
  image: ArrayLike<number>,
  rows: number,
  cols: number,
  sigmaRow: number,
  sigmaCol: number,
  truncate = GAUSSIAN_TRUNCATE,
): Float64Array {
  checkDims(image.length, rows, cols, 'gaussianBlur');
  let cur = asFloat64(image, rows * cols);

  if (sigmaRow > 1e-15) {
    const k = gaussianKernel(sigmaRow, truncate);
    const taps = k.length;
    const radius = (taps - 1) / 2;
    const out = new Float64Array(rows * cols);
    const offsets = new Int32Array(taps);
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < taps; t++) offsets[t] = mirrorIndex(r + t - radius, rows) * cols;
      const dst = r * cols;
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let t = 0; t < taps; t++) acc += k[t]! * cur[offsets[t]! + c]!;
        out[dst + c] = acc;
      }
    }
    cur = out;
  }

  if (sigmaCol > 1e-15) {
    const k = gaussianKernel(sigmaCol, truncate);
    const taps = k.length;
    const radius = (taps - 1) / 2;
    const out = new Float64Array(rows * cols);
    // Mirror-extended copy of one row, so the inner loop has no boundary logic.
    const line = new Float64Array(cols + 2 * radius);
    const ext = Int32Array.from({ length: line.length }, (_, i) => mirrorIndex(i - radius, cols));
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let i = 0; i < line.length; i++) line[i] = cur[base + ext[i]!]!;
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let t = 0; t < taps; t++) acc += k[t]! * line[c + t]!;
        out[base + c] = acc;
      }
    }
    cur = out;
  }
  return cur;
}

/** Per output index: the two source indices and the weight of the second (order-1 spline). */
function linearTable(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    // ndimage.zoom(grid_mode=True): pixel centers line up, in = (out + 0.5) * in/out - 0.5.
    const c = mirrorCoordinate((o + 0.5) * scale - 0.5, inSize);
    const f = Math.floor(c);
    i0[o] = f;
    i1[o] = mirrorIndex(f + 1, inSize);
    w[o] = c - f;
  }
  return { i0, i1, w };
}

/**
 * Bilinear sampling at pixel centers with 'mirror' boundaries: scipy.ndimage.zoom(order=1,
 * mode='mirror', grid_mode=True). No anti-aliasing; see resizeAntiAliased for skimage's resize.
 */
export function resizeBilinear(
  image: ArrayLike<number>,
  rows: number,
  cols: number,
  outRows: number,
  outCols: number,
): Float64Array {
  checkDims(image.length, rows, cols, 'resizeBilinear');
  checkDims(outRows * outCols, outRows, outCols, 'resizeBilinear output');
  const src = asFloat64(image, rows * cols);
  const ry = linearTable(rows, outRows);
  const rx = linearTable(cols, outCols);
  const out = new Float64Array(outRows * outCols);
  for (let y = 0; y < outRows; y++) {
    const a = ry.i0[y]! * cols;
    const b = ry.i1[y]! * cols;
    const wy = ry.w[y]!;
    const dst = y * outCols;
    for (let x = 0; x < outCols; x++) {
      const x0 = rx.i0[x]!;
      const x1 = rx.i1[x]!;
      const wx = rx.w[x]!;
      const top = src[a + x0]! * (1 - wx) + src[a + x1]! * wx;
      const bottom = src[b + x0]! * (1 - wx) + src[b + x1]! * wx;
      out[dst + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * One axis of blur-then-sample as a single linear map: per output index, `taps` (source index,
 * weight) pairs equal to the bilinear weights composed with the mirrored Gaussian. Applying it
 * gives gaussianBlur followed by resizeBilinear, in far fewer operations.
 */
function resampleTable(inSize: number, outSize: number, sigma: number): { taps: number; index: Int32Array; weight: Float64Array } {
  const lin = linearTable(inSize, outSize);
  const kernel = sigma > 1e-15 ? gaussianKernel(sigma) : Float64Array.of(1);
  const radius = (kernel.length - 1) / 2;
  const rowsOf: Map<number, number>[] = [];
  let taps = 1;
  for (let o = 0; o < outSize; o++) {
    const acc = new Map<number, number>();
    const add = (centre: number, w: number) => {
      if (w === 0) return;
      for (let t = 0; t < kernel.length; t++) {
        const i = mirrorIndex(centre + t - radius, inSize);
        acc.set(i, (acc.get(i) ?? 0) + w * kernel[t]!);
      }
    };
    add(lin.i0[o]!, 1 - lin.w[o]!);
    add(lin.i1[o]!, lin.w[o]!);
    rowsOf.push(acc);
    taps = Math.max(taps, acc.size);
  }
  // Fixed width (zero-weight padding) keeps the inner loops simple.
  const index = new Int32Array(outSize * taps);
  const weight = new Float64Array(outSize * taps);
  rowsOf.forEach((acc, o) => {
    let t = 0;
    for (const [i, w] of acc) {
      index[o * taps + t] = i;
      weight[o * taps + t] = w;
      t++;
    }
  });
  return { taps, index, weight };
}

/**
 * skimage.transform.resize(image, (outRows, outCols), order=1, mode='reflect', anti_aliasing=True,
 * preserve_range=True, clip=True): Gaussian with sigma = max(0, (in/out - 1) / 2) per axis, bilinear
 * zoom, then clip to the input's value range. Blur and zoom are fused per axis (see resampleTable).
 */
export function resizeAntiAliased(
  image: ArrayLike<number>,
  rows: number,
  cols: number,
  outRows: number,
  outCols: number,
): Float64Array {
  checkDims(image.length, rows, cols, 'resizeAntiAliased');
  checkDims(outRows * outCols, outRows, outCols, 'resizeAntiAliased output');
  const src = asFloat64(image, rows * cols);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const ty = resampleTable(rows, outRows, Math.max(0, (rows / outRows - 1) / 2));
  const tx = resampleTable(cols, outCols, Math.max(0, (cols / outCols - 1) / 2));

  // Vertical: outRows x cols, whole source rows at a time. Taps outer, columns inner: each tap streams one
  // source row into the output row (about 4x faster at 512 -> 64 than a tap loop per column), and every
  // output still sums its taps in order t = 0, 1, ..., so the result is bit for bit the same.
  const mid = new Float64Array(outRows * cols);
  for (let y = 0; y < outRows; y++) {
    const dst = y * cols;
    for (let t = 0; t < ty.taps; t++) {
      const w = ty.weight[y * ty.taps + t]!;
      const from = ty.index[y * ty.taps + t]! * cols;
      for (let c = 0; c < cols; c++) mid[dst + c] = mid[dst + c]! + w * src[from + c]!;
    }
  }

  // Horizontal, then skimage's clip to the input range (only float noise can leave it).
  const out = new Float64Array(outRows * outCols);
  for (let y = 0; y < outRows; y++) {
    const base = y * cols;
    const dst = y * outCols;
    for (let x = 0; x < outCols; x++) {
      let acc = 0;
      for (let t = 0; t < tx.taps; t++) acc += tx.weight[x * tx.taps + t]! * mid[base + tx.index[x * tx.taps + t]!]!;
      out[dst + x] = acc < lo ? lo : acc > hi ? hi : acc;
    }
  }
  return out;
}

/**
 * The seed's load_one_image + MyTransform resize: pad to square with the raw stored [0,0] value,
 * convert to HU, and resize to outSize x outSize (skipped when already that size).
 */
export function prepareImage(
  stored: ArrayLike<number>,
  rows: number,
  cols: number,
  rescale: Rescale,
  outSize: number,
): Float32Array {
  checkDims(stored.length, rows, cols, 'prepareImage');
  if (!Number.isInteger(outSize) || outSize < 1) throw new RangeError(`prepareImage: outSize must be a positive integer, got ${outSize}`);
  // padToSquare and the HU rescale in one pass over the pixels (the same arithmetic, so the same values).
  const { slope, intercept } = rescale;
  const size = Math.max(rows, cols);
  const top = Math.floor((size - rows) / 2);
  const left = Math.floor((size - cols) / 2);
  const data = new Float64Array(size * size);
  if (rows !== cols) data.fill(slope * (stored[0] ?? 0) + intercept);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    const to = (r + top) * size + left;
    for (let c = 0; c < cols; c++) data[to + c] = slope * stored[from + c]! + intercept;
  }
  if (size === outSize) return new Float32Array(data);
  return new Float32Array(resizeAntiAliased(data, size, size, outSize, outSize));
}
