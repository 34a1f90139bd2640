// Training launched from the GUI: `ich pipeline --events` in a child process, so the engine host (and the
// HTTP server or the Electron utility process it lives in) stays responsive while tfjs computes. The
// child's JSON-line events become job progress (the current stage, per-stage units, the latest batch and
// epoch) and a history for the loss and validation charts. Cancel is Ctrl-C to the child: the pipeline
// stops between batches and keeps what it committed (finished models, the last epoch checkpoint);
// starting the same request again resumes from there.
import { createInterface } from 'node:readline';
import { nodeJobLauncher, type JobHandle, type JobLauncher } from './job-launcher.ts';
import {
  PIPELINE_STAGES, type PipelineStage, type StageState, type TrainHistory, type TrainingEvent, type TrainJobState, type TrainRequest,
} from '../api/training.ts';

export type { StageState, TrainHistory, TrainJobState, TrainJobStatus, TrainRequest } from '../api/training.ts';

export { ICH_BIN } from './job-launcher.ts';

const MAX_LOSS_POINTS = 2000;

export interface TrainingJobsOptions {
  workspaceDir: string;
  /** Receives every state change (throttled for batch events). */
  onUpdate: (state: TrainJobState) => void;
  /** Milliseconds between two batch-driven updates (default 250). */
  progressIntervalMs?: number;
  /** Starts the `ich pipeline` job (default: a Node child; the desktop app's engine: a utility process via main). */
  spawnChild?: JobLauncher;
  /**
   * Checks a request before anything starts (train/preflight.ts): it throws a one-line reason, and then
   * start() throws it with no job made and no child spawned.
   */
  preflight?: (req: TrainRequest) => void;
}

function emptyStages(): TrainJobState['stages'] {
  return Object.fromEntries(PIPELINE_STAGES.map((s) => [s, { state: 'pending' as StageState, units: 0, done: 0 }])) as TrainJobState['stages'];
}

/** The pipeline command line of a request. */
export function pipelineArgs(workspaceDir: string, req: TrainRequest): string[] {
  const args = ['pipeline', '--workspace', workspaceDir, '--preset', req.preset, '--events', '--no-progress', '--json'];
  if (req.data) args.push('--data', req.data);
  if (req.labels) args.push('--labels', req.labels);
  if (req.stages) args.push('--stages', req.stages.join(','));
  if (req.folds !== undefined) args.push('--folds', String(req.folds));
  if (req.initDir) args.push('--init', req.initDir);
  if (req.fromScratch) args.push('--from-scratch');
  // `--test <dir...>` is variadic: repeated, each takes one folder (a value never starts with '-': it is absolute).
  for (const d of req.testDirs ?? []) args.push('--test', d);
  return args;
}

/** Whether two requests name the same run (stage order and absent fields as the CLI sees them). */
export function sameRequest(a: TrainRequest, b: TrainRequest): boolean {
  return JSON.stringify(pipelineArgs('', a)) === JSON.stringify(pipelineArgs('', b));
}

/** When a stage of the running job started, and how many of its units were done then (kept from earlier runs). */
interface StageClock {
  t0: number;
  startDone: number;
  /** When it ended, and the units it finished in this job (for the job-wide seconds per unit). */
  t1?: number;
  work?: number;
}

/**
 * The whole job's seconds left, from the stage units (each a model x fold trained, or a feature set written).
 * Work is counted in units finished in this job (units kept from an earlier run count as neither work nor
 * time), the current unit as the fraction its latest batch (epoch, batch) or feature progress reached.
 * The current stage's remaining units go at its own seconds per unit so far; a stage not started yet at the
 * job's average over the work done so far, with as many units as the largest stage seen (models x folds;
 * the ensembles stage is one unit). Early in a run, while the slow base CNNs set the pace, this overestimates
 * the full-head stages; it corrects itself as they run.
 */
export function estimateJobEta(state: TrainJobState, clocks: ReadonlyMap<PipelineStage, StageClock>, unitFraction: number, now: number): number | undefined {
  const cur = state.stage;
  if (!cur) return undefined;
  const clock = clocks.get(cur);
  const st = state.stages[cur];
  if (!clock || !st) return undefined;
  const p = Math.min(Math.max(unitFraction, 0), st.units - st.done > 0 ? 0.999 : 0);
  const work = st.done - clock.startDone + p;
  const sec = (now - clock.t0) / 1000;
  if (!(work > 0)) return undefined;
  const stageRate = sec / work;
  let jobSec = sec;
  let jobWork = work;
  for (const c of clocks.values()) {
    if (c === clock || c.t1 === undefined || !c.work) continue;
    jobSec += (c.t1 - c.t0) / 1000;
    jobWork += c.work;
  }
  const jobRate = jobSec / jobWork;
  const wanted = state.request.stages ?? PIPELINE_STAGES;
  const largest = Math.max(1, ...PIPELINE_STAGES.filter((s) => s !== 'ensembles').map((s) => state.stages[s]?.units ?? 0));
  let left = Math.max(0, st.units - st.done - p) * stageRate;
  for (const s of PIPELINE_STAGES.slice(PIPELINE_STAGES.indexOf(cur) + 1)) {
    const later = state.stages[s];
    if (!later || !wanted.includes(s) || later.state !== 'pending') continue;
    const units = later.units || (s === 'ensembles' ? 1 : largest);
    left += Math.max(0, units - later.done) * jobRate;
  }
  return left;
}

export class TrainingJobs {
  private readonly states = new Map<string, TrainJobState>();
  private readonly histories = new Map<string, TrainHistory>();
  private running: { jobId: string; child: JobHandle; cancelled: boolean; exited: Promise<void> } | null = null;
  private next = 1;
  private lastBatchUpdate = 0;
  private step = 0;
  /** The running job's stage clocks and the latest progress inside its current unit (for the ETA). */
  private clocks = new Map<PipelineStage, StageClock>();
  private unitFraction = 0;

  constructor(private readonly options: TrainingJobsOptions) {}

  /** Starts a pipeline run; one at a time per engine (they would share the CPU and the models). */
  start(req: TrainRequest): { jobId: string } {
    if (this.running) throw new Error(`training job ${this.running.jobId} is running: cancel it or wait for it`);
    // Inputs that cannot work are refused here: no job, no child.
    this.options.preflight?.(req);
    const jobId = `train-${this.next++}`;
    const state: TrainJobState = { jobId, request: req, status: 'running', startedAt: new Date().toISOString(), stages: emptyStages() };
    // The same request right after a cancelled or failed job continues it (finished models are kept, a
    // base CNN resumes from its checkpoint): so do its charts.
    const previous = [...this.states.values()].at(-1);
    const earlier = previous && (previous.status === 'cancelled' || previous.status === 'failed') && sameRequest(previous.request, req)
      ? this.histories.get(previous.jobId)
      : undefined;
    if (earlier) state.resumes = previous!.jobId;
    this.states.set(jobId, state);
    this.histories.set(jobId, { jobId, epochs: [...(earlier?.epochs ?? [])], losses: [...(earlier?.losses ?? [])] });
    this.step = earlier?.losses.at(-1)?.step ?? 0;
    this.clocks = new Map();
    this.unitFraction = 0;
    const args = pipelineArgs(this.options.workspaceDir, req);
    const child = (this.options.spawnChild ?? nodeJobLauncher)(args);
    let lastErr = '';
    const exited = new Promise<void>((resolve) => {
      child.once('close', (code) => {
        const run = this.running;
        this.running = null;
        const cancelled = !!run?.cancelled;
        state.endedAt = new Date().toISOString();
        if (code === 0) state.status = 'done';
        else if (cancelled || code === 130) state.status = 'cancelled';
        else {
          state.status = 'failed';
          state.error = lastErr.replace(/^ich: /, '') || `ich pipeline exited with code ${code}`;
        }
        // No row stays "running" after the end: a stage the job was in ends as the job did.
        for (const st of Object.values(state.stages)) {
          if (st.state === 'running') st.state = state.status === 'done' ? 'done' : state.status === 'cancelled' ? 'cancelled' : 'failed';
        }
        delete state.stage;
        delete state.etaSec;
        this.update(state);
        resolve();
      });
      child.once('error', (err) => {
        lastErr = `cannot start ich pipeline: ${err.message}`;
      });
    });
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => this.onStdout(state, line));
    }
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        const text = line.trim();
        if (!text) return;
        lastErr = text;
        state.message = text;
        this.update(state);
      });
    }
    this.running = { jobId, child, cancelled: false, exited };
    this.update(state);
    return { jobId };
  }

  /** Asks the running job to stop (Ctrl-C); resolves when it has. */
  async cancel(jobId: string): Promise<{ cancelled: boolean }> {
    const run = this.running;
    if (!run || run.jobId !== jobId) return { cancelled: false };
    run.cancelled = true;
    run.child.kill('SIGINT');
    // A child that ignores Ctrl-C for 30 s (stuck in a long kernel) is stopped.
    const hard = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
    await run.exited;
    clearTimeout(hard);
    return { cancelled: true };
  }

  list(): TrainJobState[] {
    return [...this.states.values()];
  }

  get(jobId: string): TrainJobState | undefined {
    return this.states.get(jobId);
  }

  history(jobId: string): TrainHistory | undefined {
    return this.histories.get(jobId);
  }

  /** Stops the running job, if any (the engine is closing). */
  async close(): Promise<void> {
    if (this.running) await this.cancel(this.running.jobId);
  }

  private onStdout(state: TrainJobState, line: string): void {
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      return; // not an event line
    }
    if (typeof e !== 'object' || e === null) return;
    if ('type' in e) this.onEvent(state, e as TrainingEvent);
    else if ('baseline' in e && 'stages' in e) {
      const r = e as { baseline: number; stages: { name: string; oofMetric: number }[]; version?: { id?: unknown } };
      state.report = { baseline: r.baseline, stages: r.stages.map((s) => ({ name: s.name, oofMetric: s.oofMetric })),
        ...(typeof r.version?.id === 'string' ? { version: r.version.id } : {}) };
    }
  }

  private onEvent(state: TrainJobState, e: TrainingEvent): void {
    const history = this.histories.get(state.jobId)!;
    switch (e.type) {
      case 'stage': {
        const s = state.stages[e.stage];
        if (!s) return;
        s.units = e.units;
        s.done = e.done;
        s.state = e.status === 'started' ? 'running' : e.status;
        if (e.status === 'started') state.stage = e.stage;
        const now = Date.now();
        if (e.status === 'started') this.clocks.set(e.stage, { t0: now, startDone: e.done });
        else if (e.status === 'done') {
          const c = this.clocks.get(e.stage);
          if (c) Object.assign(c, { t1: now, work: e.done - c.startDone });
        }
        // A unit finished (or the stage changed): the next unit starts from nothing.
        this.unitFraction = 0;
        break;
      }
      case 'batch': {
        state.batch = e;
        if (e.stage === state.stage) this.unitFraction = ((e.epoch - 1) * e.batches + e.batch) / Math.max(1, e.epochs * e.batches);
        this.step++;
        history.losses.push({ step: this.step, loss: e.loss, model: e.model, fold: e.fold, stage: e.stage });
        if (history.losses.length > MAX_LOSS_POINTS) history.losses = history.losses.filter((_, i) => i % 2 === 0);
        const now = Date.now();
        if (now - this.lastBatchUpdate < (this.options.progressIntervalMs ?? 250)) return;
        this.lastBatchUpdate = now;
        break;
      }
      case 'epoch':
        state.lastEpoch = e;
        history.epochs.push(e);
        break;
      case 'features':
        state.features = e;
        // Train copies, then test ones: each split about half of the unit (an estimate).
        if (state.stage === 'features') this.unitFraction = (e.split === 'train' ? 0 : 0.5) + 0.5 * (e.done / Math.max(1, e.total));
        break;
      case 'message':
        state.message = e.text;
        break;
    }
    const eta = state.status === 'running' ? estimateJobEta(state, this.clocks, this.unitFraction, Date.now()) : undefined;
    if (eta === undefined) delete state.etaSec;
    else state.etaSec = Math.round(eta);
    this.update(state);
  }

  private update(state: TrainJobState): void {
    try {
      this.options.onUpdate(structuredClone(state));
    } catch {
      // a listener's failure must not stop the job
    }
  }
}
