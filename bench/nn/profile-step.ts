/**
 * Per-kernel time of one BenchCNN train step on the selected backend: `npx tsx bench/nn/profile-step.ts [batch]`.
 * Each kernel of the backend is wrapped with a timer (nested kernel calls are counted in both).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { buildBenchCNN } from '../../src-ml/nn/bench-cnn.ts';
await initBackend({ purpose: 'train' });
const model = buildBenchCNN();
const b = Number(process.argv[2] ?? 4);
const x = tf.randomUniform([b, 128, 128, 3]);
const y = tf.cast(tf.randomUniform([b, 1]).greater(0.5), 'float32');
await model.trainOnBatch(x, y);
const agg = new Map<string, number>();
// time each kernel synchronously by wrapping the backend's kernel functions
const orig = tf.getKernelsForBackend(tf.getBackend());
for (const k of orig) {
  const f = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, k.backendName);
  tf.registerKernel({ ...k, kernelFunc: (a) => { const t = performance.now(); const r = f(a); agg.set(k.kernelName, (agg.get(k.kernelName) ?? 0) + performance.now() - t); return r; } });
}
const t0 = performance.now();
await model.trainOnBatch(x, y);
console.log('total', (performance.now() - t0).toFixed(0));
console.log([...agg].sort((p, q) => q[1] - p[1]).slice(0, 15).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('\n'));
