// The main process's side of the engine host process: starts it (an Electron utility process running
// src-ml/host/engine-process-entry.cjs), sends it requests and matches the answers, forwards its events,
// and restarts it when it dies. A crash fails the requests in flight with one line, and every job that was
// queued or running (a scan's `job` event, a training run's `training` event) is reported to the renderer
// as failed (status 'failed', a one-line `error`). Too many crashes in a row and it stops restarting, and
// says why.
import type { EngineEvent } from '../src-shared/engine.ts';
import { EngineError } from '../src-shared/engine-validate.ts';
import type { FromEngine, ToEngine } from '../src-ml/host/engine-process-protocol.ts';
import { asIndexedFile, type IndexedFile } from '../src-ml/host/indexed-files.ts';
import type { UtilityProcessPort } from './electron-port.ts';

export interface EngineHostOptions {
  /** Starts one engine process (utilityProcess.fork of the entry with --workspace). */
  fork: () => UtilityProcessPort;
  /** Events for the renderer: the engine's own, and the 'failed' ones a crash causes. */
  onEvent: (e: EngineEvent) => void;
  /** One-line notices for the user (a crash, a restart, giving up). */
  onNotice?: (line: string) => void;
  /** The engine opened its workspace (after every start). */
  onReady?: (workspace: string) => void;
  /** Crashes tolerated within `crashWindowMs` before giving up (default 5 in 60 s). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Delay before a restart (default 500 ms). */
  restartDelayMs?: number;
}

interface Pending {
  message: ToEngine;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const ACTIVE: ReadonlySet<string> = new Set(['queued', 'running']);

/** The job an event reports on: scan jobs (`{type:'job', jobId, status}`), training jobs (`{type:'training', state:{jobId, status}}`). */
interface Tracked {
  /** The listing method that returns such jobs. */
  list: 'listJobs' | 'listTrainingJobs';
  jobId: string;
  status: string;
}

function trackedOf(e: EngineEvent): Tracked | null {
  const o = e as unknown as { type?: unknown; jobId?: unknown; status?: unknown; state?: { jobId?: unknown; status?: unknown } };
  if (o.type === 'job' && typeof o.jobId === 'string' && typeof o.status === 'string') return { list: 'listJobs', jobId: o.jobId, status: o.status };
  if (o.type === 'training' && typeof o.state?.jobId === 'string' && typeof o.state.status === 'string') {
    return { list: 'listTrainingJobs', jobId: o.state.jobId, status: o.state.status };
  }
  return null;
}

/** The event saying a job died with the engine; `listed` is what the job listing returns for it. */
function failedEvent(e: EngineEvent, error: string): { event: EngineEvent; listed: unknown } {
  const o = e as unknown as Record<string, unknown>;
  if (o.type === 'training') {
    const state = { ...(o.state as object), status: 'failed', error, endedAt: new Date().toISOString() };
    return { event: { ...o, state } as unknown as EngineEvent, listed: state };
  }
  const event = { ...o, status: 'failed', error } as unknown as EngineEvent;
  return { event, listed: event };
}

export class EngineHost {
  private child: UtilityProcessPort | null = null;
  private ready = false;
  private stopped = false;
  private gaveUp: string | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Requests waiting for the process to say 'ready' (sent in order once it does). */
  private readonly waiting: number[] = [];
  /** Latest event of each job of the current process, by `<list>:<jobId>`. */
  private readonly jobs = new Map<string, { tracked: Tracked; event: EngineEvent }>();
  /** Jobs a crash failed, by `<list>:<jobId>`: still listed (listJobs, listTrainingJobs) after the restart. */
  private readonly lostJobs = new Map<string, { tracked: Tracked; listed: unknown }>();
  private crashes: number[] = [];
  private lastFatal: string | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private workspaceDir: string | null = null;

  constructor(private readonly options: EngineHostOptions) {}

  /** The workspace the running engine opened (after 'ready'). */
  get workspace(): string | null {
    return this.workspaceDir;
  }

  start(): void {
    if (this.child || this.stopped) return;
    this.ready = false;
    this.lastFatal = null;
    const child = this.options.fork();
    this.child = child;
    child.on('message', (m) => {
      if (this.child === child) this.onMessage(m as FromEngine);
    });
    child.on('exit', (code) => {
      if (this.child === child) this.onExit(code);
    });
  }

  /** An EngineClient call (the IPC router validated the body). */
  call(method: string, body: unknown): Promise<unknown> {
    return this.send({ type: 'request', id: 0, method, body }).then((value) => this.withLostJobs(method, value));
  }

  /** The file of an indexed image, or null when the index does not list it. */
  async fileOfImage(imageId: string): Promise<string | null> {
    try {
      const v = (await this.send({ type: 'file', id: 0, imageId })) as { path: string };
      return v.path;
    } catch (err) {
      if (err instanceof EngineError && (err.code === 'not_found' || err.code === 'invalid')) return null;
      throw err;
    }
  }

  /**
   * The indexed record of an image (path, size, mtime, identity: what the app:// route checks the opened file
   * against), a bare path from an engine that sends only that, or null when the index does not list it.
   */
  async indexedFileOfImage(imageId: string): Promise<IndexedFile | string | null> {
    try {
      const v = await this.send({ type: 'file', id: 0, imageId });
      const path = (v as { path?: unknown } | null)?.path;
      return asIndexedFile(v) ?? (typeof path === 'string' ? path : null);
    } catch (err) {
      if (err instanceof EngineError && (err.code === 'not_found' || err.code === 'invalid')) return null;
      throw err;
    }
  }

  /** Stops the engine for good (app quit): requests in flight fail, no restart. */
  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = null;
    this.failPending('the engine is shutting down');
    child?.kill();
  }

  private send(message: ToEngine): Promise<unknown> {
    if (this.stopped) return Promise.reject(new EngineError('internal', 'the engine is shut down'));
    if (this.gaveUp) return Promise.reject(new EngineError('internal', this.gaveUp));
    const id = this.nextId++;
    const msg = { ...message, id } as ToEngine;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { message: msg, resolve, reject });
      if (this.ready && this.child) this.child.postMessage(msg);
      else this.waiting.push(id);
    });
  }

  private onMessage(m: FromEngine): void {
    switch (m?.type) {
      case 'ready': {
        this.ready = true;
        this.workspaceDir = m.workspace;
        for (const id of this.waiting.splice(0)) {
          const p = this.pending.get(id);
          if (p) this.child?.postMessage(p.message);
        }
        this.options.onReady?.(m.workspace);
        return;
      }
      case 'response': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new EngineError(m.error.code, m.error.message));
        return;
      }
      case 'event': {
        const tracked = trackedOf(m.event);
        if (tracked) {
          const key = `${tracked.list}:${tracked.jobId}`;
          this.jobs.set(key, { tracked, event: m.event });
          this.lostJobs.delete(key);
        }
        this.options.onEvent(m.event);
        return;
      }
      case 'fatal':
        this.lastFatal = m.message;
        this.options.onNotice?.(m.message);
        return;
      default:
        return;
    }
  }

  private onExit(code: number): void {
    this.child = null;
    this.ready = false;
    if (this.stopped) return;
    const why = this.lastFatal ?? `the engine process stopped unexpectedly (exit code ${code})`;
    // Jobs that were queued or running died with the process: say so, once each.
    for (const [key, { tracked, event }] of this.jobs) {
      if (!ACTIVE.has(tracked.status)) continue;
      const failed = failedEvent(event, `${why}; the job was lost and the engine restarted`);
      this.lostJobs.set(key, { tracked, listed: failed.listed });
      this.options.onEvent(failed.event);
    }
    this.jobs.clear();
    const now = Date.now();
    const windowMs = this.options.crashWindowMs ?? 60_000;
    this.crashes = [...this.crashes.filter((t) => now - t < windowMs), now];
    if (this.crashes.length > (this.options.maxCrashes ?? 5)) {
      this.gaveUp = `${why}; it crashed ${this.crashes.length} times within ${Math.round(windowMs / 1000)} s, so it is not restarted (restart the app)`;
      this.options.onNotice?.(this.gaveUp);
      this.failPending(this.gaveUp);
      return;
    }
    this.options.onNotice?.(`${why}; restarting it`);
    // Requests in flight may have had effects; fail them rather than send them twice.
    this.failPending(`${why}; it was restarted, try again`, true);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, this.options.restartDelayMs ?? 500);
  }

  /** Rejects requests; with `sentOnly`, those not sent yet stay queued for the next process. */
  private failPending(message: string, sentOnly = false): void {
    const queued = new Set(this.waiting);
    for (const [id, p] of this.pending) {
      if (sentOnly && queued.has(id)) continue;
      this.pending.delete(id);
      p.reject(new EngineError('internal', message));
    }
    if (!sentOnly) this.waiting.length = 0;
  }

  /** listJobs / listTrainingJobs of a restarted engine, with the jobs the crash failed in front. */
  private withLostJobs(method: string, value: unknown): unknown {
    if (!Array.isArray(value)) return value;
    const lost = [...this.lostJobs.values()].filter((l) => l.tracked.list === method);
    if (!lost.length) return value;
    const live = new Set((value as { jobId?: unknown }[]).map((j) => j?.jobId));
    return [...lost.filter((l) => !live.has(l.tracked.jobId)).map((l) => l.listed), ...value];
  }
}
