/**
 * BenchSeq of docs/bench-models.md, built with tf.layers (394,886 parameters):
 * Conv1d(256 -> 128, k3, same, bias) -> ReLU, then 3 residual blocks
 * [y = Conv1d(128 -> 128, k3) -> ReLU -> Conv1d(128 -> 128, k3); x = ReLU(x + y)],
 * Dropout 0.2, Dense(128 -> 6) per slice, sigmoid. Input [batch, 60, 256], output [batch, 60, 6].
 */
import * as tf from '@tensorflow/tfjs';

function conv(x: tf.SymbolicTensor, filters: number): tf.SymbolicTensor {
  return tf.layers.conv1d({ filters, kernelSize: 3, padding: 'same', useBias: true }).apply(x) as tf.SymbolicTensor;
}

function relu(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.reLU().apply(x) as tf.SymbolicTensor;
}

export function buildBenchSeq(slices = 60, features = 256, classes = 6): tf.LayersModel {
  const input = tf.input({ shape: [slices, features] });
  let x = relu(conv(input, 128));
  for (let i = 0; i < 3; i++) {
    const y = conv(relu(conv(x, 128)), 128);
    x = relu(tf.layers.add().apply([x, y]) as tf.SymbolicTensor);
  }
  x = tf.layers.dropout({ rate: 0.2 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: classes, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  return model;
}
