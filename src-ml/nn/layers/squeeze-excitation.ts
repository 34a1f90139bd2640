/**
 * Squeeze-and-excitation block as in SENet (pretrainedmodels SEModule), built on the functional API
 * from standard tf.layers (no custom layer, so it serialises with the stock classes):
 *   global average pool -> dense C/r + ReLU -> dense C + sigmoid -> reshape [1, 1, C] -> x * scale.
 * The seed's fc1/fc2 are 1x1 convs with bias on the pooled vector, i.e. dense layers:
 * torch fc1.weight [C/r, C, 1, 1] maps to `${name}_fc1` kernel [C, C/r] (transpose), likewise fc2.
 */
import * as tf from '@tensorflow/tfjs';

export interface SqueezeExcitationOptions {
  /** Reduction ratio r (default 16). */
  reduction?: number;
  /** Prefix for the sub-layer names: `${name}_pool`, `_fc1`, `_fc2`, `_reshape`, `_scale` (default unique). */
  name?: string;
}

let seCounter = 0;

/** The layer names used for a given prefix (for weight porting and LR groups). */
export function squeezeExcitationLayerNames(name: string): { pool: string; fc1: string; fc2: string; reshape: string; scale: string } {
  return { pool: `${name}_pool`, fc1: `${name}_fc1`, fc2: `${name}_fc2`, reshape: `${name}_reshape`, scale: `${name}_scale` };
}

/** Applies an SE block to a symbolic NHWC tensor and returns the rescaled tensor (same shape). */
export function squeezeExcitation(x: tf.SymbolicTensor, options: SqueezeExcitationOptions = {}): tf.SymbolicTensor {
  const reduction = options.reduction ?? 16;
  const channels = x.shape[x.shape.length - 1];
  if (x.shape.length !== 4 || channels == null) {
    throw new Error(`squeezeExcitation: expected an NHWC input with known channels, got [${x.shape.join(', ')}]`);
  }
  if (!Number.isInteger(reduction) || reduction < 1 || channels % reduction !== 0) {
    throw new Error(`squeezeExcitation: ${channels} channels are not divisible by reduction ${reduction}`);
  }
  const names = squeezeExcitationLayerNames(options.name ?? `se_${++seCounter}`);
  const pooled = tf.layers.globalAveragePooling2d({ name: names.pool }).apply(x) as tf.SymbolicTensor;
  const fc1 = tf.layers.dense({ units: channels / reduction, activation: 'relu', name: names.fc1 }).apply(pooled) as tf.SymbolicTensor;
  const fc2 = tf.layers.dense({ units: channels, activation: 'sigmoid', name: names.fc2 }).apply(fc1) as tf.SymbolicTensor;
  const scale = tf.layers.reshape({ targetShape: [1, 1, channels], name: names.reshape }).apply(fc2) as tf.SymbolicTensor;
  return tf.layers.multiply({ name: names.scale }).apply([x, scale]) as tf.SymbolicTensor;
}
