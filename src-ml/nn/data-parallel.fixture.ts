/** Losses for data-parallel.test.ts: one that fails only inside a worker thread (error propagation). */
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { weightedBce } from './losses.ts';

export function failsInWorker(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  if (!isMainThread) throw new Error('loss failed in the worker');
  return weightedBce(yTrue, logits);
}
