// Reconstruction: quantum noise added to the ideal image, then the in-plane point-spread function (a
// separable Gaussian) applied to both, so the noise comes out slightly correlated, as on real CT.
import type { Rng } from '../base/random.ts';

/** Normalised Gaussian taps for sigma (pixels), radius ceil(2 sigma), at least 1. */
export function gaussianKernel(sigmaPx: number): Float64Array {
  const radius = Math.max(1, Math.ceil(2 * sigmaPx));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigmaPx * sigmaPx));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

// Sum of four uniform bytes, centred and scaled: close to normal after the blur, and one draw per pixel.
const BYTE_SUM_SD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * out = blur(img + noise): `noiseSd` is the SD after the blur (white noise is scaled up by the
 * kernel's noise gain). `tmp` is scratch of the same size.
 */
export function reconstruct(img: Float32Array, size: number, sigmaPx: number, noiseSd: number, rng: Rng, tmp: Float32Array, out: Float32Array): void {
  const k = gaussianKernel(sigmaPx);
  const rad = (k.length - 1) >> 1;
  let gain1 = 0;
  for (let i = 0; i < k.length; i++) gain1 += k[i]! * k[i]!;
  const white = noiseSd / gain1 / BYTE_SUM_SD; // 2-D gain is gain1^2; SD gain its square root
  const n = size * size;
  // One draw of the seeded stream seeds a splitmix32 sequence for the pixels: the same noise for the
  // same stream, at a few ns a pixel instead of a closure call each.
  let state = (rng.next() * 4294967296) >>> 0;
  for (let i = 0; i < n; i++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    const s = (z & 255) + ((z >>> 8) & 255) + ((z >>> 16) & 255) + ((z >>> 24) & 255) - 510;
    out[i] = img[i]! + s * white;
  }
  if (rad <= 2) blur5(out, tmp, size, k.length === 5 ? k : Float64Array.of(0, k[0]!, k[1]!, k[2]!, 0));
  else blurGeneral(out, tmp, size, k);
}

/** In-place separable blur with a 5-tap kernel, unrolled (the common case: sigma under 1 px). */
function blur5(img: Float32Array, tmp: Float32Array, size: number, k: Float64Array): void {
  const k0 = k[0]!, k1 = k[1]!, k2 = k[2]!, k3 = k[3]!, k4 = k[4]!;
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    const o = y * size;
    for (let x = 0; x < size; x++) {
      const xm2 = x < 2 ? 0 : x - 2, xm1 = x < 1 ? 0 : x - 1, xp1 = x >= last ? last : x + 1, xp2 = x + 2 > last ? last : x + 2;
      tmp[o + x] = k0 * img[o + xm2]! + k1 * img[o + xm1]! + k2 * img[o + x]! + k3 * img[o + xp1]! + k4 * img[o + xp2]!;
    }
  }
  for (let y = 0; y < size; y++) {
    const o = y * size;
    const a = (y < 2 ? 0 : y - 2) * size, b = (y < 1 ? 0 : y - 1) * size, d = (y >= last ? last : y + 1) * size, e = (y + 2 > last ? last : y + 2) * size;
    for (let x = 0; x < size; x++) {
      img[o + x] = k0 * tmp[a + x]! + k1 * tmp[b + x]! + k2 * tmp[o + x]! + k3 * tmp[d + x]! + k4 * tmp[e + x]!;
    }
  }
}

function blurGeneral(img: Float32Array, tmp: Float32Array, size: number, k: Float64Array): void {
  const rad = (k.length - 1) >> 1;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let t = -rad; t <= rad; t++) {
        let xx = x + t;
        xx = xx < 0 ? 0 : xx >= size ? size - 1 : xx;
        acc += k[t + rad]! * img[row + xx]!;
      }
      tmp[row + x] = acc;
    }
  }
  img.fill(0);
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let t = -rad; t <= rad; t++) {
      let yy = y + t;
      yy = yy < 0 ? 0 : yy >= size ? size - 1 : yy;
      const src = yy * size;
      const kk = k[t + rad]!;
      for (let x = 0; x < size; x++) img[row + x] = img[row + x]! + kk * tmp[src + x]!;
    }
  }
}
