// The engine's job launcher inside the desktop app: each job is a utility process that the main process forks
// on request (engine-process-protocol.ts, job-* messages; src-main/job-relay.ts), since a utility process can
// neither fork one itself nor run the Node binary (process.execPath is the app). The handle looks like a
// child process to training-jobs.ts and predict-child.ts: the relayed output arrives on its stdout and
// stderr streams, the exit as 'close' after both ended, kill() becomes a job-signal message.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { JobFromEngine, JobToEngine } from './engine-process-protocol.ts';
import type { JobHandle, JobLauncher } from './job-launcher.ts';

/** The engine process's message port (process.parentPort), as far as jobs use it. */
export interface JobPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: JobFromEngine): void;
}

class RelayedJob extends EventEmitter implements JobHandle {
  readonly stdout = new PassThrough({ encoding: 'utf8' });
  readonly stderr = new PassThrough({ encoding: 'utf8' });
  ended = false;

  constructor(private readonly jobId: number, private readonly port: JobPort) {
    super();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.ended) return false;
    this.port.postMessage({ type: 'job-signal', jobId: this.jobId, signal: signal === 'SIGINT' ? 'interrupt' : 'kill' });
    return true;
  }

  output(stream: 'stdout' | 'stderr', data: string): void {
    if (!this.ended) this[stream].write(data);
  }

  /** Ends the streams, then says 'close' once their last lines were read (as a child process's 'close' does). */
  exit(code: number | null, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    // As a child process that could not start: 'error', then 'close' (an 'error' nobody listens to would throw).
    if (error && this.listenerCount('error') > 0) this.emit('error', new Error(error));
    const drained = [this.stdout, this.stderr].map((s) => new Promise<void>((resolve) => {
      s.once('end', () => resolve());
      // Nobody reads it: drop what is buffered so 'end' can come.
      if (!s.readableFlowing) s.resume();
      s.end();
    }));
    void Promise.all(drained).then(() => this.emit('close', code));
  }
}

function isJobMessage(m: unknown): m is JobToEngine {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (!Number.isSafeInteger(o.jobId)) return false;
  if (o.type === 'job-output') return (o.stream === 'stdout' || o.stream === 'stderr') && typeof o.data === 'string';
  if (o.type === 'job-exit') return (o.code === null || Number.isSafeInteger(o.code)) && (o.error === undefined || typeof o.error === 'string');
  return false;
}

/** A launcher whose jobs the main process runs; listens on `port` for their output and exits. */
export function relayJobLauncher(port: JobPort): JobLauncher {
  const jobs = new Map<number, RelayedJob>();
  let next = 1;
  port.on('message', ({ data }) => {
    // Other messages on this port are the engine's requests (engine-process.ts answers those).
    if (!isJobMessage(data)) return;
    const job = jobs.get(data.jobId);
    if (!job) return;
    if (data.type === 'job-output') job.output(data.stream, data.data);
    else {
      jobs.delete(data.jobId);
      job.exit(data.code, data.error);
    }
  });
  return (args) => {
    const jobId = next++;
    const job = new RelayedJob(jobId, port);
    jobs.set(jobId, job);
    port.postMessage({ type: 'job-start', jobId, args: [...args] });
    return job;
  };
}
