// The job-event WebSocket: opened while someone listens, reopened with backoff when it drops (the host
// replays every job's latest state on connect, so nothing is lost across a reconnect).
import type { EngineEvent } from '../../src-ml/api/engine.ts';

/** The part of a WebSocket the client uses, so tests can pass a fake. */
export interface SocketLike {
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  close(code?: number): void;
}
export type SocketFactory = (url: string) => SocketLike;
export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

const MAX_BACKOFF_FACTOR = 16;

export class EventSocket {
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private readonly stateListeners = new Set<(s: SocketState) => void>();
  private socket: SocketLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;

  constructor(private readonly url: string, private readonly factory: SocketFactory, private readonly reconnectMs: number) {}

  subscribe(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.shutdown();
    };
  }

  onState(listener: (s: SocketState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private emitState(s: SocketState): void {
    for (const l of this.stateListeners) l(s);
  }

  private open(): void {
    this.emitState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const s = this.factory(this.url);
    this.socket = s;
    s.onopen = () => {
      this.attempt = 0;
      this.emitState('open');
    };
    s.onmessage = (ev) => {
      const e = parseEvent(ev.data);
      if (e) for (const l of this.listeners) l(e);
    };
    s.onerror = () => {}; // onclose follows and schedules the retry
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      if (this.listeners.size === 0) return;
      const delay = this.reconnectMs * Math.min(2 ** this.attempt, MAX_BACKOFF_FACTOR);
      this.attempt++;
      this.emitState('reconnecting');
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.listeners.size > 0) this.open();
      }, delay);
    };
  }

  private shutdown(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    this.attempt = 0;
    s?.close(1000);
    this.emitState('closed');
  }
}

/** Only well-formed job, training and versions events get through; a malformed frame is dropped, never thrown into the UI. */
export function parseEvent(data: unknown): EngineEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const v = JSON.parse(data) as Record<string, unknown> | null;
    if (v && v.type === 'job' && typeof v.jobId === 'string' && typeof v.done === 'number' && typeof v.total === 'number') return v as unknown as EngineEvent;
    if (v && v.type === 'versions' && (typeof v.active === 'string' || v.active === null)) return v as unknown as EngineEvent;
    const st = v?.type === 'training' ? (v.state as Record<string, unknown> | null) : null;
    if (st && typeof st === 'object' && typeof st.jobId === 'string' && typeof st.status === 'string'
      && typeof st.stages === 'object' && st.stages !== null) return v as unknown as EngineEvent;
  } catch {
    // dropped
  }
  return null;
}
