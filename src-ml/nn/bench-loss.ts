/** The benchmark models' loss (what compile's 'binaryCrossentropy' names), in a module a worker can load by URL. */
import * as tf from '@tensorflow/tfjs';

export function benchLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.metrics.binaryCrossentropy(yTrue, yPred);
}
