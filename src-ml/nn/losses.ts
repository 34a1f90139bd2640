/**
 * The base-CNN losses of the seed (docs/seed-pipeline.md section 3), on logits:
 *   weighted BCE: mean over B x 6 of w_k * BCEWithLogits, w = [1,1,1,1,1,2] (`any` x2);
 *   focal (alpha 1, gamma 2): per element wBCE, pt = exp(-wBCE), mean((1 - pt)^2 * wBCE).
 * They return one value per sample (mean over the classes), which tfjs then averages over the batch:
 * the same number as the mean over B x 6, and it leaves room for sample weights.
 */
import * as tf from '@tensorflow/tfjs';

/** Class weights in the project's label order (epidural, intraparenchymal, intraventricular, subarachnoid, subdural, any). */
export const CLASS_WEIGHTS: readonly number[] = [1, 1, 1, 1, 1, 2];

export type LossName = 'bce' | 'focal';

/** Numerically stable BCE with logits per element: max(x, 0) - x*y + log(1 + exp(-|x|)). */
export function bceWithLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

function weighted(labels: tf.Tensor, logits: tf.Tensor, weights: readonly number[]): tf.Tensor {
  const c = logits.shape[logits.shape.length - 1];
  if (c !== weights.length) throw new Error(`loss: ${c} logits per sample but ${weights.length} class weights`);
  return tf.mul(bceWithLogits(labels, logits), tf.tensor1d(weights as number[]));
}

/** Weighted BCE per sample [B] (mean over classes). */
export function weightedBce(labels: tf.Tensor, logits: tf.Tensor, weights: readonly number[] = CLASS_WEIGHTS): tf.Tensor {
  return tf.tidy(() => tf.mean(weighted(labels, logits, weights), -1));
}

/** The seed's focal variant of the weighted BCE, per sample [B]. */
export function focalWeightedBce(labels: tf.Tensor, logits: tf.Tensor, weights: readonly number[] = CLASS_WEIGHTS, gamma = 2): tf.Tensor {
  return tf.tidy(() => {
    const w = weighted(labels, logits, weights);
    const pt = tf.exp(tf.neg(w));
    return tf.mean(tf.mul(tf.pow(tf.sub(tf.scalar(1), pt), tf.scalar(gamma)), w), -1);
  });
}

export function lossFunction(name: LossName): (labels: tf.Tensor, logits: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'bce':
      return (y, x) => weightedBce(y, x);
    case 'focal':
      return (y, x) => focalWeightedBce(y, x);
  }
}
