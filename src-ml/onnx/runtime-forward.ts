/**
 * One model's forward pass for inference, on ONNX Runtime where it works and on tfjs otherwise. Callers
 * (TTA features, ich predict's full-head members, the benchmark) hand flat inputs in the tfjs layout and get
 * the outputs back in the tfjs model's order, whichever engine ran them.
 *
 * Falling back: a runtime that does not load, a graph that cannot be exported, a session that cannot be made
 * or a run that throws all end on tfjs with one log line naming the reason (a failing run switches the rest
 * of that model's batches, so a bad runtime costs one line, not one per batch). ICH_INFERENCE=tfjs asks for tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/errors.ts';
import type { OnnxFamily } from './export.ts';
import { loadOrt, openOrtModel, requestedEngine, type ArrayInput, type InferenceEngine, type OrtModule, type OrtRunner } from './runtime.ts';

export type { ArrayInput, InferenceEngine } from './runtime.ts';

export interface Forward {
  /** The engine that runs the next batch ('onnx' turns to 'tfjs' after a failed run). */
  readonly engine: InferenceEngine;
  run(inputs: readonly ArrayInput[]): Promise<Float32Array[]>;
  /** Frees the session and, where the forward owns it, the tfjs model. */
  dispose(): Promise<void>;
}

/** Where a model's exported graph is kept between processes (onnx/onnx-cache.ts). */
export interface OnnxBytesCache {
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
}

export interface ForwardSource {
  /** Names the model in log lines and errors (a model id). */
  label: string;
  family: OnnxFamily;
  /** The tfjs model: what is exported on a cache miss and what runs on a fallback. Called at most once. */
  loadTfjs: () => Promise<tf.LayersModel> | tf.LayersModel;
  /** Whether dispose() disposes the tfjs model (true when loadTfjs builds it, false for a caller's model). */
  ownsModel: boolean;
  cache?: OnnxBytesCache;
}

export interface ForwardDeps {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  loadOrt?: () => Promise<OrtModule>;
  /** The exporter (default: onnx/export.ts, imported on the first cache miss). */
  exportGraph?: (model: tf.LayersModel, family: OnnxFamily) => Uint8Array | Promise<Uint8Array>;
  threads?: number;
  /** Runs once before the tfjs model is first needed (e.g. starts the tfjs backend, which ONNX Runtime does not use). */
  beforeTfjs?: () => Promise<unknown>;
}

const stderrLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The tfjs forward of `model`; disposes the model on dispose() only when `own`. */
export function tfjsForward(model: tf.LayersModel, own = false): Forward {
  return {
    engine: 'tfjs',
    async run(inputs) {
      const outs = tf.tidy(() => {
        const xs = inputs.map((i) => tf.tensor(i.data, [...i.dims], i.data instanceof Int32Array ? 'int32' : 'float32'));
        const y = model.predict(xs.length === 1 ? xs[0]! : xs);
        return Array.isArray(y) ? y : [y];
      });
      try {
        return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
      } finally {
        tf.dispose(outs);
      }
    },
    async dispose() {
      if (own) model.dispose();
    },
  };
}

async function defaultExport(model: tf.LayersModel, family: OnnxFamily): Promise<Uint8Array> {
  const { exportToOnnx } = await import('./export.ts');
  return (await exportToOnnx(model, family)).bytes;
}

/** A forward on ONNX Runtime (exporting or reading the cached graph) or, failing that, on tfjs. */
export async function createForward(src: ForwardSource, deps: ForwardDeps = {}): Promise<Forward> {
  const log = deps.log ?? stderrLine;
  let model: tf.LayersModel | undefined;
  const tfModel = async (): Promise<tf.LayersModel> => {
    if (!model) {
      await deps.beforeTfjs?.();
      model = await src.loadTfjs();
    }
    return model;
  };
  const onTfjs = async (): Promise<Forward> => tfjsForward(await tfModel(), src.ownsModel);
  if (requestedEngine(deps.env) === 'tfjs') return onTfjs();

  let session: OrtRunner;
  try {
    const ort = await (deps.loadOrt ?? loadOrt)();
    let bytes = await src.cache?.read() ?? null;
    if (!bytes) {
      bytes = await (deps.exportGraph ?? defaultExport)(await tfModel(), src.family);
      await src.cache?.write(bytes);
    }
    // a stand-in runtime from deps stays on this thread; the real one may run on several sessions
    session = await openOrtModel(bytes, src.label, { ...(deps.loadOrt ? { ort } : {}), ...(deps.threads ? { threads: deps.threads } : {}), ...(deps.env ? { env: deps.env } : {}), log });
  } catch (err) {
    logOnce(log, `warning: ${src.label}: inference on tfjs (${errorMessage(err)})`);
    return onTfjs();
  }

  let fallback: Forward | undefined;
  return {
    get engine(): InferenceEngine {
      return fallback ? 'tfjs' : 'onnx';
    },
    async run(inputs) {
      if (!fallback) {
        try {
          return await session.run(inputs);
        } catch (err) {
          logOnce(log, `warning: ${src.label}: inference on tfjs from here on (${errorMessage(err)})`);
          await session.release().catch(() => undefined);
          fallback = await onTfjs();
        }
      }
      return fallback.run(inputs);
    },
    async dispose() {
      await session.release();
      if (fallback) await fallback.dispose();
      else if (model && src.ownsModel) model.dispose();
    },
  };
}

// The same reason (a runtime that does not load fails every model alike) is logged once per log sink.
const logged = new WeakMap<(line: string) => void, Set<string>>();
function logOnce(log: (line: string) => void, line: string): void {
  const reason = line.replace(/^warning: [^:]+: /, '');
  let seen = logged.get(log);
  if (!seen) logged.set(log, (seen = new Set()));
  if (seen.has(reason)) return;
  seen.add(reason);
  log(line);
}
