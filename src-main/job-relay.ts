// The main process's side of the engine's jobs (`ich pipeline`, `ich predict`): the engine process asks for
// one (engine-process-protocol.ts, job-* messages), this checks the command line against the shapes the
// engine builds (training-jobs.ts pipelineArgs, predict-child.ts predictArgs) and forks the job entry as a
// utility process, relays its stdout/stderr and exit back, and turns the engine's signals into a cancel
// message (Ctrl-C semantics, handled by job-process-entry.cjs) or a kill. A utility process cannot fork one
// itself, and the packaged app cannot run as Node (fuse runAsNode off), hence the detour.
import path from 'node:path';
import { ID_PATTERN, isAbsolutePath, validatePath } from '../src-shared/engine-validate.ts';
import { MAX_FOLDS, MAX_TEST_DIRS, MIN_FOLDS, PIPELINE_STAGES, TRAIN_PRESETS } from '../src-shared/stages.ts';
import { JOB_COMMANDS, type JobCancel, type JobFromEngine, type JobToEngine } from '../src-ml/host/engine-process-protocol.ts';
import type { UtilityProcessPort } from './electron-port.ts';

type JobCommand = (typeof JOB_COMMANDS)[number];

/** A flag's value check: null when fine, else why not (a few words). */
type ValueCheck = (value: string, workspace: string) => string | null;

/** pipelineArgs at its longest (18 words and MAX_TEST_DIRS x `--test <dir>`), with a little slack. */
const MAX_ARGS = 20 + 2 * MAX_TEST_DIRS;
const MAX_STUDIES = 10_000;
/** Jobs one engine may have at once (it runs one training and one predict job; the rest is slack). */
const MAX_JOBS = 4;
/** After a job's exit, how long its output may take to drain before the exit is reported anyway. */
const DRAIN_MS = 2_000;

const oneOf = (list: readonly string[]): ValueCheck => (v) => (list.includes(v) ? null : `must be one of ${list.join(', ')}`);

function commaList(max: number, check: (item: string) => boolean, what: string): ValueCheck {
  return (v) => {
    const items = v.split(',');
    if (items.length > max) return `lists at most ${max} ${what}`;
    if (!items.every(check)) return `must be a comma-separated list of ${what}`;
    return new Set(items).size === items.length ? null : `names a ${what.replace(/s$/, '')} twice`;
  };
}

const absolutePath: ValueCheck = (v) => {
  try {
    validatePath(v, 'the path');
    return null;
  } catch {
    return 'must be an absolute path';
  }
};

/** The workspace the engine opened, and no other. */
const sameWorkspace: ValueCheck = (v, ws) => (isAbsolutePath(v) && path.resolve(v) === path.resolve(ws) ? null : "must be the engine's workspace");

/**
 * Per command: its flags (a check for a flag with a value, 'switch' for one without), the required ones, groups
 * of which exactly one must be given, flags that may repeat (at most so many times: each occurrence one value,
 * as pipelineArgs writes a variadic CLI option) and pairs that exclude each other.
 */
const SHAPES: Record<JobCommand, {
  flags: Record<string, ValueCheck | 'switch'>; required: string[]; exactlyOne?: string[]; repeat?: Record<string, number>; excludes?: [string, string][];
}> = {
  pipeline: {
    flags: {
      '--workspace': sameWorkspace,
      '--preset': oneOf(TRAIN_PRESETS),
      '--events': 'switch',
      '--no-progress': 'switch',
      '--json': 'switch',
      '--data': absolutePath,
      '--labels': absolutePath,
      '--stages': commaList(PIPELINE_STAGES.length, (s) => (PIPELINE_STAGES as readonly string[]).includes(s), 'stages'),
      '--folds': (v) => (/^\d{1,2}$/.test(v) && Number(v) >= MIN_FOLDS && Number(v) <= MAX_FOLDS ? null : `must be an integer from ${MIN_FOLDS} to ${MAX_FOLDS}`),
      '--init': absolutePath,
      '--from-scratch': 'switch',
      '--test': absolutePath,
    },
    required: ['--workspace', '--preset', '--events', '--no-progress', '--json'],
    repeat: { '--test': MAX_TEST_DIRS },
    excludes: [['--init', '--from-scratch']],
  },
  predict: {
    flags: {
      '--workspace': sameWorkspace,
      '--events': 'switch',
      '--no-progress': 'switch',
      '--studies': commaList(MAX_STUDIES, (s) => ID_PATTERN.test(s), 'study UIDs'),
      '--missing': 'switch',
    },
    required: ['--workspace', '--events', '--no-progress'],
    exactlyOne: ['--studies', '--missing'],
  },
};

/**
 * The job's command line if it is one the engine builds for `workspace`; else throws one line. No positional
 * arguments, no flag twice (but --test, a few times, each folder once), no unknown flag, every value checked: so nothing but a known job on this workspace
 * (and the data or labels files a training request names) can be run this way.
 */
export function validateJobArgs(args: unknown, workspace: string): string[] {
  if (!Array.isArray(args) || args.length === 0 || args.length > MAX_ARGS || !args.every((a) => typeof a === 'string')) {
    throw new Error(`job refused: arguments must be 1-${MAX_ARGS} strings`);
  }
  const [command, ...rest] = args as string[];
  if (!(JOB_COMMANDS as readonly string[]).includes(command!)) {
    throw new Error(`job refused: unknown command ${JSON.stringify(command).slice(0, 40)}; known: ${JOB_COMMANDS.join(', ')}`);
  }
  const shape = SHAPES[command as JobCommand];
  const seen = new Set<string>();
  const counts = new Map<string, number>();
  const values = new Map<string, Set<string>>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const check = Object.hasOwn(shape.flags, flag) ? shape.flags[flag] : undefined;
    if (!check) throw new Error(`job refused: ${command} does not take ${JSON.stringify(flag).slice(0, 40)}`);
    const max = shape.repeat && Object.hasOwn(shape.repeat, flag) ? shape.repeat[flag]! : 1;
    const n = (counts.get(flag) ?? 0) + 1;
    if (n > max) throw new Error(max === 1 ? `job refused: ${flag} given twice` : `job refused: ${flag} given more than ${max} times`);
    counts.set(flag, n);
    seen.add(flag);
    if (check === 'switch') continue;
    const value = rest[++i];
    if (value === undefined) throw new Error(`job refused: ${flag} needs a value`);
    const why = check(value, workspace);
    if (why) throw new Error(`job refused: ${flag} ${why}`);
    const vs = values.get(flag) ?? new Set<string>();
    if (vs.has(value)) throw new Error(`job refused: ${flag} names ${JSON.stringify(value).slice(0, 60)} twice`);
    values.set(flag, vs.add(value));
  }
  for (const [a, b] of shape.excludes ?? []) {
    if (seen.has(a) && seen.has(b)) throw new Error(`job refused: ${a} and ${b} exclude each other`);
  }
  const missing = shape.required.filter((f) => !seen.has(f));
  if (missing.length) throw new Error(`job refused: ${command} needs ${missing.join(', ')}`);
  if (shape.exactlyOne && shape.exactlyOne.filter((f) => seen.has(f)).length !== 1) {
    throw new Error(`job refused: ${command} needs exactly one of ${shape.exactlyOne.join(', ')}`);
  }
  return [command!, ...rest];
}

function isJobRequest(m: unknown): m is JobFromEngine {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (!Number.isSafeInteger(o.jobId)) return false;
  return o.type === 'job-start' || (o.type === 'job-signal' && (o.signal === 'interrupt' || o.signal === 'kill'));
}

export interface JobRelayOptions {
  /** Forks the job entry with these arguments (utilityProcess.fork, stdio 'pipe'). */
  forkJob: (args: string[]) => UtilityProcessPort;
  /** One-line notices (a refused or failed job). */
  log?: (line: string) => void;
  /** After a job's exit, how long to wait for its output to end (default 2 s). */
  drainMs?: number;
}

export interface JobRelay {
  /** Kills the engine's jobs (the app is quitting). */
  stop(): void;
}

/**
 * Serves the job requests of one engine process. Its jobs die with it: after an engine crash no one would
 * read their output, and the restarted engine reports them failed (engine-host.ts).
 */
export function relayJobs(engine: UtilityProcessPort, options: JobRelayOptions): JobRelay {
  const jobs = new Map<number, UtilityProcessPort>();
  let workspace: string | null = null;
  let stopped = false;
  const reply = (m: JobToEngine): void => {
    if (!stopped) engine.postMessage(m);
  };
  const refuse = (jobId: number, error: string): void => {
    options.log?.(error);
    reply({ type: 'job-exit', jobId, code: null, error });
  };

  const start = (jobId: number, rawArgs: unknown): void => {
    if (jobs.has(jobId)) return refuse(jobId, `job refused: job ${jobId} is already running`);
    if (jobs.size >= MAX_JOBS) return refuse(jobId, `job refused: ${MAX_JOBS} jobs are running already`);
    if (!workspace) return refuse(jobId, 'job refused: the engine has not opened its workspace');
    let args: string[];
    let child: UtilityProcessPort;
    try {
      args = validateJobArgs(rawArgs, workspace);
      child = options.forkJob(args);
    } catch (err) {
      return refuse(jobId, (err instanceof Error ? err.message : String(err)).split('\n')[0]!);
    }
    jobs.set(jobId, child);
    // Taken now: Electron sets them to null once the process exited.
    const streams = (['stdout', 'stderr'] as const).flatMap((name) => {
      const s = child[name];
      if (!s) return [];
      s.setEncoding('utf8');
      s.on('data', (data: string) => reply({ type: 'job-output', jobId, stream: name, data }));
      return [new Promise<void>((resolve) => s.once('end', () => resolve()))];
    });
    child.on('exit', (code) => {
      // The exit may come before the last output was read: report it after the streams ended (or a while).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.drainMs ?? DRAIN_MS);
      });
      void Promise.race([Promise.all(streams), late]).then(() => {
        clearTimeout(timer);
        jobs.delete(jobId);
        reply({ type: 'job-exit', jobId, code });
      });
    });
  };

  engine.on('message', (m) => {
    const o = m as { type?: unknown; workspace?: unknown } | null;
    if (o?.type === 'ready' && typeof o.workspace === 'string') {
      workspace = o.workspace;
      return;
    }
    if (!isJobRequest(m)) return;
    if (m.type === 'job-start') return start(m.jobId, m.args);
    const child = jobs.get(m.jobId);
    if (!child) return;
    if (m.signal === 'interrupt') child.postMessage({ type: 'cancel' } satisfies JobCancel);
    else child.kill();
  });
  const stop = (): void => {
    stopped = true;
    for (const child of jobs.values()) child.kill();
    jobs.clear();
  };
  engine.on('exit', stop);
  return { stop };
}
