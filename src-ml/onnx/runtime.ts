/**
 * ONNX Runtime (onnxruntime-node, CPU) for inference: sessions over exported graphs (onnx/export.ts), fed
 * with the same flat typed arrays in the same layout as the tfjs models (NHWC images, [B, rows, F] series).
 * tfjs stays the training engine and the fallback (onnx/runtime-forward.ts decides which runs).
 *
 * Settings, from the environment:
 *   ICH_INFERENCE=tfjs   run inference on tfjs (comparisons, tests); onnx or unset: ONNX Runtime where it loads
 *   ICH_ORT_THREADS=N    intra-op threads per session (default: the cores this process may use)
 *   ICH_ORT_SPIN=1       let idle intra-op threads spin between runs (default off: between runs the main thread
 *                        prepares the next batch, and a spinning thread would take its core)
 */
import { availableParallelism } from 'node:os';
import { errorMessage } from '../base/errors.ts';

/** The package's module type, loaded only when a session is made (the CLI's other commands never pay for it). */
export type OrtModule = typeof import('onnxruntime-node');
type OrtSession = import('onnxruntime-node').InferenceSession;

export type InferenceEngine = 'onnx' | 'tfjs';

/** One model input: flat data in the tfjs layout and its dimensions (batch first). */
export interface ArrayInput {
  data: Float32Array | Int32Array;
  dims: readonly number[];
}

/** Which engine inference is asked to use (ICH_INFERENCE); an unknown value is an error, not a silent default. */
export function requestedEngine(env: NodeJS.ProcessEnv = process.env): InferenceEngine {
  const v = env['ICH_INFERENCE']?.trim().toLowerCase();
  if (!v || v === 'onnx') return 'onnx';
  if (v === 'tfjs') return 'tfjs';
  throw new Error(`ICH_INFERENCE=${env['ICH_INFERENCE']}: expected onnx or tfjs`);
}

/** Intra-op threads: ICH_ORT_THREADS, else every core the process may use (affinity and cgroup limits counted). */
export function ortThreads(env: NodeJS.ProcessEnv = process.env): number {
  const v = env['ICH_ORT_THREADS']?.trim();
  if (!v) return availableParallelism();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`ICH_ORT_THREADS=${v}: expected a positive integer`);
  return n;
}

/** Whether idle intra-op threads spin (ICH_ORT_SPIN=1) rather than sleep. */
export function ortSpinning(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['ICH_ORT_SPIN']?.trim();
  if (!v || v === '0') return false;
  if (v === '1') return true;
  throw new Error(`ICH_ORT_SPIN=${v}: expected 0 or 1`);
}

let ortPromise: Promise<OrtModule> | undefined;

/** onnxruntime-node, imported once per process; rejects with one line when its native library cannot load. */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then(
    (m) => ((m as { default?: OrtModule }).default ?? m) as OrtModule,
    (err: unknown) => {
      throw new Error(`onnxruntime-node cannot load: ${errorMessage(err).split('\n')[0]}`, { cause: err });
    },
  );
  return ortPromise;
}

/** A session over one exported graph. Inputs and outputs go by position, in the tfjs model's order. */
export class OrtModel {
  private constructor(
    private readonly ort: OrtModule,
    private session: OrtSession | null,
    readonly label: string,
    readonly threads: number,
  ) {}

  /** Creates the session; `label` (a model id or file) names it in errors. */
  static async create(bytes: Uint8Array, label: string, options: { threads?: number; spin?: boolean; ort?: OrtModule } = {}): Promise<OrtModel> {
    const ort = options.ort ?? (await loadOrt());
    const threads = options.threads ?? ortThreads();
    const spin = options.spin ?? ortSpinning();
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads,
        // One graph node at a time; the threads go to each node's own work (convolutions, matrix products).
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } },
      });
    } catch (err) {
      throw new Error(`${label}: ONNX Runtime cannot create a session: ${errorMessage(err).split('\n')[0]}`, { cause: err });
    }
    return new OrtModel(ort, session, label, threads);
  }

  get inputNames(): readonly string[] {
    return this.live().inputNames;
  }

  get outputNames(): readonly string[] {
    return this.live().outputNames;
  }

  /** One forward pass; returns the outputs in order, each flat (row-major, batch first). */
  async run(inputs: readonly ArrayInput[]): Promise<Float32Array[]> {
    const session = this.live();
    const names = session.inputNames;
    if (inputs.length !== names.length) throw new Error(`${this.label}: the graph takes ${names.length} inputs, got ${inputs.length}`);
    const feeds: Record<string, import('onnxruntime-node').Tensor> = {};
    inputs.forEach((input, i) => {
      const size = input.dims.reduce((p, d) => p * d, 1);
      if (size !== input.data.length) throw new Error(`${this.label}: input ${names[i]} has ${input.data.length} values for dims [${input.dims.join(', ')}]`);
      const type = input.data instanceof Int32Array ? 'int32' : 'float32';
      feeds[names[i]!] = new this.ort.Tensor(type, input.data, [...input.dims]);
    });
    let results: Record<string, { data: unknown; type: string }>;
    try {
      results = await session.run(feeds);
    } catch (err) {
      throw new Error(`${this.label}: ONNX Runtime run failed: ${errorMessage(err).split('\n')[0]}`, { cause: err });
    }
    return session.outputNames.map((name) => {
      const out = results[name];
      if (!out || !(out.data instanceof Float32Array)) throw new Error(`${this.label}: output ${name} is ${out ? out.type : 'missing'}, not float32`);
      return out.data;
    });
  }

  /** Frees the session's native memory; later runs throw. */
  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    await s?.release();
  }

  private live(): OrtSession {
    if (!this.session) throw new Error(`${this.label}: the ONNX Runtime session was released`);
    return this.session;
  }
}
