/**
 * Yuval's full-head model "Pooled-Res" (seed `ResModelPool`, docs/seed-pipeline.md section 4), stock tfjs layers only.
 *
 *   input [B, 60, K, F] float32: 60 slices (z order, zero rows past the series end), K TTA copies of each
 *   slice's base-CNN features (K is free: 3 in training, 4 for validation/test; one model serves all)
 *   conv_slices  conv2d kernel [9, 1], 'same', bias: a 9-slice conv over the F channels, weights shared
 *                across the K copies (the seed's Conv2d(1->64, (9, F), stride (1, F)))     [B, 60, K, 64]
 *   copy_max     max over the K copies (permute -> reshape -> globalMaxPooling1d -> reshape) [B, 60, 64]
 *   bn0                                                                                 = x0 [B, 60, 64]
 *   conv1 (k7) -> bn1 -> relu1                                                          = x1
 *   concat[x0, x1] -> conv2 (k5) -> bn2 -> relu2                                        = x2
 *   concat[x0, x1, x2] -> logits conv1d(192 -> 6, k3)                                   [B, 60, 6] logits
 *
 * Convolutions are 'same' (zero padding 4/3/2/1 as in the seed) with bias, so the receptive field is ±10
 * slices. Batch norm uses PyTorch's epsilon and momentum (base-layers.ts); zero rows past the series end
 * go through it like real rows, as in the seed. Kernels and biases start as PyTorch's defaults,
 * U(±1/sqrt(fan_in)). Output classes are in the project's label order (any last), as are the seed's.
 * Trainable parameters: 64·9·F + 64 + 128 + 28,736 + 128 + 41,024 + 128 + 3,462 (221,126 for F = 256).
 */
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON, BN_MOMENTUM, type Sym } from './base-layers.ts';
import { NUM_CLASSES } from './base-cnn.ts';
import { assembleBag } from './bag.ts';

/** Slices per full-head sample (rows of the input; longer series go through sliding-windows.ts). */
export const FULLHEAD_SLICES = 60;
/** Channels of the slice convolutions. */
export const POOLED_RES_WIDTH = 64;

export interface BuildFullHeadOptions {
  /** Seed for every initial weight (default: unseeded). */
  seed?: number;
}

/**
 * PyTorch's default conv initialisation, kaiming_uniform(a = sqrt(5)) for the kernel and
 * U(±1/sqrt(fan_in)) for the bias: both are U(±1/sqrt(fan_in)).
 */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

export class TorchInit {
  private next: number | undefined;
  constructor(seed?: number) {
    this.next = seed;
  }
  private seed(): { seed?: number } {
    if (this.next === undefined) return {};
    return { seed: this.next++ };
  }
  kernel(): Initializer {
    return tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', ...this.seed() });
  }
  bias(fanIn: number): Initializer {
    const b = 1 / Math.sqrt(fanIn);
    return tf.initializers.randomUniform({ minval: -b, maxval: b, ...this.seed() });
  }
}

export function conv1dTorch(x: Sym, init: TorchInit, o: { filters: number; kernelSize: number; padding: 'same' | 'valid'; name: string }): Sym {
  const inChannels = x.shape[x.shape.length - 1];
  if (inChannels == null) throw new Error(`${o.name}: unknown input channels`);
  return tf.layers.conv1d({
    filters: o.filters,
    kernelSize: o.kernelSize,
    padding: o.padding,
    useBias: true,
    kernelInitializer: init.kernel(),
    biasInitializer: init.bias(inChannels * o.kernelSize),
    name: o.name,
  }).apply(x) as Sym;
}

export function batchNorm1d(x: Sym, name: string): Sym {
  return tf.layers.batchNormalization({ axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name }).apply(x) as Sym;
}

export function buildPooledRes(featureSize: number, options: BuildFullHeadOptions = {}): tf.LayersModel {
  if (!Number.isInteger(featureSize) || featureSize < 1) throw new Error(`featureSize must be a positive integer, got ${featureSize}`);
  const input = tf.input({ shape: [FULLHEAD_SLICES, null, featureSize], name: 'features' });
  return tf.model({ inputs: input, outputs: pooledResBody(input, featureSize, new TorchInit(options.seed), ''), name: 'pooled_res' });
}

/** The layers of one Pooled-Res net on `input`, each layer name prefixed with `prefix`; its logits [B, 60, 6]. */
function pooledResBody(input: Sym, featureSize: number, init: TorchInit, prefix: string): Sym {
  const L = FULLHEAD_SLICES;
  const C = POOLED_RES_WIDTH;
  const perCopy = tf.layers.conv2d({
    filters: C,
    kernelSize: [9, 1],
    padding: 'same',
    useBias: true,
    kernelInitializer: init.kernel(),
    biasInitializer: init.bias(9 * featureSize),
    name: `${prefix}conv_slices`,
  }).apply(input) as Sym; // [B, 60, K, 64]
  // Max over the K copies with stock layers: [B, K, 60, 64] -> [B, K, 60*64] -> max over K -> [B, 60, 64].
  const copiesFirst = tf.layers.permute({ dims: [2, 1, 3], name: `${prefix}copy_max_permute` }).apply(perCopy) as Sym;
  const flat = tf.layers.reshape({ targetShape: [-1, L * C], name: `${prefix}copy_max_flatten` }).apply(copiesFirst) as Sym;
  const pooled = tf.layers.globalMaxPooling1d({ name: `${prefix}copy_max` }).apply(flat) as Sym;
  const slices = tf.layers.reshape({ targetShape: [L, C], name: `${prefix}copy_max_unflatten` }).apply(pooled) as Sym;

  const x0 = batchNorm1d(slices, `${prefix}bn0`);
  const relu = (x: Sym, name: string): Sym => tf.layers.reLU({ name: `${prefix}${name}` }).apply(x) as Sym;
  const x1 = relu(batchNorm1d(conv1dTorch(x0, init, { filters: C, kernelSize: 7, padding: 'same', name: `${prefix}conv1` }), `${prefix}bn1`), 'relu1');
  const cat01 = tf.layers.concatenate({ axis: -1, name: `${prefix}cat01` }).apply([x0, x1]) as Sym;
  const x2 = relu(batchNorm1d(conv1dTorch(cat01, init, { filters: C, kernelSize: 5, padding: 'same', name: `${prefix}conv2` }), `${prefix}bn2`), 'relu2');
  const cat012 = tf.layers.concatenate({ axis: -1, name: `${prefix}cat012` }).apply([x0, x1, x2]) as Sym;
  return conv1dTorch(cat012, init, { filters: NUM_CLASSES, kernelSize: 3, padding: 'same', name: `${prefix}logits` });
}

/** Independently trained Pooled-Res nets of one feature size as one graph (models/bag.ts); output `logits`. */
export function assemblePooledResBag(featureSize: number, members: readonly tf.LayersModel[]): tf.LayersModel {
  const input = tf.input({ shape: [FULLHEAD_SLICES, null, featureSize], name: 'features' });
  return assembleBag(members, [input], (prefix) => pooledResBody(input, featureSize, new TorchInit(), prefix), { output: 'logits', model: 'pooled_res_bag' });
}

/** Trainable parameters of buildPooledRes(featureSize), by hand (batch-norm moving statistics excluded). */
export function pooledResParamCount(featureSize: number): number {
  const C = POOLED_RES_WIDTH;
  const bn = 2 * C;
  return (C * 9 * featureSize + C) + bn + (C * C * 7 + C) + bn + (2 * C * C * 5 + C) + bn + (3 * C * NUM_CLASSES * 3 + NUM_CLASSES);
}
