/**
 * Train-step and inference timing of the fixed benchmark models (docs/bench-models.md), shared by
 * `ich bench train` and bench/train (which adds the PyTorch reference). Medians over the timed steps
 * after WARMUP warm-up steps; inference at batch 32 in eval mode.
 * Train steps run through the data-parallel trainer the pipeline uses (data-parallel.ts), on
 * trainWorkerCount(cores) ranks: every core unless ICH_TRAIN_WORKERS says otherwise.
 * Inference is timed twice: tfjs's model.predict, and the trained model exported to ONNX Runtime (what
 * ich predict and the feature stage run), on the same batch.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { buildBenchCNN } from '../nn/bench-cnn.ts';
import { buildBenchSeq } from '../nn/bench-seq.ts';
import { createDataParallel, trainWorkerCount, type LossSpec } from '../nn/data-parallel.ts';
import { measureOnnxInference, type OnnxInferFigures } from '../onnx/runtime-bench.ts';

const BENCH_LOSS: LossSpec = { module: new URL('../nn/bench-loss.ts', import.meta.url).href, export: 'benchLoss' };

export const BENCH_WARMUP = 2;
export const BENCH_INFER_BATCH = 32;
export type BenchModelName = 'bench-cnn' | 'bench-seq';
export const BENCH_MODELS: readonly BenchModelName[] = ['bench-cnn', 'bench-seq'];

export interface BenchFigures {
  trainStepMedianMs: number;
  inferPerSec: number;
}

export interface BenchModelResult extends BenchFigures, OnnxInferFigures {
  params: number;
  /** Data-parallel ranks of the train steps (1: this thread alone). */
  workers: number;
  trainSteps: number;
  inferIters: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
}

async function measure(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, xInfer: tf.Tensor, steps: number, inferIters: number, progress: (line: string) => void, label: string, workers: number): Promise<BenchFigures> {
  const times: number[] = [];
  // The workers start here; the first (warm-up) step waits for them.
  const dp = await createDataParallel({ model, loss: BENCH_LOSS, optimizer: model.optimizer, workers, seedKey: label });
  try {
    for (let i = 0; i < BENCH_WARMUP + steps; i++) {
      const t0 = performance.now();
      const loss = await dp.step(x, y, i);
      const ms = performance.now() - t0;
      progress(`${label} train step ${i}${i < BENCH_WARMUP ? ' (warm-up)' : ''}: ${ms.toFixed(0)} ms, loss ${Number(loss).toFixed(4)} (${workers} worker${workers > 1 ? 's' : ''})`);
      if (i >= BENCH_WARMUP) times.push(ms);
    }
  } finally {
    dp.dispose();
  }
  const rates: number[] = [];
  for (let i = 0; i < BENCH_WARMUP + inferIters; i++) {
    const t0 = performance.now();
    const out = model.predict(xInfer) as tf.Tensor;
    await out.data();
    const s = (performance.now() - t0) / 1000;
    out.dispose();
    if (i >= BENCH_WARMUP) rates.push(BENCH_INFER_BATCH / s);
  }
  progress(`${label} inference: ${median(rates).toFixed(1)} /s`);
  return { trainStepMedianMs: median(times), inferPerSec: median(rates) };
}

/** Builds the model, times it on seeded random inputs, disposes everything it made. */
export async function benchModel(name: BenchModelName, opts: { steps: number; inferIters: number; progress?: (line: string) => void; workers?: number }): Promise<BenchModelResult> {
  const progress = opts.progress ?? (() => {});
  const cnn = name === 'bench-cnn';
  const model = cnn ? buildBenchCNN() : buildBenchSeq();
  const xShape = cnn ? [16, 128, 128, 3] : [32, 60, 256];
  const yShape = cnn ? [16, 1] : [32, 60, 6];
  const xiShape = cnn ? [BENCH_INFER_BATCH, 128, 128, 3] : [BENCH_INFER_BATCH, 60, 256];
  const seed = cnn ? 1 : 4;
  const workers = opts.workers ?? trainWorkerCount(availableParallelism());
  const x = tf.randomUniform(xShape, 0, 1, 'float32', seed);
  const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(yShape, 0, 1, 'float32', seed + 1), 0.5), 'float32'));
  const xi = tf.randomUniform(xiShape, 0, 1, 'float32', seed + 2);
  try {
    const label = cnn ? 'BenchCNN' : 'BenchSeq';
    const figures = await measure(model, x, y, xi, opts.steps, opts.inferIters, progress, label, workers);
    const onnx = await measureOnnxInference(model, xi, { warmup: BENCH_WARMUP, iters: opts.inferIters, label, progress });
    return { params: trainableParams(model), workers, trainSteps: opts.steps, inferIters: opts.inferIters, ...figures, ...onnx };
  } finally {
    model.optimizer?.dispose();
    model.dispose();
    tf.dispose([x, y, xi]);
  }
}
