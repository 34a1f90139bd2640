/**
 * Losses of the two full-head sequence models (docs/seed-pipeline.md sections 4 and 5), on logits [B, 60, 6] in the
 * project's label order (epidural, intraparenchymal, intraventricular, subarachnoid, subdural, any).
 *
 * Both take the mask from the targets: an entry with target < 0 (the layouts write -1 on padded rows)
 * is padding. Both return one value per sample [B]; tfjs averages them over the batch, and that batch
 * mean is exactly the seed's scalar (see each function).
 */
import * as tf from '@tensorflow/tfjs';
import { bceWithLogits, CLASS_WEIGHTS } from '../nn/losses.ts';

/** The shallow NN's class weights, (6/7)·[1,1,1,1,1,2] in our order (the seed's (6/7)·[2,1,1,1,1,1] is any-first). */
export const SHALLOW_CLASS_WEIGHTS: readonly number[] = CLASS_WEIGHTS.map((w) => (w * 6) / 7);

function checkShapes(yTrue: tf.Tensor, logits: tf.Tensor, name: string): void {
  if (yTrue.rank !== 3 || logits.rank !== 3 || !tf.util.arraysEqual(yTrue.shape, logits.shape) || logits.shape[2] !== CLASS_WEIGHTS.length) {
    throw new Error(`${name}: expected targets and logits [B, L, 6] of one shape, got [${yTrue.shape.join(', ')}] and [${logits.shape.join(', ')}]`);
  }
}

/** valid = (t >= 0) as float, and the target with padding set to 0 (so the BCE term stays finite and clean). */
function maskAndTarget(yTrue: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const valid = tf.cast(tf.greaterEqual(yTrue, 0), 'float32');
  return [valid, tf.mul(yTrue, valid)];
}

/**
 * Pooled-Res loss (seed `mean(bce·valid·w) / mean(valid)`, w = [1,1,1,1,1,2], valid = target >= 0): the
 * mean over valid entries of the weighted BCE. Returns per sample b:
 *   s_b = mean_{60x6}(bce·valid·w)_b / mean_{B x 60 x 6}(valid)
 * i.e. each sample's numerator over the batch's valid fraction, so mean_b(s_b) is the seed's scalar
 * exactly (numerator and denominator are both means over the whole batch). A batch with no valid entry
 * gives 0.
 */
export function maskedWeightedBce(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  checkShapes(yTrue, logits, 'maskedWeightedBce');
  return tf.tidy(() => {
    const [valid, t] = maskAndTarget(yTrue);
    const w = tf.tensor1d(CLASS_WEIGHTS as number[]);
    const num = tf.mean(tf.mul(tf.mul(bceWithLogits(t, logits), valid), w), [1, 2]);
    const den = tf.maximum(tf.mean(valid), tf.scalar(1e-12));
    return tf.div(num, den);
  });
}

/**
 * Shallow-NN loss (seed: `(log(1 + e^x) - t·x)·cw·mask`, mean over all B·60·6 entries, padding in the
 * denominator), cw = SHALLOW_CLASS_WEIGHTS. The mask is encoded in the targets: entries with t < 0
 * contribute 0 but still count in the mean. Per sample: the mean over its 60x6 entries, so the batch
 * mean is the seed's scalar. softplus(x) - t·x is evaluated in the stable form of bceWithLogits.
 */
export function shallowNnLoss(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  checkShapes(yTrue, logits, 'shallowNnLoss');
  return tf.tidy(() => {
    const [valid, t] = maskAndTarget(yTrue);
    const cw = tf.tensor1d(SHALLOW_CLASS_WEIGHTS as number[]);
    return tf.mean(tf.mul(tf.mul(bceWithLogits(t, logits), valid), cw), [1, 2]);
  });
}
