/**
 * Saliency maps: where on a slice the base CNNs of a model version look for one label. Computed on demand for
 * the viewer (EngineClient.getSaliency), from the same prepared image the models predict on (pad to square,
 * HU, resize to the model size: data/slice-images.ts), then mapped back onto the stored image's pixel grid.
 *
 * Two methods, chosen by the size of the base CNN's last feature map:
 * - 'grad-cam' (Selvaraju et al. 2017) when the last feature map is at least GRAD_CAM_MIN_SIDE on a side (the
 *   seed's nets at 256-512 px: 8x8 to 16x16): the body's output A [h, w, C], the gradient of the label's logit
 *   through the head (channel-group max pool, classifier; dropout is the identity at inference) to A,
 *   weights = that gradient averaged over h x w, map = ReLU(sum_c weight_c * A_c), bilinear up to the model size.
 * - 'smoothgrad' (Smilkov et al. 2017) otherwise: the absolute gradient of the label's logit with respect to the
 *   HU input, averaged over SMOOTHGRAD_COPIES copies with seeded Gaussian HU noise, then a small Gaussian blur.
 *   The tiny preset's nets (the demo's) end on a 2x2 map at 64 px, too coarse for Grad-CAM to say anything.
 * Each fold's base CNN gives a map, normalised to its 99th percentile; the maps of all folds are averaged and
 * scaled to a maximum of 1. Every tensor is made inside tf.tidy; maps are read with await data() (a GPU backend,
 * webgpu in Node, has no synchronous read).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../base/random.ts';
import { buildBaseCnn, type BaseCnn } from '../models/base-cnn.ts';
import type { BaseCnnArch } from '../models/base-cnn-presets.ts';
import type { Sym } from '../models/base-layers.ts';
import type { SaliencyMethod } from '../api/engine.ts';

export type { SaliencyMethod };

/** Grad-CAM needs a last feature map at least this many cells on a side. */
export const GRAD_CAM_MIN_SIDE = 7;
/** SmoothGrad: noisy copies per map, and the noise's standard deviation in HU. */
export const SMOOTHGRAD_COPIES = 8;
export const SMOOTHGRAD_NOISE_HU = 20;
/** The longer side of a returned map, at most (maps are smooth: the viewer draws them upsampled). */
export const SALIENCY_MAX_SIDE = 128;

/** One base CNN, split for saliency: input -> logits, input -> last feature map, feature map -> logits. */
export interface SaliencyNet {
  id: string;
  imageSize: number;
  /** Side of the last feature map (h = w: the input is square). */
  featureSide: number;
  built: BaseCnn;
  body: tf.LayersModel;
  head: tf.LayersModel;
}

/** Splits a base CNN at the body's output (the head_pool layer's input). Call before any other reuse of head_pool. */
export function saliencyNet(id: string, built: BaseCnn, imageSize: number): SaliencyNet {
  const model = built.trainModel;
  const pool = model.getLayer('head_pool');
  const bodyOut = pool.input as Sym;
  const body = tf.model({ inputs: model.inputs, outputs: bodyOut });
  const shape = bodyOut.shape;
  const a = tf.input({ shape: shape.slice(1) as number[], name: 'saliency_feature_map' });
  // The head without dropout (the identity at inference): head_pool, then the classifier, on the same weights.
  const logits = model.getLayer('classifier').apply(pool.apply(a)) as Sym;
  const head = tf.model({ inputs: a, outputs: logits });
  return { id, imageSize, featureSide: shape[1] ?? 0, built, body, head };
}

/** Builds a base CNN from its saved meta and weights (as ich predict does) and splits it. */
export function saliencyNetFrom(id: string, arch: BaseCnnArch, imageSize: number, weights: tf.Tensor[]): SaliencyNet {
  const built = buildBaseCnn(arch, imageSize);
  built.trainModel.setWeights(weights);
  return saliencyNet(id, built, imageSize);
}

export function disposeSaliencyNet(net: SaliencyNet): void {
  // The head applied head_pool and the classifier once more (a layer frees its weights when its last use is
  // disposed), so it goes first; the built model then frees every weight (the body model applied no layer).
  net.head.dispose();
  net.built.trainModel.dispose();
}

/** Grad-CAM where every net's last feature map is big enough, else SmoothGrad. */
export function saliencyMethodFor(nets: readonly SaliencyNet[]): SaliencyMethod {
  return nets.length > 0 && nets.every((n) => n.featureSide >= GRAD_CAM_MIN_SIDE) ? 'grad-cam' : 'smoothgrad';
}

/** The values of a float32 tensor, which is then disposed. */
async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

const labelLogitSum = (logits: tf.Tensor, label: number): tf.Scalar => (logits as tf.Tensor2D).slice([0, label], [-1, 1]).sum();

/** Grad-CAM of one net on one prepared image (size x size HU): size x size values >= 0. */
export async function gradCam(net: SaliencyNet, image: Float32Array, label: number): Promise<Float32Array> {
  const s = net.imageSize;
  return readAndDispose(tf.tidy(() => {
    const a = net.body.predict(tf.tensor4d(image, [1, s, s, 1])) as tf.Tensor4D;
    const grad = tf.grad((fm: tf.Tensor) => labelLogitSum(net.head.apply(fm, { training: false }) as tf.Tensor, label))(a);
    const weights = grad.mean([1, 2], true);
    const cam = tf.relu(tf.mul(a, weights).sum(3, true)) as tf.Tensor4D;
    return tf.image.resizeBilinear(cam, [s, s]);
  }));
}

/** SmoothGrad of one net on one prepared image: size x size values >= 0, the same for the same inputs (seeded noise). */
export async function smoothGrad(net: SaliencyNet, image: Float32Array, label: number, copies = SMOOTHGRAD_COPIES, noiseHu = SMOOTHGRAD_NOISE_HU): Promise<Float32Array> {
  const s = net.imageSize;
  const n = s * s;
  const rng = createRng(`saliency:${net.id}`);
  const x = new Float32Array(copies * n);
  for (let c = 0; c < copies; c++) for (let i = 0; i < n; i++) x[c * n + i] = image[i]! + noiseHu * rng.normal();
  const map = await readAndDispose(tf.tidy(() => {
    const grad = tf.grad((inp: tf.Tensor) => labelLogitSum(net.built.trainModel.apply(inp, { training: false }) as tf.Tensor, label))(tf.tensor4d(x, [copies, s, s, 1]));
    return grad.abs().mean(0);
  }));
  return gaussianBlur(map, s, s, s / 64);
}

/** Separable Gaussian blur (edges clamped); sigma in pixels, <= 0 returns a copy. */
export function gaussianBlur(map: Float32Array, width: number, height: number, sigma: number): Float32Array {
  if (!(sigma > 0)) return Float32Array.from(map);
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const tmp = new Float32Array(map.length);
  const out = new Float32Array(map.length);
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * map[y * width + clamp(x + i, width)]!;
      tmp[y * width + x] = acc / ks;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += k[i + r]! * tmp[clamp(y + i, height) * width + x]!;
      out[y * width + x] = acc / ks;
    }
  }
  return out;
}

/** The q-quantile (0..1) of the values. */
function quantile(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;
}

/**
 * The maps of several nets on one image, each scaled to its 99th percentile (clipped at 1), averaged, then scaled
 * to a maximum of 1 (all zeros stays all zeros).
 */
export function combineMaps(maps: readonly Float32Array[]): Float32Array {
  const n = maps[0]?.length ?? 0;
  const out = new Float32Array(n);
  for (const m of maps) {
    let max = 0;
    for (const v of m) if (v > max) max = v;
    const top = quantile(m, 0.99) || max;
    if (!(top > 0)) continue;
    for (let i = 0; i < n; i++) out[i]! += Math.min(1, Math.max(0, m[i]! / top)) / maps.length;
  }
  let max = 0;
  for (const v of out) if (v > max) max = v;
  if (max > 0) for (let i = 0; i < n; i++) out[i]! /= max;
  return out;
}

/**
 * A size x size map of the square model image back onto the stored image's pixel grid (rows x columns, which
 * data/prepare.ts padded to a centered square and resized): width x height values over the whole image (pixel
 * centres mapped exactly, bilinear), width / height = columns / rows, the longer side `side` (default: the map's
 * own resolution, at most SALIENCY_MAX_SIDE).
 */
export function mapToImageGrid(map: Float32Array, size: number, rows: number, columns: number, side = Math.min(size, SALIENCY_MAX_SIDE)): { width: number; height: number; values: Float32Array } {
  const square = Math.max(rows, columns);
  const top = Math.floor((square - rows) / 2);
  const left = Math.floor((square - columns) / 2);
  const scale = side / square;
  const width = Math.max(1, Math.round(columns * scale));
  const height = Math.max(1, Math.round(rows * scale));
  const values = new Float32Array(width * height);
  const toModel = (imagePx: number, pad: number) => ((imagePx + pad + 0.5) * size) / square - 0.5;
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  for (let i = 0; i < height; i++) {
    const my = clamp(toModel(((i + 0.5) * rows) / height - 0.5, top));
    const y0 = Math.floor(my);
    const y1 = Math.min(size - 1, y0 + 1);
    const fy = my - y0;
    for (let j = 0; j < width; j++) {
      const mx = clamp(toModel(((j + 0.5) * columns) / width - 0.5, left));
      const x0 = Math.floor(mx);
      const x1 = Math.min(size - 1, x0 + 1);
      const fx = mx - x0;
      const a = map[y0 * size + x0]! * (1 - fx) + map[y0 * size + x1]! * fx;
      const b = map[y1 * size + x0]! * (1 - fx) + map[y1 * size + x1]! * fx;
      values[i * width + j] = a * (1 - fy) + b * fy;
    }
  }
  return { width, height, values };
}

/** The combined map of `nets` for one label on one slice, prepared per net's image size by `imageOf`. */
export async function sliceSaliency(
  nets: readonly SaliencyNet[], imageOf: (size: number) => Promise<Float32Array>, label: number, method: SaliencyMethod = saliencyMethodFor(nets),
): Promise<{ map: Float32Array; size: number; method: SaliencyMethod }> {
  if (nets.length === 0) throw new Error('no base CNN to compute a saliency map with');
  // Every net maps onto the largest model size, so nets of different sizes average on one grid.
  const size = Math.max(...nets.map((n) => n.imageSize));
  const maps: Float32Array[] = [];
  for (const net of nets) {
    const image = await imageOf(net.imageSize);
    const m = method === 'grad-cam' ? await gradCam(net, image, label) : await smoothGrad(net, image, label);
    maps.push(net.imageSize === size ? m : resizeSquare(m, net.imageSize, size));
  }
  return { map: combineMaps(maps), size, method };
}

/** Bilinear resize of a square map (pixel centres aligned). */
function resizeSquare(map: Float32Array, from: number, to: number): Float32Array {
  return mapToImageGrid(map, from, from, from, to).values;
}
