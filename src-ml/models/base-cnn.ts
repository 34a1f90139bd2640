/**
 * Base CNNs ("features generating networks", docs/seed-pipeline.md section 3) built from a BaseCnnArch preset:
 *
 *   input [B, S, S, 1] HU -> WSO (`wso`, learned windowing + instance norm, 3 channels)
 *     -> body (se-net.ts: layer0..layer4; densenet.ts: conv0 .. norm5 + ReLU)
 *     -> channel-group global max pool (`head_pool`) -> dropout (`head_dropout`) = features [B, F]
 *     -> dense(6) `classifier`, linear = logits [B, 6].
 *
 * The body's input is WSO's output: 3 sigmoid windows, instance-normalised (per image and channel mean 0,
 * variance 1; on the GE head CT air about -0.8, brain +1, bone +2.1 to +2.5), the scale of ImageNet-normalised
 * RGB ((x/255 - mean)/std, about -2.1 .. +2.6). An imported ImageNet body (train/base-init.ts) takes it as is,
 * with no ImageNet mean/std, as the seed's pretrained bodies did; window c feeds the body's input channel c.
 *
 * The features are the pooled vector after dropout (identity at inference), as in the seed's
 * return_features=True. trainModel and featureModel are two tf.LayersModels over the same layers, so
 * training one trains the other. Every layer name starts with its parameter group (paramGroupOf).
 */
import * as tf from '@tensorflow/tfjs';
import { channelGroupMaxPool } from '../nn/layers/channel-group-max-pool.ts';
import { windowing } from '../nn/layers/windowing.ts';
import type { BaseCnnArch } from './base-cnn-presets.ts';
import type { Sym } from './base-layers.ts';
import { denseNetBody, denseNetOutputChannels } from './densenet.ts';
import { seNetBody, seNetOutputChannels } from './se-net.ts';

export const NUM_CLASSES = 6;

export interface BaseCnn {
  /** input [B, S, S, 1] HU (float32) -> logits [B, 6]; used with trainOnBatch. */
  trainModel: tf.LayersModel;
  /** Same layers (shared weights), outputs [features [B, F], logits [B, 6]]. */
  featureModel: tf.LayersModel;
  featureSize: number;
}

export interface BuildBaseCnnOptions {
  /** Seed for every random initial weight (default: unseeded). The dropout mask stays random. */
  seed?: number;
}

/** Channels at the end of the body (2048 for the SE-nets, 2208 for D161, 1664 for D169). */
export function bodyOutputChannels(arch: BaseCnnArch): number {
  return arch.family === 'densenet' ? denseNetOutputChannels(arch) : seNetOutputChannels(arch);
}

/** Feature size F = body channels / poolGroup (256 for the SE-nets, 552 for D161, 208 for D169). */
export function featureSizeOf(arch: BaseCnnArch): number {
  const c = bodyOutputChannels(arch);
  if (!Number.isInteger(arch.poolGroup) || arch.poolGroup < 1 || c % arch.poolGroup !== 0) {
    throw new Error(`poolGroup ${arch.poolGroup} does not divide the ${c} body channels`);
  }
  return c / arch.poolGroup;
}

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Re-draws every random kernel with a seeded initializer (the tfjs defaults the layers use, seeded). */
function reseed(model: tf.LayersModel, seed: number): void {
  let next = seed;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    let init: Initializer | null = null;
    if (cls === 'Conv2D' || cls === 'ICHGroupedConv2D') init = tf.initializers.heNormal({ seed: next++ });
    else if (cls === 'Dense') init = tf.initializers.glorotUniform({ seed: next++ });
    if (!init) continue;
    const initializer = init;
    for (const w of layer.weights) {
      if (!w.originalName.endsWith('/kernel')) continue;
      tf.tidy(() => {
        w.write(initializer.apply(w.shape, 'float32'));
      });
    }
  }
}

export function buildBaseCnn(arch: BaseCnnArch, imageSize: number, options: BuildBaseCnnOptions = {}): BaseCnn {
  if (!Number.isInteger(imageSize) || imageSize < 32) throw new Error(`imageSize must be an integer >= 32, got ${imageSize}`);
  const featureSize = featureSizeOf(arch);
  const input = tf.input({ shape: [imageSize, imageSize, 1], name: 'hu' });
  const windowed = windowing({ windows: arch.windows, ...(arch.windowGain ? { gain: arch.windowGain } : {}), name: 'wso' }).apply(input) as Sym;
  const body = arch.family === 'densenet' ? denseNetBody(windowed, arch) : seNetBody(windowed, arch);
  const pooled = channelGroupMaxPool({ groupSize: arch.poolGroup, name: 'head_pool' }).apply(body) as Sym;
  // Not seeded: a seeded tfjs Dropout draws the same mask on every step.
  const features = tf.layers.dropout({ rate: arch.dropout, name: 'head_dropout' }).apply(pooled) as Sym;
  const logits = tf.layers.dense({ units: NUM_CLASSES, activation: 'linear', name: 'classifier' }).apply(features) as Sym;
  const trainModel = tf.model({ inputs: input, outputs: logits });
  const featureModel = tf.model({ inputs: input, outputs: [features, logits] });
  if (options.seed !== undefined) reseed(trainModel, options.seed);
  return { trainModel, featureModel, featureSize };
}

const SE_GROUP = /^(wso|classifier|layer[0-4])(?=_|$)/;
const DENSE_GROUP = /^(wso|classifier|conv0|denseblock\d+|transition\d+|norm5)(?=_|$)/;

/** The layer part of a weight name: 'layer3_b12_conv2/kernel_1' -> 'layer3_b12_conv2'. */
function layerNameOf(weightName: string): string {
  return weightName.split('/')[0] ?? weightName;
}

/**
 * Parameter group of a weight (LayerVariable.name or originalName), for discriminative LRs:
 * 'wso' | 'layer0' .. 'layer4' | 'classifier' for SE-nets;
 * 'wso' | 'conv0' | 'denseblock1'.. | 'transition1'.. | 'norm5' | 'classifier' for DenseNet.
 * (The seed gives the DenseNet transitions no group, so it never updates them; that choice is the trainer's.)
 * Throws for a name outside every group.
 */
export function paramGroupOf(arch: BaseCnnArch, weightName: string): string {
  const layer = layerNameOf(weightName);
  const m = (arch.family === 'densenet' ? DENSE_GROUP : SE_GROUP).exec(layer);
  if (!m?.[1]) throw new Error(`weight ${weightName} belongs to no ${arch.family} parameter group`);
  return m[1];
}

/**
 * Weights that get no weight decay: biases (dense, WSO), batch-norm beta and gamma (and the
 * non-trainable moving statistics). The seed's BERT-style list (`'bias' in name`) matches torch's
 * `bias` parameters, which include batch-norm beta; this also exempts gamma (torch `bn.weight`).
 */
export function isNoDecay(weightName: string): boolean {
  const last = (weightName.split('/').pop() ?? weightName).replace(/_\d+$/, '');
  return last === 'bias' || last === 'beta' || last === 'gamma' || last === 'moving_mean' || last === 'moving_variance';
}

/** Trainable parameter count (batch-norm moving statistics excluded, as in torch's parameters()). */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
}
