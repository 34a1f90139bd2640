// The one EngineClient over HTTP + WebSocket, for the renderer served by `ich serve`. Every method of the
// contract's table (src-shared/engine-methods.ts) is POST /api/<method> with the token header and the body the
// table makes from the call's arguments; failures become one-line errors the UI can show as they are.
import type { EngineEvent } from '../../src-shared/engine.ts';
import { EngineProxy, type EngineClient, type EngineMethod, type EngineSend } from '../../src-shared/engine-methods.ts';
import { EventSocket, type SocketFactory, type SocketState } from './event-socket.ts';

/** The token `ich serve` put in the page URL (`?token=`); empty when absent (every call then gets a 403). */
export function tokenFromSearch(search: string): string {
  return new URLSearchParams(search).get('token') ?? '';
}

/** An engine failure as one line, prefixed with the method so the user knows what failed. */
export class EngineCallError extends Error {
  constructor(readonly method: string, readonly status: number | null, detail: string) {
    super(`${method}: ${detail.replace(/\s*\n\s*/g, ' ').trim()}`);
    this.name = 'EngineCallError';
  }
}

export interface HttpClientOptions {
  token: string;
  /** Origin + path the host serves from, e.g. http://127.0.0.1:8080/ (default: the page's origin). */
  baseUrl: string;
  fetch?: typeof fetch;
  socketFactory?: SocketFactory;
  /** First reconnect delay; doubles up to 16x. */
  reconnectMs?: number;
}

/** Sends one request: POST /api/<method> with the token header; the response's JSON, or an EngineCallError. */
function httpSend(token: string, base: URL, doFetch: typeof fetch): EngineSend {
  return async (method: EngineMethod, body: Record<string, unknown>): Promise<unknown> => {
    let res: Response;
    try {
      res = await doFetch(new URL(`api/${method}`, base).href, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-ich-token': token },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new EngineCallError(method, null, `engine unreachable (${err instanceof Error ? err.message : String(err)})`);
    }
    const text = await res.text();
    if (!res.ok) throw new EngineCallError(method, res.status, errorLine(res.status, text));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new EngineCallError(method, res.status, 'the engine sent a response that is not JSON');
    }
  };
}

export class HttpEngineClient extends EngineProxy implements EngineClient {
  private readonly events: EventSocket;

  constructor(options: HttpClientOptions) {
    const base = new URL(options.baseUrl);
    // Bound so a test's fake or window.fetch is called with the right `this`.
    super(httpSend(options.token, base, options.fetch ?? globalThis.fetch.bind(globalThis)));
    const ws = new URL(`ws?token=${encodeURIComponent(options.token)}`, base);
    ws.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    this.events = new EventSocket(ws.href, options.socketFactory ?? ((url) => new WebSocket(url)), options.reconnectMs ?? 1000);
  }

  /** Builds the client for the page `ich serve` served: token from the URL, API at the page's origin. */
  static fromLocation(loc: Pick<Location, 'search' | 'origin'> = window.location): HttpEngineClient {
    return new HttpEngineClient({ token: tokenFromSearch(loc.search), baseUrl: `${loc.origin}/` });
  }

  onEvent(listener: (e: EngineEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** Connection state of the event socket, for a "reconnecting" hint. */
  onSocketState(listener: (s: SocketState) => void): () => void {
    return this.events.onState(listener);
  }
}

/** The host answers `{"error": "..."}`; anything else (a proxy's HTML page) is reduced to the status. */
function errorLine(status: number, text: string): string {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as { error?: unknown }).error === 'string') return (v as { error: string }).error;
  } catch {
    // not JSON: fall through
  }
  return status === 403 ? 'refused (open the URL `ich serve` printed, with its token)' : `HTTP ${status}`;
}
