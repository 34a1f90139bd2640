/**
 * A data-parallel worker thread (started by data-parallel.ts through jobs/worker-entry.js): its own tfjs
 * and wasm instance and its own copy of the model. Each step it takes the main thread's weights, computes
 * the gradients of its slice of the batch (data-parallel-grads.ts) and sends them back concatenated.
 * Imported on the main thread it does nothing.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/errors.ts';
import { initBackend, type BackendName } from './backend.ts';
import { resolveLoss, seedDropout, sliceGradients, type LossFn } from './data-parallel-grads.ts';
import type { FromWorker, InitMsg, StepMsg, ToWorker } from './data-parallel-protocol.ts';
import './layers/register.ts';

interface State {
  model: tf.LayersModel;
  loss: LossFn;
  weightSizes: number[];
  trainableSize: number;
}

async function init(msg: InitMsg): Promise<State> {
  // ICH_NATIVE is the main thread's choice (data-parallel.ts sets it in this worker's env); OpenBLAS's thread
  // count is per process and already set there.
  await initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: msg.backend as BackendName, ICH_NATIVE: process.env['ICH_NATIVE'] }, log: () => undefined });
  const model = await tf.models.modelFromJSON({ modelTopology: msg.topology as tf.io.ModelJSON['modelTopology'] });
  const shapes = model.trainableWeights.map((w) => w.shape as number[]);
  if (JSON.stringify(shapes) !== JSON.stringify(msg.trainableShapes)) {
    throw new Error(`worker model's trainable weights ${JSON.stringify(shapes)} differ from the main thread's ${JSON.stringify(msg.trainableShapes)}`);
  }
  const size = (s: readonly (number | null)[]): number => s.reduce<number>((p, d) => p * (d ?? 1), 1);
  return { model, loss: await resolveLoss(msg.loss), weightSizes: model.weights.map((w) => size(w.shape)), trainableSize: shapes.reduce((n, s) => n + size(s), 0) };
}

async function step(st: State, msg: StepMsg): Promise<{ loss: number; grads: Float32Array }> {
  // Every weight, so frozen layers and batch-norm statistics follow the main thread's model too.
  let at = 0;
  st.model.weights.forEach((w, i) => {
    const n = st.weightSizes[i]!;
    const t = tf.tensor(msg.weights.subarray(at, at + n), w.shape as number[]);
    w.write(t);
    t.dispose();
    at += n;
  });
  const xs = msg.xs.map((a) => tf.tensor(a.data, a.shape));
  const y = tf.tensor(msg.y.data, msg.y.shape);
  const restore = seedDropout(st.model, msg.seedKey, msg.step, msg.rank);
  try {
    const { loss, grads } = await sliceGradients(st.model, st.loss, xs, y);
    const flat = new Float32Array(st.trainableSize);
    let off = 0;
    for (const g of grads) {
      flat.set(g.dataSync() as Float32Array, off);
      off += g.size;
    }
    tf.dispose(grads);
    return { loss, grads: flat };
  } finally {
    restore();
    tf.dispose([...xs, y]);
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  let state: Promise<State> | null = null;
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'init') {
      state = init(msg);
      state.then(() => send({ type: 'ready' }), (err: unknown) => send({ type: 'error', id: null, message: errorMessage(err) }));
      return;
    }
    if (!state) {
      send({ type: 'error', id: msg.id, message: 'step before init' });
      return;
    }
    state.then(async (st) => {
      const out = await step(st, msg);
      send({ type: 'grads', id: msg.id, loss: out.loss, grads: out.grads }, [out.grads.buffer as ArrayBuffer]);
    }).catch((err: unknown) => send({ type: 'error', id: msg.id, message: errorMessage(err) }));
  });
}
