/**
 * ONNX Runtime (onnxruntime-node, CPU) for inference: sessions over exported graphs (onnx/export.ts), fed
 * with the same flat typed arrays in the same layout as the tfjs models (NHWC images, [B, rows, F] series).
 * tfjs stays the training engine and the fallback (onnx/runtime-forward.ts decides which runs).
 *
 * Settings, from the environment:
 *   ICH_INFERENCE=tfjs   run inference on tfjs (comparisons, tests); onnx or unset: ONNX Runtime where it loads
 *   ICH_ORT_SESSIONS=S   sessions a batch is cut across, each on its own worker thread (runtime-split.ts); 1 runs
 *                        one session on this thread. Default: the cores divided by ICH_ORT_THREADS.
 *   ICH_ORT_THREADS=N    intra-op threads per session. Default: the cores divided by ICH_ORT_SESSIONS; with
 *                        neither set, one session per core with one thread each (the cores: those this process
 *                        may use, affinity and cgroup limits counted)
 *   ICH_ORT_SPIN=1       let idle intra-op threads spin between runs (default off: between runs the main thread
 *                        prepares the next batch, and a spinning thread would take its core)
 */
import { availableParallelism } from 'node:os';
import { errorMessage } from '../base/errors.ts';
import type { OrtRunner } from './runtime-split.ts';

export type { OrtRunner } from './runtime-split.ts';

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

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | null {
  const v = env[name]?.trim();
  if (!v) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
}

/** Sessions per model and intra-op threads per session, from ICH_ORT_SESSIONS / ICH_ORT_THREADS and the cores. */
export function ortLayout(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): { sessions: number; threads: number } {
  const sessions = positiveInt(env, 'ICH_ORT_SESSIONS');
  const threads = positiveInt(env, 'ICH_ORT_THREADS');
  const share = (n: number): number => Math.max(1, Math.floor(cores / n));
  if (sessions && threads) return { sessions, threads };
  if (sessions) return { sessions, threads: share(sessions) };
  if (threads) return { sessions: share(threads), threads };
  return { sessions: cores, threads: 1 };
}

/** Intra-op threads per session (ortLayout). */
export function ortThreads(env: NodeJS.ProcessEnv = process.env): number {
  return ortLayout(env).threads;
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

/**
 * A model on ONNX Runtime as ortLayout says: one session on this thread, or (several sessions) one session with
 * all their threads that moves to the sessions on worker threads, the batch cut across them, once it has run for
 * SPLIT_AFTER_MS (runtime-adaptive.ts). A runtime module handed in (tests' stand-ins) cannot cross threads: one
 * session then.
 */
export async function openOrtModel(bytes: Uint8Array, label: string,
  options: { sessions?: number; threads?: number; spin?: boolean; ort?: OrtModule; env?: NodeJS.ProcessEnv; splitAfterMs?: number; log?: (line: string) => void } = {}): Promise<OrtRunner> {
  const layout = ortLayout(options.env);
  const sessions = options.ort ? 1 : options.sessions ?? layout.sessions;
  const threads = options.threads ?? layout.threads;
  const spin = options.spin ?? ortSpinning(options.env);
  if (sessions === 1) return OrtModel.create(bytes, label, { threads, spin, ...(options.ort ? { ort: options.ort } : {}) });
  const [{ SplitOrtModel }, { AdaptiveOrtModel }] = await Promise.all([import('./runtime-split.ts'), import('./runtime-adaptive.ts')]);
  // until the split pays off, one session with all the split's threads
  const first = await OrtModel.create(bytes, label, { threads: sessions * threads, spin });
  return new AdaptiveOrtModel(first, {
    split: () => SplitOrtModel.create(bytes, label, { sessions, threads, spin }),
    ...(options.splitAfterMs !== undefined ? { splitAfterMs: options.splitAfterMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}

/** A session over one exported graph. Inputs and outputs go by position, in the tfjs model's order. */
export class OrtModel implements OrtRunner {
  readonly sessions = 1;

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
