/**
 * The benchmark models' inference on ONNX Runtime (`ich bench train`, `npm run bench:train`): the trained tfjs
 * model exported, run as ich predict runs it (openOrtModel: ICH_ORT_SESSIONS / ICH_ORT_THREADS), the same batch as the tfjs figure,
 * median items per second after the warm-up runs, and the largest difference from the tfjs outputs.
 */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/errors.ts';
import { exportToOnnx, type OnnxFamily } from './export.ts';
import { openOrtModel, type OrtRunner } from './runtime.ts';

export interface OnnxInferFigures {
  /** Items per second on ONNX Runtime, or null where it could not run (onnxError says why). */
  onnxInferPerSec: number | null;
  /** Intra-op threads per session, and sessions the batch is cut across. */
  onnxThreads: number | null;
  onnxSessions: number | null;
  /** Largest |ORT - tfjs| over the batch's outputs. */
  onnxMaxAbsDiff: number | null;
  onnxError?: string;
}

/**
 * Replays a one-input functional model on a rank-4 input [B, L, 1, F] reshaped to its [B, L, F]: the exporter
 * knows the project's families by their inputs, and a sequence model fits Pooled-Res's (one rank-4 input).
 * The layers are shared, so the weights are the trained ones; dispose the result once exported.
 */
export function asRank4(model: tf.LayersModel): tf.LayersModel {
  const [length, features] = model.inputs[0]!.shape.slice(1) as number[];
  const input = tf.input({ shape: [length!, 1, features!] });
  const values = new Map<number, tf.SymbolicTensor>([[model.inputs[0]!.id, tf.layers.reshape({ targetShape: [length!, features!] }).apply(input) as tf.SymbolicTensor]]);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = layer.inboundNodes[0]!;
    const ins = node.inputTensors.map((t) => values.get(t.id)!);
    const out = layer.apply(ins.length === 1 ? ins[0]! : ins) as tf.SymbolicTensor;
    values.set(node.outputTensors[0]!.id, out);
  }
  return tf.model({ inputs: input, outputs: values.get(model.outputs[0]!.id)! });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Times `model` on ONNX Runtime with input `x` (batch first); never throws (a failure is onnxError). */
export async function measureOnnxInference(
  model: tf.LayersModel, x: tf.Tensor, opts: { warmup: number; iters: number; progress?: (line: string) => void; label: string },
): Promise<OnnxInferFigures> {
  const rank3 = x.shape.length === 3;
  let session: OrtRunner | undefined;
  try {
    let family: OnnxFamily = 'base-cnn';
    let exported: tf.LayersModel = model;
    if (rank3) {
      family = 'pooled-res';
      exported = asRank4(model);
    }
    let bytes: Uint8Array;
    try {
      bytes = (await exportToOnnx(exported, family)).bytes;
    } finally {
      if (exported !== model) exported.dispose();
    }
    session = await openOrtModel(bytes, opts.label);
    // the layout a long inference run settles in (one study's predict never gets there: runtime-adaptive.ts)
    await session.settle?.();
    const data = (await x.data()) as Float32Array;
    const dims = rank3 ? [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!] : [...x.shape];
    const rates: number[] = [];
    let out: Float32Array | undefined;
    for (let i = 0; i < opts.warmup + opts.iters; i++) {
      const t0 = performance.now();
      [out] = await session.run([{ data, dims }]);
      const s = (performance.now() - t0) / 1000;
      if (i >= opts.warmup) rates.push(x.shape[0]! / s);
    }
    // await data(): a GPU backend (webgpu in Node) has no synchronous read
    const predicted = tf.tidy(() => model.predict(x) as tf.Tensor);
    let want: Float32Array;
    try {
      want = (await predicted.data()) as Float32Array;
    } finally {
      predicted.dispose();
    }
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i]! - out![i]!));
    const perSec = median(rates);
    opts.progress?.(`${opts.label} inference on ONNX Runtime (${session.sessions} x ${session.threads} threads): ${perSec.toFixed(1)} /s, max |ORT - tfjs| ${diff.toExponential(1)}`);
    return { onnxInferPerSec: perSec, onnxThreads: session.threads, onnxSessions: session.sessions, onnxMaxAbsDiff: diff };
  } catch (err) {
    const reason = errorMessage(err);
    opts.progress?.(`${opts.label}: no ONNX Runtime figure (${reason})`);
    return { onnxInferPerSec: null, onnxThreads: null, onnxSessions: null, onnxMaxAbsDiff: null, onnxError: reason };
  } finally {
    await session?.release();
  }
}
