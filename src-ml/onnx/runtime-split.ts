/**
 * One model on several ONNX Runtime sessions, each on its own worker thread with its own intra-op threads, every
 * batch cut along its first axis into one contiguous part per session and the outputs joined in order.
 *
 * Why: ORT's intra-op threads meet at a barrier after every node, so a graph of many small nodes (BenchSeq:
 * ~80, each well under a millisecond) waits on the slower core at each one, and on a machine where other
 * processes take turns on the cores a 2-thread session ran slower than a 1-thread one. Sessions on separate
 * threads share nothing while they run: measured on 2 busy cores, BenchSeq batch 32 in 7.1-7.7 ms on 2 sessions
 * against 10.6 ms on one 1-thread session and 11-15 ms on one 2-thread session.
 */
import { Worker } from 'node:worker_threads';
import { concatFloat32 } from '../base/bytes.ts';
import { errorMessage } from '../base/errors.ts';
import type { ArrayInput } from './runtime.ts';
import type { OrtWorkerData, OrtWorkerReply, OrtWorkerRequest } from './runtime-worker.ts';

const ENTRY = new URL('../jobs/worker-entry.js', import.meta.url);
const MODULE = new URL('./runtime-worker.ts', import.meta.url);

/** What ich predict, the feature stage and the benchmark need of a session, whichever kind runs it. */
export interface OrtRunner {
  readonly label: string;
  /** Intra-op threads of each session. */
  readonly threads: number;
  /** Sessions a batch is cut across (1: one session). */
  readonly sessions: number;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(inputs: readonly ArrayInput[]): Promise<Float32Array[]>;
  release(): Promise<void>;
  /** Brings the runner to the layout a long run settles in (runtime-adaptive.ts), for benchmarks; absent: it is there. */
  settle?(): Promise<void>;
}

/** [start, end) of each part when n items are cut into at most `parts` runs of nearly equal size (no empty part). */
export function batchParts(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, n));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) out.push([Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
  return out;
}

interface Pending {
  resolve: (outputs: Float32Array[]) => void;
  reject: (err: Error) => void;
}

/** One worker thread holding one session. */
class SessionWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closing = false;
  private readonly worker: Worker;
  readonly ready: Promise<{ inputNames: string[]; outputNames: string[] }>;

  constructor(private readonly label: string, data: Omit<OrtWorkerData, 'module'>) {
    const worker = new Worker(ENTRY, { workerData: { module: MODULE.href, ...data } satisfies OrtWorkerData });
    this.worker = worker;
    this.ready = new Promise((resolve, reject) => {
      worker.once('message', (msg: OrtWorkerReply) => {
        // Ready (or not): from here on an idle worker does not keep the process alive; one with a run in flight does (run()).
        worker.unref();
        if ('ready' in msg) resolve({ inputNames: msg.inputNames, outputNames: msg.outputNames });
        else reject(new Error('error' in msg ? msg.error : `${label}: ONNX Runtime worker did not start`));
        worker.on('message', (m: OrtWorkerReply) => this.settle(m));
      });
      worker.once('error', reject);
      // a worker that ends before it answers (rejecting a settled promise does nothing)
      worker.once('exit', (code) => reject(new Error(`${label}: ONNX Runtime worker stopped (exit code ${code})`)));
    });
    worker.on('error', (err) => this.fail(new Error(`${label}: ONNX Runtime worker failed: ${errorMessage(err).split('\n')[0]}`)));
    worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`${label}: ONNX Runtime worker stopped (exit code ${code})`));
    });
  }

  run(inputs: ArrayInput[]): Promise<Float32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const p = new Promise<Float32Array[]>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    const request: OrtWorkerRequest = { id, inputs };
    this.worker.postMessage(request, inputs.map((i) => i.data.buffer as ArrayBuffer));
    return p;
  }

  private settle(msg: OrtWorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('outputs' in msg) p.resolve(msg.outputs);
    else if ('error' in msg) p.reject(new Error(msg.error));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.fail(new Error(`${this.label}: the ONNX Runtime session was released`));
    await this.worker.terminate();
  }
}

/** The rows [start, end) of a batch-first input, copied into a buffer of their own (it is moved to a worker). */
function rows(input: ArrayInput, start: number, end: number): ArrayInput {
  const per = input.dims.slice(1).reduce((p, d) => p * d, 1);
  return { data: input.data.slice(start * per, end * per), dims: [end - start, ...input.dims.slice(1)] };
}

export class SplitOrtModel implements OrtRunner {
  private constructor(
    private workers: SessionWorker[] | null,
    readonly label: string,
    readonly threads: number,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  get sessions(): number {
    return this.workers?.length ?? 0;
  }

  /** Starts `sessions` workers, each creating its session; rejects with one line when any cannot. */
  static async create(bytes: Uint8Array, label: string, options: { sessions: number; threads: number; spin: boolean }): Promise<SplitOrtModel> {
    const workers = Array.from({ length: options.sessions }, () => new SessionWorker(label, { bytes, label, threads: options.threads, spin: options.spin }));
    try {
      const names = await Promise.all(workers.map((w) => w.ready));
      return new SplitOrtModel(workers, label, options.threads, names[0]!.inputNames, names[0]!.outputNames);
    } catch (err) {
      await Promise.all(workers.map((w) => w.close()));
      const reason = errorMessage(err).split('\n')[0]!;
      throw new Error(reason.startsWith(`${label}: `) ? reason : `${label}: ONNX Runtime cannot create a session: ${reason}`, { cause: err });
    }
  }

  async run(inputs: readonly ArrayInput[]): Promise<Float32Array[]> {
    const workers = this.workers;
    if (!workers) throw new Error(`${this.label}: the ONNX Runtime session was released`);
    if (inputs.length !== this.inputNames.length) throw new Error(`${this.label}: the graph takes ${this.inputNames.length} inputs, got ${inputs.length}`);
    const batch = inputs[0]?.dims[0] ?? 0;
    inputs.forEach((input, i) => {
      const size = input.dims.reduce((p, d) => p * d, 1);
      if (size !== input.data.length) throw new Error(`${this.label}: input ${this.inputNames[i]} has ${input.data.length} values for dims [${input.dims.join(', ')}]`);
      if (input.dims[0] !== batch) throw new Error(`${this.label}: input ${this.inputNames[i]} has batch ${input.dims[0]}, input ${this.inputNames[0]} ${batch}`);
    });
    const parts = batchParts(batch, workers.length);
    const outs = await Promise.all(parts.map(([s, e], w) => workers[w]!.run(inputs.map((input) => rows(input, s, e)))));
    return this.outputNames.map((_, o) => concatFloat32(outs.map((part) => part[o]!)));
  }

  async release(): Promise<void> {
    const workers = this.workers;
    this.workers = null;
    await Promise.all((workers ?? []).map((w) => w.close()));
  }
}
