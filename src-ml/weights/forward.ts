/**
 * `ich weights forward`: runs an imported body (import.ts) in eval mode (batch norm on its running
 * statistics) on x [N, 3, H, W] float32 (PyTorch layout, already normalised) and returns the last
 * feature map [N, C, h, w] before pooling, as PyTorch's model.features(x) (DenseNet: relu(features(x))).
 * Also copyBodyWeights, for a trainer that starts a base CNN from an imported body.
 */
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../nn/model-io.ts';
import { writeNpyPartsAtomic, readNpy } from '../store/npy.ts';
import { BODY_WEIGHTS_KIND, type BodyWeightsMeta } from './import.ts';

export interface LoadedBody {
  model: tf.LayersModel;
  meta: BodyWeightsMeta;
}

/** Loads a folder written by importWeights (one-line errors for anything else). */
export async function loadBody(dir: string): Promise<LoadedBody> {
  const { model, meta } = await loadModel<BodyWeightsMeta>(dir);
  if (meta?.kind !== BODY_WEIGHTS_KIND) {
    model.dispose();
    throw new Error(`${dir} is not an imported body (meta.json kind ${JSON.stringify(meta?.kind)}, expected "${BODY_WEIGHTS_KIND}"; write one with ich weights import)`);
  }
  return { model, meta };
}

/**
 * SE-nets use TF 'same' max pooling for torch's MaxPool2d(3, 2, ceil_mode=True) after the stem; the
 * two take the same windows only when the stem output is even. Throws one line otherwise.
 */
export function checkInputSize(meta: BodyWeightsMeta, h: number, w: number): void {
  if (meta.family === 'densenet') return;
  const stride = meta.archSpec.stemStride ?? 2;
  for (const [n, what] of [[h, 'H'], [w, 'W']] as const) {
    const stem = Math.floor((n + 6 - 7) / stride) + 1;
    if (stem % 2 !== 0) {
      throw new Error(`${meta.arch}: input ${what} = ${n} gives an odd stem output (${stem}), where the engine's max pool differs from torch's ceil_mode pool; use an ${what} with an even stem output (e.g. a multiple of 4)`);
    }
  }
}

/**
 * x [N, 3, H, W] -> y [N, C, h, w] (both C order), `batchSize` images per pass. Reads with await data(): a GPU
 * backend (webgpu in Node) has no synchronous read.
 */
export async function forwardNchw(body: LoadedBody, x: Float32Array, shape: number[], batchSize = 8): Promise<{ parts: Float32Array[]; shape: number[] }> {
  if (shape.length !== 4 || shape[1] !== 3) throw new Error(`input must be [N, 3, H, W] float32, got [${shape.join(', ')}]`);
  const [n, , h, w] = shape as [number, number, number, number];
  if (n === 0) throw new Error('input holds no images (N = 0)');
  checkInputSize(body.meta, h, w);
  const per = 3 * h * w;
  const parts: Float32Array[] = [];
  let outShape: number[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const y = tf.tidy(() => {
      const xb = tf.tensor4d(x.subarray(start * per, (start + b) * per), [b, 3, h, w]).transpose([0, 2, 3, 1]);
      const out = body.model.predict(xb) as tf.Tensor4D;
      return out.transpose([0, 3, 1, 2]);
    });
    outShape = [n, y.shape[1]!, y.shape[2]!, y.shape[3]!];
    try {
      parts.push((await y.data()) as Float32Array);
    } finally {
      y.dispose();
    }
  }
  return { parts, shape: outShape };
}

/** Reads x.npy, runs the body of `dir`, writes y.npy; returns the output shape. */
export async function forwardFile(dir: string, input: string, out: string, batchSize = 8): Promise<{ shape: number[]; meta: BodyWeightsMeta }> {
  const x = await readNpy(input);
  if (!(x.data instanceof Float32Array)) throw new Error(`${input}: expected float32 (<f4), got ${x.dtype}`);
  if (x.shape.length !== 4 || x.shape[1] !== 3) throw new Error(`${input}: expected [N, 3, H, W] float32, got [${x.shape.join(', ')}]`);
  const body = await loadBody(dir);
  try {
    const { parts, shape } = await forwardNchw(body, x.data, x.shape, batchSize);
    await writeNpyPartsAtomic(out, shape, parts);
    return { shape, meta: body.meta };
  } finally {
    body.model.dispose();
  }
}

/**
 * Copies every weight of `body` into the layers of the same name in `target` (a base CNN built from
 * the same arch); returns the number of weights copied. Throws one line for a missing layer or shape.
 */
export function copyBodyWeights(body: tf.LayersModel, target: tf.LayersModel): number {
  let copied = 0;
  for (const layer of body.layers) {
    if (layer.weights.length === 0) continue;
    let dst: tf.layers.Layer;
    try {
      dst = target.getLayer(layer.name);
    } catch {
      throw new Error(`the model has no layer ${layer.name} for the imported weights`);
    }
    const src = layer.getWeights();
    const want = dst.weights.map((w) => w.shape.join('x'));
    const got = src.map((t) => t.shape.join('x'));
    if (want.join(',') !== got.join(',')) throw new Error(`layer ${layer.name}: imported weights [${got.join(', ')}] do not fit [${want.join(', ')}]`);
    dst.setWeights(src);
    copied += src.length;
  }
  return copied;
}
