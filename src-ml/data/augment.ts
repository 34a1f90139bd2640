// The seed's training / TTA augmentation of one HU image (docs/seed-pipeline.md section 2, `MyTransform.random`):
// intensity offset, horizontal flip, rotation on a grown canvas, integer shift, anisotropic rescale and a centre
// crop back to the input size, every fill being the image minimum.
//
// The seed runs four skimage resamplings (rotate, shift, rescale, crop). Every one of them is an affine map of
// pixel coordinates, so here they are composed into ONE inverse affine map (output pixel -> source pixel) and the
// source is sampled once, bilinearly, with the minimum outside: about 4x less work on the hot path, and one
// interpolation blur instead of two. Canvas sizes (rotate's grown canvas, rescale's rounded output shape, the crop
// offsets) are computed exactly as skimage and the seed compute them, so the geometry matches theirs.
// Known, deliberate differences from the seed's sequence:
// - skimage.rescale low-pass filters before down-scaling (anti_aliasing, sigma = (1/zoom - 1)/2 <= 0.28 px for
//   the seed's zoom range, a kernel whose side taps weigh < 0.2%); the single bilinear sample skips it.
// - The seed's `_shift` mis-slices negative shifts (it keeps arr[|s|:D-|s|], so the canvas shrinks by |s| and the
//   content moves by about |s|/2 after the centre crop), and its crop takes the row offset from the column count
//   and vice versa (off-centre by up to ~90 px when the zoom is anisotropic). We implement the documented intent
//   (a true shift, a true centre crop), as the spec describes them.
import type { Rng } from '../base/random.ts';

export interface AugmentConfig {
  /** Intensity offset U(-intensity, +intensity) HU; 0 = none. */
  intensity: number;
  /** Horizontal (left-right) flip with p = 0.5. */
  flip: boolean;
  /** Rotation by a random integer angle in [-rotate, rotate) degrees; 0 = none. */
  rotate: number;
  /** Integer shift in [-shift, shift) pixels on each axis; 0 = none. */
  shift: number;
  /** Anisotropic zoom amplitudes [z1, z2]: rows x (1 + U*z1), columns x (1 + U'*z2)(1 + U*z1), U, U' ~ U(-1, 1). */
  zoom: [number, number];
  /** When set, isotropic zoom 1 + N(0,1)*gaussianZoom instead of `zoom` (the DenseNet transform). */
  gaussianZoom?: number;
}

/** SE-net training (3-fold `classifier_splits` and Serialized): mean 15, flip, zoom (0.2, 0.2), rotate 30, shift 10. */
export const SE_TRAIN_AUG: AugmentConfig = { intensity: 15, flip: true, rotate: 30, shift: 10, zoom: [0.2, 0.2] };
/** SE-net training for the 5-fold `new_splits` and focal runs: as SE_TRAIN_AUG with shift 20. */
export const SE_TRAIN_AUG_SHIFT20: AugmentConfig = { ...SE_TRAIN_AUG, shift: 20 };
/** DenseNet161/169 training: flip, zoom 1 + N(0,1)*0.05, rotate 15, shift 40, no intensity change. */
export const DENSENET_TRAIN_AUG: AugmentConfig = { intensity: 0, flip: true, rotate: 15, shift: 40, zoom: [0, 0], gaussianZoom: 0.05 };
/** Feature-extraction TTA (`features_*_tta`): the SE training family, shift 10 (some runs used 0). */
export const SE_TTA_AUG: AugmentConfig = { intensity: 15, flip: true, rotate: 30, shift: 10, zoom: [0.2, 0.2] };
/** The milder TTA of the SE-ResNet101 3-fold train features: mean 10, zoom 0.15, rotate 20, shift 0. */
export const SE_TTA_AUG_MILD: AugmentConfig = { intensity: 10, flip: true, rotate: 20, shift: 0, zoom: [0.15, 0.15] };

/**
 * One draw of the transform. Axes follow the image: X = columns (axis 1), Y = rows (axis 0).
 * skimage.rescale applies the seed's first factor (`factor_x = 1 + U*z1`) to axis 0, so zoomY is that factor
 * and zoomX = (1 + U'*z2) * zoomY.
 */
export interface AugmentParams {
  offset: number;
  flip: boolean;
  angleDeg: number;
  shiftX: number;
  shiftY: number;
  zoomX: number;
  zoomY: number;
}

export const IDENTITY_AUGMENT: Readonly<AugmentParams> = { offset: 0, flip: false, angleDeg: 0, shiftX: 0, shiftY: 0, zoomX: 1, zoomY: 1 };

/** Draws the parameters in the seed's order (offset, flip, angle, shift x then y, zoom). */
export function sampleAugment(cfg: AugmentConfig, rng: Rng): AugmentParams {
  const offset = cfg.intensity > 0 ? rng.uniform(-cfg.intensity, cfg.intensity) : 0;
  const flip = cfg.flip ? rng.next() < 0.5 : false;
  const angleDeg = cfg.rotate > 0 ? rng.int(-cfg.rotate, cfg.rotate - 1) : 0;
  const shiftX = cfg.shift > 0 ? rng.int(-cfg.shift, cfg.shift - 1) : 0;
  const shiftY = cfg.shift > 0 ? rng.int(-cfg.shift, cfg.shift - 1) : 0;
  let zoomX = 1;
  let zoomY = 1;
  if (cfg.gaussianZoom !== undefined && cfg.gaussianZoom > 0) {
    zoomX = zoomY = 1 + rng.normal() * cfg.gaussianZoom;
  } else if (cfg.zoom[0] !== 0 || cfg.zoom[1] !== 0) {
    zoomY = 1 + rng.uniform(-1, 1) * cfg.zoom[0];
    zoomX = (1 + rng.uniform(-1, 1) * cfg.zoom[1]) * zoomY;
  }
  return { offset, flip, angleDeg, shiftX, shiftY, zoomX, zoomY };
}

/** numpy's round (np.around / np.round): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Offset into an axis of length n of the seed's centre crop to length s (negative: min padding before). */
function cropOffset(n: number, s: number): number {
  // The seed pads (s - n)//2 + 1 on each side when n < s and then slices from 0.
  return n >= s ? Math.floor(n / 2) - Math.floor(s / 2) : -(Math.floor((s - n) / 2) + 1);
}

/** Inverse map as [a, b, c, d, e, f]: srcX = a*x + b*y + c, srcY = d*x + e*y + f for output pixel (x, y). */
export function augmentInverseMap(size: number, p: AugmentParams): [number, number, number, number, number, number] {
  // Rotation (skimage.transform.rotate, resize=True): output -> input is R(q + (minc, minr) - ctr) + ctr.
  const th = (p.angleDeg * Math.PI) / 180;
  const cos = p.angleDeg === 0 ? 1 : Math.cos(th);
  const sin = p.angleDeg === 0 ? 0 : Math.sin(th);
  const ctr = size / 2 - 0.5;
  let minc = Infinity;
  let minr = Infinity;
  let maxc = -Infinity;
  let maxr = -Infinity;
  for (const [cx, cy] of [[0, 0], [0, size - 1], [size - 1, size - 1], [size - 1, 0]] as const) {
    // The canvas corners are the input corners under the forward map R^-1.
    const dx = cx - ctr;
    const dy = cy - ctr;
    const ox = cos * dx + sin * dy + ctr;
    const oy = -sin * dx + cos * dy + ctr;
    minc = Math.min(minc, ox);
    maxc = Math.max(maxc, ox);
    minr = Math.min(minr, oy);
    maxr = Math.max(maxr, oy);
  }
  const rotW = roundHalfEven(maxc - minc + 1);
  const rotH = roundHalfEven(maxr - minr + 1);
  // Shift keeps the canvas; rescale's output shape is np.round(scale * shape), at least 1.
  const zoomW = Math.max(1, roundHalfEven(p.zoomX * rotW));
  const zoomH = Math.max(1, roundHalfEven(p.zoomY * rotH));
  const kx = rotW / zoomW;
  const ky = rotH / zoomH;
  const offX = cropOffset(zoomW, size);
  const offY = cropOffset(zoomH, size);
  // Output (x, y) -> zoomed canvas (x + offX) -> rotated canvas ((x + offX + 0.5)*kx - 0.5 - shiftX) ->
  // rotation input -> un-flip. Each stage is affine; fold them into one 2x3 matrix.
  const tx = (offX + 0.5) * kx - 0.5 - p.shiftX + minc - ctr; // rotated-canvas x relative to the centre, at x = 0
  const ty = (offY + 0.5) * ky - 0.5 - p.shiftY + minr - ctr;
  let a = cos * kx;
  let b = -sin * ky;
  let c = cos * tx - sin * ty + ctr;
  const d = sin * kx;
  const e = cos * ky;
  const f = sin * tx + cos * ty + ctr;
  if (p.flip) {
    a = -a;
    b = -b;
    c = size - 1 - c;
  }
  return [a, b, c, d, e, f];
}

/** Writes the augmented image into out (length size*size); src and out may not alias. */
export function applyAugment(src: Float32Array, size: number, p: AugmentParams, out: Float32Array): void {
  const n = size * size;
  if (src.length !== n || out.length !== n) throw new RangeError(`applyAugment: expected ${n} pixels, got src ${src.length}, out ${out.length}`);
  if (src === out || (src.buffer === out.buffer && src.byteOffset < out.byteOffset + out.byteLength && out.byteOffset < src.byteOffset + src.byteLength)) {
    throw new RangeError('applyAugment: src and out may not alias');
  }
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const v = src[i]!;
    if (v < min) min = v;
  }
  const off = p.offset;
  const fill = min + off; // every fill in the seed is the minimum of the offset image
  const [a, b, c, d, e, f] = augmentInverseMap(size, p);
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    let sx = b * y + c;
    let sy = e * y + f;
    const row = y * size;
    for (let x = 0; x < size; x++, sx += a, sy += d) {
      // Bilinear on the offset image, neighbours outside the image take the fill value (skimage mode='constant').
      if (!(sx > -1 && sy > -1 && sx < size && sy < size)) {
        out[row + x] = fill;
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let v00: number;
      let v01: number;
      let v10: number;
      let v11: number;
      if (x0 >= 0 && y0 >= 0 && x0 < last && y0 < last) {
        const i = y0 * size + x0;
        v00 = src[i]! + off;
        v01 = src[i + 1]! + off;
        v10 = src[i + size]! + off;
        v11 = src[i + size + 1]! + off;
      } else {
        const inX0 = x0 >= 0;
        const inX1 = x0 + 1 <= last;
        const inY0 = y0 >= 0;
        const inY1 = y0 + 1 <= last;
        const i = y0 * size + x0;
        v00 = inX0 && inY0 ? src[i]! + off : fill;
        v01 = inX1 && inY0 ? src[i + 1]! + off : fill;
        v10 = inX0 && inY1 ? src[i + size]! + off : fill;
        v11 = inX1 && inY1 ? src[i + size + 1]! + off : fill;
      }
      const top = v00 + (v01 - v00) * fx;
      const bot = v10 + (v11 - v10) * fx;
      out[row + x] = top + (bot - top) * fy;
    }
  }
}

/** Draws a transform from cfg and applies it; returns out (allocated when absent). */
export function augmentImage(src: Float32Array, size: number, cfg: AugmentConfig, rng: Rng, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(size * size);
  applyAugment(src, size, sampleAugment(cfg, rng), dst);
  return dst;
}
