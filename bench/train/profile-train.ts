/**
 * Where a train step's time goes, per kernel (self time: a kernel's nested kernel calls are counted under
 * their own names only): `npx tsx bench/train/profile-train.ts [bench-cnn|bench-seq] [batch] [steps]`.
 * Wraps every kernel of the active backend with a timer; steps after one warm-up step are summed.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { buildBenchCNN } from '../../src-ml/nn/bench-cnn.ts';
import { buildBenchSeq } from '../../src-ml/nn/bench-seq.ts';

const name = process.argv[2] ?? 'bench-cnn';
const cnn = name === 'bench-cnn';
const batch = Number(process.argv[3] ?? (cnn ? 16 : 32));
const steps = Number(process.argv[4] ?? 2);
await initBackend({ purpose: 'train' });
const model = cnn ? buildBenchCNN() : buildBenchSeq();
const x = tf.randomUniform(cnn ? [batch, 128, 128, 3] : [batch, 60, 256]);
const y = tf.tidy(() => tf.cast(tf.randomUniform(cnn ? [batch, 1] : [batch, 60, 6]).greater(0.5), 'float32'));
await model.trainOnBatch(x, y);

const self = new Map<string, { ms: number; calls: number }>();
const stack: number[] = []; // time spent in nested kernels, per open frame
for (const k of tf.getKernelsForBackend(tf.getBackend())) {
  const f = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, k.backendName);
  tf.registerKernel({
    ...k,
    kernelFunc: (a) => {
      stack.push(0);
      const t = performance.now();
      const r = f(a);
      const total = performance.now() - t;
      const nested = stack.pop()!;
      if (stack.length) stack[stack.length - 1]! += total;
      const e = self.get(k.kernelName) ?? { ms: 0, calls: 0 };
      e.ms += total - nested;
      e.calls++;
      self.set(k.kernelName, e);
      return r;
    },
  });
}
const t0 = performance.now();
for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
const wall = (performance.now() - t0) / steps;
const inKernels = [...self.values()].reduce((s, e) => s + e.ms, 0) / steps;
console.log(`${name} batch ${batch}: step ${wall.toFixed(0)} ms, in kernels ${inKernels.toFixed(0)} ms (self time per step)`);
for (const [k, e] of [...self].sort((p, q) => q[1].ms - p[1].ms).slice(0, 20)) {
  console.log(`  ${k.padEnd(24)} ${(e.ms / steps).toFixed(1).padStart(8)} ms  ${String(e.calls / steps).padStart(5)} calls`);
}
