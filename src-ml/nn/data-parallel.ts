/**
 * Data-parallel training over worker threads, as PyTorch's DataParallel: each step the batch is split
 * into one slice per rank; rank 0 is the calling thread, ranks 1.. are workers with their own tfjs and
 * wasm instance and their own copy of the model (data-parallel-worker.ts). Each rank computes its slice's
 * gradients from the same weights; the calling thread averages them (weighted by slice size, in rank
 * order, so a given seed and worker count always give the same numbers), applies its optimizer once and
 * sends the new weights with the next step. Batch-norm statistics are per slice; the moving averages kept
 * are rank 0's, like DataParallel's first device. Dropout masks are seeded per step and rank.
 *
 * Why: tfjs-backend-wasm runs one thread in Node, so one model uses one core; a slice of the batch on
 * each core is the cheapest way to use the others (a half batch costs about half the time).
 * With one rank the step runs in-process with no worker at all.
 * The native OpenBLAS products (kernels/native-blas.ts), when on, get one thread per process while several
 * ranks run (each rank already keeps a core busy), every core with one rank; workers follow the main thread's
 * choice of native or wasm products.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { concatFloat32 } from '../base/bytes.ts';
import { errorMessage } from '../base/errors.ts';
import { defaultNativeThreads, nativeBlas, setNativeThreads } from './kernels/native-blas.ts';
import { resolveLoss, seedDropout, sliceGradients, splitRows, type LossFn, type LossSpec } from './data-parallel-grads.ts';
import type { ArrayMsg, FromWorker, InitMsg, StepMsg } from './data-parallel-protocol.ts';

export type { LossSpec };

export interface DataParallelOptions {
  /** The model trained (its layers and weights; its own optimizer and compile state are not used). */
  model: tf.LayersModel;
  loss: LossSpec;
  optimizer: tf.Optimizer;
  /** Ranks including the calling thread (1: no workers). */
  workers: number;
  /** Key of the run's dropout seeds (with the step and the rank). */
  seedKey: string;
}

export interface DataParallelTrainer {
  readonly workers: number;
  /** One optimizer step on the batch (`step`: the run's step number, for the dropout seeds); returns the batch's mean loss. */
  step(xs: tf.Tensor | tf.Tensor[], y: tf.Tensor, step: number): Promise<number>;
  /** Terminates the workers (a step in flight is rejected). Safe to call twice. */
  dispose(): void;
  /** Settles once every worker thread has exited (after dispose, or after they died). */
  readonly exited: Promise<void>;
}

const ENTRY = new URL('../jobs/worker-entry.js', import.meta.url);
const WORKER_MODULE = new URL('./data-parallel-worker.ts', import.meta.url);

/**
 * Ranks for data-parallel training: ICH_TRAIN_WORKERS when set (a positive integer), else `preferred`
 * (a preset's setting, default 1); never more than the machine's cores, and 1 off the wasm backend
 * (a GPU backend runs one model on one device; the cpu backend is for tests only).
 */
export function trainWorkerCount(preferred = 1, backend: string = tf.getBackend(), env: Record<string, string | undefined> = process.env, cores = availableParallelism()): number {
  if (backend !== 'wasm') return 1;
  const raw = env['ICH_TRAIN_WORKERS']?.trim();
  let want = preferred;
  if (raw) {
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`ICH_TRAIN_WORKERS=${raw} is not a positive integer`);
    want = Number(raw);
  }
  return Math.max(1, Math.min(want, cores));
}

interface Pending {
  resolve(v: { loss: number; grads: Float32Array }): void;
  reject(e: Error): void;
}

/** One worker thread and its reply routing. */
class RankWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number | null, Pending>();
  private dead: Error | null = null;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;

  constructor(init: InitMsg) {
    // ICH_NATIVE carries the main thread's choice: a worker loads the addon only where this thread uses it.
    this.worker = new Worker(ENTRY, { workerData: { module: WORKER_MODULE.href }, env: { ...process.env, ICH_NATIVE: nativeBlas() ? '1' : '0' } });
    // A forgotten dispose must not keep the process alive.
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.pending.set(null, { resolve: () => resolve(), reject });
    });
    this.ready.catch(() => undefined); // reported through the first step
    this.worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'ready') return this.settle(null, (p) => p.resolve({ loss: 0, grads: new Float32Array(0) }));
      if (msg.type === 'grads') return this.settle(msg.id, (p) => p.resolve(msg));
      this.settle(msg.id, (p) => p.reject(new Error(`data-parallel worker: ${msg.message}`)));
    });
    this.worker.on('error', (err) => this.fail(new Error(`data-parallel worker crashed: ${errorMessage(err)}`)));
    this.exited = new Promise<void>((resolve) => {
      this.worker.on('exit', (code) => {
        this.fail(new Error(`data-parallel worker exited (code ${code})`));
        resolve();
      });
    });
    this.worker.postMessage(init);
  }

  private settle(id: number | null, f: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    f(p);
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }

  run(msg: StepMsg, transfer: ArrayBuffer[]): Promise<{ loss: number; grads: Float32Array }> {
    if (this.dead) return Promise.reject(this.dead);
    const done = new Promise<{ loss: number; grads: Float32Array }>((resolve, reject) => this.pending.set(msg.id, { resolve, reject }));
    this.worker.postMessage(msg, transfer);
    return done;
  }

  terminate(): void {
    this.fail(new Error('data-parallel workers closed'));
    void this.worker.terminate();
  }
}

function sizeOf(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((p, d) => p * (d ?? 1), 1);
}

/** Every weight of `model`, concatenated in model.weights order. */
function flatWeights(model: tf.LayersModel): Float32Array {
  // A copy even for a one-weight model: the result is sent to the workers and must not alias the tensor's data.
  const values = model.weights.map((w) => w.read().dataSync() as Float32Array);
  return values.length === 1 ? values[0]!.slice() : concatFloat32(values);
}

function rowsOf(data: Float32Array, shape: number[], start: number, end: number): ArrayMsg {
  const row = sizeOf(shape.slice(1));
  return { data: data.slice(start * row, end * row), shape: [end - start, ...shape.slice(1)] };
}

/**
 * A trainer for `options.model`; with workers > 1 the workers start now and the first step waits for
 * them. The caller disposes it (it terminates the workers).
 */
export async function createDataParallel(options: DataParallelOptions): Promise<DataParallelTrainer> {
  const { model, optimizer, seedKey } = options;
  const ranks = Math.max(1, Math.floor(options.workers));
  const loss: LossFn = await resolveLoss(options.loss);
  const trainable = model.trainableWeights;
  const init: InitMsg = {
    type: 'init',
    backend: tf.getBackend(),
    topology: model.toJSON(null, false) as object,
    loss: options.loss,
    trainableShapes: trainable.map((w) => w.shape as number[]),
  };
  setNativeThreads(ranks > 1 ? 1 : defaultNativeThreads());
  const workers = Array.from({ length: ranks - 1 }, () => new RankWorker(init));
  let nextId = 0;
  let disposed = false;

  /** Rank 0's share, on this thread: gradients as tensors (the caller disposes them). */
  const local = async (xs: tf.Tensor[], y: tf.Tensor, step: number): Promise<{ loss: number; grads: tf.Tensor[] }> => {
    const restore = seedDropout(model, seedKey, step, 0);
    try {
      return await sliceGradients(model, loss, xs, y);
    } finally {
      restore();
    }
  };

  const apply = (grads: tf.Tensor[]): void => {
    const named: tf.NamedTensorMap = {};
    trainable.forEach((w, i) => {
      named[(w.read() as tf.Variable).name] = grads[i]!;
    });
    optimizer.applyGradients(named);
  };

  return {
    workers: ranks,
    async step(xsIn, y, step) {
      if (disposed) throw new Error('data-parallel trainer is disposed');
      const xs = Array.isArray(xsIn) ? xsIn : [xsIn];
      const n = y.shape[0]!;
      const rows = splitRows(n, ranks).filter(([a, b]) => b > a);
      if (rows.length === 1) {
        const own = await local(xs, y, step);
        apply(own.grads);
        tf.dispose(own.grads);
        return own.loss;
      }
      await Promise.all(workers.map((w) => w.ready));
      // The workers' slices go out first, so they compute while this thread does rank 0's.
      const weights = flatWeights(model);
      const xData = xs.map((x) => x.dataSync() as Float32Array);
      const yData = y.dataSync() as Float32Array;
      const replies = rows.slice(1).map(([a, b], i) => {
        const msg: StepMsg = {
          type: 'step', id: nextId++, weights: i === rows.length - 2 ? weights : weights.slice(),
          xs: xs.map((x, k) => rowsOf(xData[k]!, x.shape, a, b)), y: rowsOf(yData, y.shape, a, b), seedKey, step, rank: i + 1,
        };
        const transfer = [msg.weights.buffer, ...msg.xs.map((m) => m.data.buffer), msg.y.data.buffer] as ArrayBuffer[];
        return workers[i]!.run(msg, transfer);
      });
      const [a0, b0] = rows[0]!;
      const x0 = xs.map((x) => x.slice(a0, b0 - a0));
      const y0 = y.slice(a0, b0 - a0);
      let own: { loss: number; grads: tf.Tensor[] };
      try {
        own = await local(x0, y0, step);
      } finally {
        tf.dispose([...x0, y0]);
      }
      let others: { loss: number; grads: Float32Array }[];
      try {
        others = await Promise.all(replies);
      } catch (err) {
        tf.dispose(own.grads);
        throw err;
      }
      // Weighted mean in rank order, accumulated in float64: the same sum whatever order replies came in.
      const weightOf = rows.map(([a, b]) => (b - a) / n);
      let lossMean = own.loss * weightOf[0]!;
      others.forEach((o, i) => {
        lossMean += o.loss * weightOf[i + 1]!;
      });
      const averaged: tf.Tensor[] = [];
      let off = 0;
      for (const g of own.grads) {
        const g0 = g.dataSync() as Float32Array;
        const out = new Float32Array(g0.length);
        const w0 = weightOf[0]!;
        if (others.length === 1) {
          // Two ranks, the common case: one tight loop (the general one below is several times slower in V8).
          const g1 = others[0]!.grads;
          const w1 = weightOf[1]!;
          for (let j = 0; j < g0.length; j++) out[j] = g0[j]! * w0 + g1[off + j]! * w1; // float64 sum, one rounding
        } else {
          for (let j = 0; j < g0.length; j++) {
            let acc = g0[j]! * w0; // a JS number: the sum runs in float64
            for (let r = 0; r < others.length; r++) acc += others[r]!.grads[off + j]! * weightOf[r + 1]!;
            out[j] = acc;
          }
        }
        averaged.push(tf.tensor(out, g.shape));
        off += g0.length;
      }
      tf.dispose(own.grads);
      try {
        apply(averaged);
      } finally {
        tf.dispose(averaged);
      }
      return lossMean;
    },
    exited: Promise.all(workers.map((w) => w.exited)).then(() => undefined),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const w of workers) w.terminate();
      if (ranks > 1) setNativeThreads(defaultNativeThreads());
    },
  };
}
