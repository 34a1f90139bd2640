/**
 * Small functional-API helpers shared by the SE-net and DenseNet bodies: every layer is named by the
 * caller (the name's prefix is its parameter group, see paramGroupOf in base-cnn.ts).
 *
 * Batch norm uses PyTorch's defaults: epsilon 1e-5 and momentum 0.9 in Keras terms (torch 0.1).
 * Convolutions have no bias (each is followed by batch norm) and heNormal kernels, so the nets train
 * from scratch (there is no ImageNet download here).
 */
import * as tf from '@tensorflow/tfjs';

export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.9;

export type Sym = tf.SymbolicTensor;

export interface ConvOptions {
  filters: number;
  kernelSize: number;
  strides?: number;
  /**
   * 'same' | 'valid' as in TF, or a number p = symmetric zero padding as in PyTorch (a ZeroPadding2D
   * layer `${name}_pad` then a 'valid' conv; differs from 'same' for even inputs with stride 2).
   */
  padding?: 'same' | 'valid' | number;
  name: string;
}

export function conv(x: Sym, o: ConvOptions): Sym {
  let input = x;
  let padding: 'same' | 'valid' = 'valid';
  if (typeof o.padding === 'number') {
    if (o.padding > 0) input = tf.layers.zeroPadding2d({ padding: o.padding, name: `${o.name}_pad` }).apply(x) as Sym;
  } else if (o.padding) {
    padding = o.padding;
  }
  return tf.layers.conv2d({
    filters: o.filters,
    kernelSize: o.kernelSize,
    strides: o.strides ?? 1,
    padding,
    useBias: false,
    kernelInitializer: 'heNormal',
    name: o.name,
  }).apply(input) as Sym;
}

export function batchNorm(x: Sym, name: string): Sym {
  return tf.layers.batchNormalization({ axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name }).apply(x) as Sym;
}

export function relu(x: Sym, name: string): Sym {
  return tf.layers.reLU({ name }).apply(x) as Sym;
}

/** Number of channels of an NHWC symbolic tensor (must be known). */
export function channelsOf(x: Sym): number {
  const c = x.shape[x.shape.length - 1];
  if (c == null) throw new Error('expected a known channel dimension');
  return c;
}
