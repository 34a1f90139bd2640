/**
 * DenseNet body (torchvision densenet.py `features`, then the seed's ReLU after norm5), channels-last.
 * Layer names (prefix = parameter group):
 *
 *   conv0:        `conv0_conv` 7x7/2 (torch padding 3: `conv0_conv_pad` + valid conv), `conv0_norm`,
 *                 `conv0_relu`, `conv0_pool_pad` + `conv0_pool` 3x3/2 max pool (torch padding 1; zero
 *                 padding equals torch's -inf padding here because the input is a ReLU output).
 *   denseblock b: layer l (1-based like torch `denselayer5`): `denseblock{b}_l{l}_norm1/relu1/conv1`
 *                 (1x1 to bnSize * growthRate), `_norm2/relu2/conv2` (3x3 'same' to growthRate),
 *                 `denseblock{b}_l{l}_concat` ([input, new features], torch's cat order).
 *   transition t: `transition{t}_norm/relu/conv` (1x1 to floor(C * compression)), `transition{t}_pool` 2x2/2 avg.
 *   norm5:        `norm5` batch norm, `norm5_relu`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BaseCnnArch } from './base-cnn-presets.ts';
import { batchNorm, channelsOf, conv, relu, type Sym } from './base-layers.ts';

interface DenseParams {
  growth: number;
  bnSize: number;
  compression: number;
}

function params(arch: BaseCnnArch): DenseParams {
  const growth = arch.growthRate ?? 32;
  const bnSize = arch.bnSize ?? 4;
  const compression = arch.compression ?? 0.5;
  if (arch.blocks.length === 0 || arch.blocks.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new Error(`DenseNet blocks must be positive integers: [${arch.blocks.join(', ')}]`);
  }
  if (!(compression > 0 && compression <= 1)) throw new Error(`DenseNet compression must be in (0, 1], got ${compression}`);
  return { growth, bnSize, compression };
}

/** Output channels of the DenseNet body (2208 for densenet161, 1664 for densenet169). */
export function denseNetOutputChannels(arch: BaseCnnArch): number {
  const { growth, compression } = params(arch);
  let c = arch.stemChannels;
  arch.blocks.forEach((n, i) => {
    c += n * growth;
    if (i < arch.blocks.length - 1) c = Math.floor(c * compression);
  });
  return c;
}

function denseLayer(x: Sym, p: DenseParams, name: string): Sym {
  let y = relu(batchNorm(x, `${name}_norm1`), `${name}_relu1`);
  y = conv(y, { filters: p.bnSize * p.growth, kernelSize: 1, name: `${name}_conv1` });
  y = relu(batchNorm(y, `${name}_norm2`), `${name}_relu2`);
  y = conv(y, { filters: p.growth, kernelSize: 3, padding: 'same', name: `${name}_conv2` });
  return tf.layers.concatenate({ axis: -1, name: `${name}_concat` }).apply([x, y]) as Sym;
}

function transition(x: Sym, p: DenseParams, name: string): Sym {
  let y = relu(batchNorm(x, `${name}_norm`), `${name}_relu`);
  y = conv(y, { filters: Math.floor(channelsOf(x) * p.compression), kernelSize: 1, name: `${name}_conv` });
  return tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `${name}_pool` }).apply(y) as Sym;
}

/** conv0 .. norm5 + ReLU on a 3-channel NHWC tensor; returns denseNetOutputChannels(arch) channels. */
export function denseNetBody(x: Sym, arch: BaseCnnArch): Sym {
  const p = params(arch);
  let y = conv(x, { filters: arch.stemChannels, kernelSize: 7, strides: arch.stemStride ?? 2, padding: 3, name: 'conv0_conv' });
  y = relu(batchNorm(y, 'conv0_norm'), 'conv0_relu');
  y = tf.layers.zeroPadding2d({ padding: 1, name: 'conv0_pool_pad' }).apply(y) as Sym;
  y = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'conv0_pool' }).apply(y) as Sym;
  arch.blocks.forEach((n, b) => {
    for (let l = 1; l <= n; l++) y = denseLayer(y, p, `denseblock${b + 1}_l${l}`);
    if (b < arch.blocks.length - 1) y = transition(y, p, `transition${b + 1}`);
  });
  return relu(batchNorm(y, 'norm5'), 'norm5_relu');
}
