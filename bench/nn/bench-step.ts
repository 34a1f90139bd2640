/**
 * Times BenchCNN train steps on the selected backend: `npx tsx bench/nn/bench-step.ts [steps] [batch]`.
 * Prints the median of the timed steps after 2 warm-up steps.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { buildBenchCNN } from '../../src-ml/nn/bench-cnn.ts';

const steps = Number(process.argv[2] ?? 5);
const batch = Number(process.argv[3] ?? 16);
await initBackend({ purpose: 'train' });
const model = buildBenchCNN();
const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
console.log(`params: ${trainable} trainable, ${model.countParams()} with batch-norm statistics`);
const x = tf.randomUniform([batch, 128, 128, 3]);
const y = tf.cast(tf.randomUniform([batch, 1]).greater(0.5), 'float32');
const times: number[] = [];
for (let i = 0; i < steps + 2; i++) {
  const t0 = performance.now();
  const loss = await model.trainOnBatch(x, y);
  const ms = performance.now() - t0;
  console.log(`step ${i}: ${ms.toFixed(0)} ms loss ${String(loss)}`);
  if (i >= 2) times.push(ms);
}
times.sort((a, b) => a - b);
console.log(`median train step: ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms over ${times.length} steps (batch ${batch})`);
