/**
 * A model that starts on one ONNX Runtime session on this thread with every core, and moves to sessions on worker
 * threads with the batch cut across them (runtime-split.ts) once it has run long enough to repay starting them.
 *
 * Why both: split sessions run a long series of batches faster (BenchSeq batch 32 on 2 cores: 7.8 ms against
 * 11.8 ms on one 2-thread session, measured in one run), but each costs a worker, a runtime load and a session
 * (0.3-0.6 s all told), which a short job such as `ich predict` of one study never earns back (1.1 s became 2.4 s
 * when every model split from its first batch). So the split starts, in the background, after SPLIT_AFTER_MS of
 * runs on the first session, and batches go on on that session until the workers are ready.
 */
import { errorMessage } from '../base/errors.ts';
import type { ArrayInput, OrtModel } from './runtime.ts';
import type { OrtRunner, SplitOrtModel } from './runtime-split.ts';

/** Run time on the first session after which the split sessions are started. */
export const SPLIT_AFTER_MS = 2000;

export interface AdaptiveOptions {
  /** Makes the split sessions (SplitOrtModel.create with the layout's sessions and threads). */
  split: () => Promise<SplitOrtModel>;
  splitAfterMs?: number;
  /** Told once when the split sessions cannot start (the model stays on its first session). */
  log?: (line: string) => void;
}

export class AdaptiveOrtModel implements OrtRunner {
  private first: OrtModel | null;
  private split: SplitOrtModel | null = null;
  private starting: Promise<void> | null = null;
  /** The first session once the split took over, released when its last run ends. */
  private retired: OrtModel | null = null;
  private inFlight = 0;
  private ranMs = 0;
  private released = false;
  readonly label: string;

  constructor(first: OrtModel, private readonly options: AdaptiveOptions) {
    this.first = first;
    this.label = first.label;
  }

  get threads(): number {
    return (this.split ?? this.first)?.threads ?? 0;
  }

  get sessions(): number {
    return this.split?.sessions ?? (this.first ? 1 : 0);
  }

  get inputNames(): readonly string[] {
    return (this.split ?? this.first)?.inputNames ?? [];
  }

  get outputNames(): readonly string[] {
    return (this.split ?? this.first)?.outputNames ?? [];
  }

  async run(inputs: readonly ArrayInput[]): Promise<Float32Array[]> {
    if (this.split) return this.split.run(inputs);
    if (!this.first) throw new Error(`${this.label}: the ONNX Runtime session was released`);
    const first = this.first;
    const t0 = performance.now();
    this.inFlight++;
    try {
      return await first.run(inputs);
    } finally {
      this.inFlight--;
      this.ranMs += performance.now() - t0;
      if (this.retired && this.inFlight === 0) await this.releaseRetired();
      else if (this.ranMs >= (this.options.splitAfterMs ?? SPLIT_AFTER_MS)) void this.startSplit();
    }
  }

  private async releaseRetired(): Promise<void> {
    const r = this.retired;
    this.retired = null;
    await r?.release();
  }

  /** Starts the split sessions now and waits for them: the layout a long run settles in (what a benchmark times). */
  async settle(): Promise<void> {
    await this.startSplit();
  }

  private startSplit(): Promise<void> {
    this.starting ??= this.options.split().then(
      async (split) => {
        if (this.released) {
          await split.release();
          return;
        }
        this.split = split;
        // a session is not released under a run in flight: the last one on it does that
        this.retired = this.first;
        this.first = null;
        if (this.inFlight === 0) await this.releaseRetired();
      },
      (err: unknown) => {
        this.options.log?.(`warning: ${this.label}: staying on one ONNX Runtime session (${errorMessage(err).split('\n')[0]})`);
      },
    );
    return this.starting;
  }

  async release(): Promise<void> {
    this.released = true;
    await this.starting;
    const first = this.first;
    const split = this.split;
    this.first = null;
    this.split = null;
    await Promise.all([first?.release(), split?.release(), this.releaseRetired()]);
  }
}
