/**
 * BenchCNN of docs/bench-models.md, built with tf.layers (809,889 parameters at 3x128x128 input).
 * ConvBN = 3x3 conv ("same", no bias) + batch norm (epsilon 1e-3, momentum 0.99).
 */
import * as tf from '@tensorflow/tfjs';

function convBN(x: tf.SymbolicTensor, filters: number, strides: number): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  return tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.99 }).apply(conv) as tf.SymbolicTensor;
}

function relu(x: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.reLU().apply(x) as tf.SymbolicTensor;
}

function res(x: tf.SymbolicTensor, c: number): tf.SymbolicTensor {
  const y = convBN(relu(convBN(x, c, 1)), c, 1);
  return relu(tf.layers.add().apply([x, y]) as tf.SymbolicTensor);
}

export function buildBenchCNN(inputSize = 128, inChannels = 3): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, inChannels] });
  let x = relu(convBN(input, 32, 2));
  x = res(x, 32);
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = relu(convBN(x, 64, 1));
  x = res(x, 64);
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = relu(convBN(x, 128, 1));
  x = res(x, 128);
  x = tf.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = relu(convBN(x, 256, 1));
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 128, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.3 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  return model;
}
