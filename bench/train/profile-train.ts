/**
 * Where a train step's time goes, per kernel (self time: a kernel's nested kernel calls are counted under
 * their own names only):
 *   npx tsx bench/train/profile-train.ts [bench-cnn|bench-seq] [batch] [steps] [--shapes] [--top N] [--threads N]
 * Wraps every kernel of the active backend with a timer; steps after one warm-up step are averaged.
 * --shapes: one row per kernel and input shapes (and attributes), to find the large calls.
 * --threads N: OpenBLAS threads of the native products (default every core; a data-parallel rank among several
 * runs on 1, so `--threads 1` at half the batch profiles one rank of the 2-core bench). ICH_NATIVE=0: wasm only.
 */
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { setNativeThreads } from '../../src-ml/nn/kernels/native-blas.ts';
import { buildBenchCNN } from '../../src-ml/nn/bench-cnn.ts';
import { buildBenchSeq } from '../../src-ml/nn/bench-seq.ts';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const opt = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const pos = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--top'));
const name = pos[0] ?? 'bench-cnn';
const cnn = name === 'bench-cnn';
const batch = Number(pos[1] ?? (cnn ? 16 : 32));
const steps = Number(pos[2] ?? 2);
const shapes = flag('--shapes');
const top = opt('--top', 20);
await initBackend({ purpose: 'train' });
if (args.includes('--threads')) setNativeThreads(opt('--threads', 1));
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
      const key = shapes
        ? `${k.kernelName} ${Object.values(a.inputs).filter((i) => i != null).map((i) => `[${(i as tf.TensorInfo).shape.join(',')}]`).join(' ')} ${JSON.stringify(a.attrs ?? {}).slice(0, 80)}`
        : k.kernelName;
      const e = self.get(key) ?? { ms: 0, calls: 0 };
      e.ms += total - nested;
      e.calls++;
      self.set(key, e);
      return r;
    },
  });
}
const t0 = performance.now();
for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
const wall = (performance.now() - t0) / steps;
const inKernels = [...self.values()].reduce((s, e) => s + e.ms, 0) / steps;
console.log(`${name} batch ${batch}: step ${wall.toFixed(0)} ms, in kernels ${inKernels.toFixed(0)} ms (self time per step; 1-min load average ${loadavg()[0]!.toFixed(2)})`);
for (const [k, e] of [...self].sort((p, q) => q[1].ms - p[1].ms).slice(0, top)) {
  console.log(`  ${(e.ms / steps).toFixed(1).padStart(8)} ms ${String(e.calls / steps).padStart(5)} calls  ${k}`);
}
