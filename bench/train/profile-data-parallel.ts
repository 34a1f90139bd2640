/**
 * Where a data-parallel train step's time goes, for BenchCNN and BenchSeq at the bench's batch sizes:
 *   npx tsx bench/train/profile-data-parallel.ts [--steps N]
 * Prints, per model: one rank's share alone (half the batch, forward + backward on this thread, OpenBLAS on one
 * thread as in a 2-rank run), the optimizer update of the whole model, and the 2-rank step the bench times
 * (medians after 2 warm-up steps). The 2-rank step minus the larger of the two is the trainer's own overhead
 * (weights out, gradients back, averaging) plus any wait for a core. The process's CPU time per 2-rank step
 * (all threads) is printed too: other processes do not inflate it the way they inflate wall time, so on a busy
 * machine half of it is the better guess at an idle 2-core step.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-ml/nn/backend.ts';
import { buildBenchCNN } from '../../src-ml/nn/bench-cnn.ts';
import { buildBenchSeq } from '../../src-ml/nn/bench-seq.ts';
import { benchLoss } from '../../src-ml/nn/bench-loss.ts';
import { createDataParallel } from '../../src-ml/nn/data-parallel.ts';
import { sliceGradients } from '../../src-ml/nn/data-parallel-grads.ts';
import { setNativeThreads } from '../../src-ml/nn/kernels/native-blas.ts';

const WARMUP = 2;
const at = process.argv.indexOf('--steps');
const steps = at >= 0 ? Number(process.argv[at + 1]) : 5;
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const timed = async (f: () => Promise<void>): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

await initBackend({ purpose: 'train' });
for (const cnn of [true, false]) {
  const model = cnn ? buildBenchCNN() : buildBenchSeq();
  const batch = cnn ? 16 : 32;
  const x = tf.randomUniform(cnn ? [batch, 128, 128, 3] : [batch, 60, 256], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(cnn ? [batch, 1] : [batch, 60, 6], 0, 1, 'float32', 2), 0.5), 'float32'));
  const xHalf = x.slice(0, batch / 2);
  const yHalf = y.slice(0, batch / 2);
  setNativeThreads(1);
  const rank: number[] = [];
  const update: number[] = [];
  for (let i = 0; i < WARMUP + steps; i++) {
    let grads: tf.Tensor[] = [];
    rank.push(await timed(async () => {
      grads = (await sliceGradients(model, benchLoss, [xHalf], yHalf)).grads;
    }));
    update.push(await timed(async () => {
      const named: tf.NamedTensorMap = {};
      model.trainableWeights.forEach((w, k) => {
        named[(w.read() as tf.Variable).name] = grads[k]!;
      });
      model.optimizer.applyGradients(named);
      model.trainableWeights.at(-1)!.read().dataSync(); // wait for the update
    }));
    tf.dispose(grads);
  }
  const dp = await createDataParallel({ model, loss: { module: new URL('../../src-ml/nn/bench-loss.ts', import.meta.url).href, export: 'benchLoss' }, optimizer: model.optimizer, workers: 2, seedKey: 'profile' });
  const step: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < WARMUP + steps; i++) {
    const c0 = process.cpuUsage();
    step.push(await timed(async () => void (await dp.step(x, y, i))));
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  dp.dispose();
  const figures = (a: number[]): string => `${median(a.slice(WARMUP)).toFixed(0)} ms`;
  console.log(`${cnn ? 'BenchCNN' : 'BenchSeq'} batch ${batch}: one rank's half ${figures(rank)}, optimizer update ${figures(update)}, 2-rank step ${figures(step)}, CPU time ${figures(cpu)} (steps ${step.slice(WARMUP).map((v) => v.toFixed(0)).join(' ')}; 1-min load average ${loadavg()[0]!.toFixed(2)})`);
  tf.dispose([x, y, xHalf, yHalf]);
  model.optimizer.dispose();
  model.dispose();
}
process.exit(0); // the trainer's workers are unref'd, but tfjs keeps timers
