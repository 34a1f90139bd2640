/**
 * Zahar's shallow NN (seed `ResNetModel`, docs/seed-pipeline.md section 5).
 *
 * Inputs (one padded series per sample, 84 = 12 + 60 + 12 rows, see data/series-layout.ts):
 *   features    [B, 84, F]  z-scored base-CNN features
 *   continuous  [B, 84, 38] metadata (16 boolean + 22 float columns)
 *   categorical [B, 84, 10] label-encoded metadata codes (int32, or float32 holding integers)
 * Output: logits [B, 60, 6]; output row j belongs to padded input row j + 12 and depends on input
 * rows j .. j + 24 only (all sequence convolutions are 'valid').
 *
 * Layers: `cat_embedding` (one table per categorical column, 30 dims in all; see CategoricalEmbedding)
 *   -> concat [F + 38 + 30] -> stem: per-slice linear F + 68 -> 64 (+ bias) -> BN -> ReLU = x
 *   -> res1 (64->64), res2 (64->32) = x2 (76 rows)
 *   -> concat[x[4:-4], x2] -> res3 (96->64), res4 (64->32) = x3 (68 rows)
 *   -> concat[x[8:-8], x2[4:-4], x3] -> res5 (128->64), res6 (64->32) = x4 (60 rows)
 *   -> concat[x[12:-12], x2[8:-8], x3[4:-4], x4] (160) -> `logits` 1x1 conv 160 -> 6 (+ bias).
 * ResBlock(ni, nh): 1x1 conv + BN + ReLU -> k5 'valid' conv + BN; skip = input[2:-2] (ni == nh) or
 * 1x1 conv + BN of input[2:-2]; ReLU(sum).
 *
 * The sequence runs as an NHWC tensor [B, L, 1, C] (conv2d with [k, 1] kernels, cropping2D), because
 * tfjs has no Cropping1D; the weights are those of the seed's Conv1d's. Every convolution has a bias
 * (PyTorch's default; the seed's code is not at hand to confirm) and PyTorch's default initialisation.
 * Label order: the seed's model is any-first; this one is trained on (and outputs) the project's order,
 * any LAST, like every other model here (the loss's class weights follow it: fullhead-losses.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Sym } from './base-layers.ts';
import { NUM_CLASSES } from './base-cnn.ts';
import { batchNorm1d, type BuildFullHeadOptions, FULLHEAD_SLICES, TorchInit } from './pooled-res.ts';
import { CategoricalEmbedding } from '../nn/layers/categorical-embedding.ts';
import { assembleBag } from './bag.ts';

export { CategoricalEmbedding };

/** Padding rows on each side of the 60 slices (the receptive field is ±12 slices). */
export const SHALLOW_PAD = 12;
/** Rows per shallow-NN sample: 12 + 60 + 12. */
export const SHALLOW_ROWS = FULLHEAD_SLICES + 2 * SHALLOW_PAD;
/** Continuous metadata columns (16 boolean + 22 float). */
export const SHALLOW_CONTINUOUS = 38;
/**
 * The seed's categorical columns, in `cols_le` order: WindowCenter_1_le, BitType_le, WindowCenter_0_le,
 * pos_inc1_grp_le, pos_inc2_grp_le, pos_size_le, pos_zeros_le, WindowWidth_0_le, WindowWidth_1_le, PxlMin_grp_le.
 */
export const SEED_CAT_CARDINALITY: readonly number[] = [5, 5, 7, 4, 4, 11, 4, 6, 3, 3];
export const SEED_CAT_EMBED_DIMS: readonly number[] = [3, 3, 4, 2, 2, 6, 2, 4, 2, 2];

export interface ShallowNnConfig {
  featureSize: number;
  /** Continuous metadata columns (38 in the seed). */
  continuous: number;
  /** Codes per categorical column (codes are 0 .. cardinality - 1). */
  catCardinality: readonly number[];
  /** Embedding width per categorical column. */
  catEmbedDims: readonly number[];
}

/** The seed's configuration for a feature size F. */
export function seedShallowNnConfig(featureSize: number): ShallowNnConfig {
  return { featureSize, continuous: SHALLOW_CONTINUOUS, catCardinality: SEED_CAT_CARDINALITY, catEmbedDims: SEED_CAT_EMBED_DIMS };
}


function convK(x: Sym, init: TorchInit, filters: number, k: number, name: string): Sym {
  const inChannels = x.shape[x.shape.length - 1];
  if (inChannels == null) throw new Error(`${name}: unknown input channels`);
  return tf.layers.conv2d({
    filters,
    kernelSize: [k, 1],
    padding: 'valid',
    useBias: true,
    kernelInitializer: init.kernel(),
    biasInitializer: init.bias(inChannels * k),
    name,
  }).apply(x) as Sym;
}

/** Rows [c, L - c) of a [B, L, 1, C] sequence (the seed's x[..., c:-c]). */
function crop(x: Sym, c: number, name: string): Sym {
  return tf.layers.cropping2D({ cropping: [[c, c], [0, 0]], name }).apply(x) as Sym;
}

function relu(x: Sym, name: string): Sym {
  return tf.layers.reLU({ name }).apply(x) as Sym;
}

function channels(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c == null) throw new Error('unknown channel count');
  return c;
}

function resBlock(x: Sym, nh: number, init: TorchInit, name: string): Sym {
  const ni = channels(x);
  const h = relu(batchNorm1d(convK(x, init, nh, 1, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
  const body = batchNorm1d(convK(h, init, nh, 5, `${name}_conv2`), `${name}_bn2`);
  let skip = crop(x, 2, `${name}_skip_crop`);
  if (ni !== nh) skip = batchNorm1d(convK(skip, init, nh, 1, `${name}_skip_conv`), `${name}_skip_bn`);
  const sum = tf.layers.add({ name: `${name}_add` }).apply([body, skip]) as Sym;
  return relu(sum, `${name}_relu`);
}

function checkConfig(cfg: ShallowNnConfig): void {
  const { featureSize, continuous } = cfg;
  if (!Number.isInteger(featureSize) || featureSize < 1) throw new Error(`featureSize must be a positive integer, got ${featureSize}`);
  if (!Number.isInteger(continuous) || continuous < 1) throw new Error(`continuous must be a positive integer, got ${continuous}`);
}

function shallowInputs(cfg: ShallowNnConfig): [Sym, Sym, Sym] {
  const L = SHALLOW_ROWS;
  return [
    tf.input({ shape: [L, cfg.featureSize], name: 'features' }),
    tf.input({ shape: [L, cfg.continuous], name: 'continuous' }),
    tf.input({ shape: [L, cfg.catCardinality.length], name: 'categorical', dtype: 'int32' }),
  ];
}

export function buildShallowNN(cfg: ShallowNnConfig, options: BuildFullHeadOptions = {}): tf.LayersModel {
  checkConfig(cfg);
  const inputs = shallowInputs(cfg);
  return tf.model({ inputs, outputs: shallowBody(inputs, cfg, new TorchInit(options.seed), '', options.seed), name: 'shallow_nn' });
}

/** Independently trained shallow NNs of one configuration as one graph (models/bag.ts); output `to_slices`. */
export function assembleShallowBag(cfg: ShallowNnConfig, members: readonly tf.LayersModel[]): tf.LayersModel {
  checkConfig(cfg);
  const inputs = shallowInputs(cfg);
  return assembleBag(members, inputs, (prefix) => shallowBody(inputs, cfg, new TorchInit(), prefix), { output: 'to_slices', model: 'shallow_nn_bag' });
}

/** The layers of one shallow NN on `inputs`, each layer name prefixed with `p`; its logits [B, 60, 6]. */
function shallowBody([features, cont, cat]: [Sym, Sym, Sym], cfg: ShallowNnConfig, init: TorchInit, p: string, seed?: number): Sym {
  const { featureSize, continuous } = cfg;
  const L = SHALLOW_ROWS;
  const embedded = new CategoricalEmbedding({
    cardinalities: cfg.catCardinality,
    dims: cfg.catEmbedDims,
    name: `${p}cat_embedding`,
    ...(seed === undefined ? {} : { seed: seed + 1000 }),
  }).apply(cat) as Sym;
  const joined = tf.layers.concatenate({ axis: -1, name: `${p}inputs_concat` }).apply([features, cont, embedded]) as Sym;
  const width = featureSize + continuous + channels(embedded);
  const seq = tf.layers.reshape({ targetShape: [L, 1, width], name: `${p}to_sequence` }).apply(joined) as Sym;

  const x = relu(batchNorm1d(convK(seq, init, 64, 1, `${p}stem_conv`), `${p}stem_bn`), `${p}stem_relu`); // 84 rows
  const x2 = resBlock(resBlock(x, 64, init, `${p}res1`), 32, init, `${p}res2`); // 76
  const in3 = tf.layers.concatenate({ axis: -1, name: `${p}cat3` }).apply([crop(x, 4, `${p}x_crop4`), x2]) as Sym;
  const x3 = resBlock(resBlock(in3, 64, init, `${p}res3`), 32, init, `${p}res4`); // 68
  const in5 = tf.layers.concatenate({ axis: -1, name: `${p}cat5` }).apply([crop(x, 8, `${p}x_crop8`), crop(x2, 4, `${p}x2_crop4`), x3]) as Sym;
  const x4 = resBlock(resBlock(in5, 64, init, `${p}res5`), 32, init, `${p}res6`); // 60
  const head = tf.layers.concatenate({ axis: -1, name: `${p}cat_out` }).apply([
    crop(x, 12, `${p}x_crop12`),
    crop(x2, 8, `${p}x2_crop8`),
    crop(x3, 4, `${p}x3_crop4`),
    x4,
  ]) as Sym; // [B, 60, 1, 160]
  const logits = convK(head, init, NUM_CLASSES, 1, `${p}logits`);
  return tf.layers.reshape({ targetShape: [FULLHEAD_SLICES, NUM_CLASSES], name: `${p}to_slices` }).apply(logits) as Sym;
}
