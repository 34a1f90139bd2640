// The web host behind `ich serve`: the engine API over HTTP (POST /api/<method>), job and training events over a WebSocket
// (GET /ws), DICOM bytes of indexed images (GET /dicom/<imageId>, only while the file is still the indexed one:
// served-dicom.ts), and the built renderer's static files.
// Bound to 127.0.0.1 only; every request passes the Host/Origin checks, and everything but the renderer's
// assets needs the token (see http-guard.ts). The assets (scripts, styles, wasm) hold no patient data, and a
// browser cannot add the token to the requests a page makes for them; the page itself, the API, the DICOM
// bytes and the event socket all need it.
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { EngineError } from '../api/engine.ts';
import { errorMessage } from '../base/errors.ts';
import { Workspace } from '../store/workspace.ts';
import { dispatch } from './dispatch.ts';
import { indexedFileRecordLookup } from './indexed-files.ts';
import { dicomNodeStream, openIndexedDicom } from './served-dicom.ts';
import { EngineService } from './engine-service.ts';
import { checkHostAndOrigin, hasToken, newToken } from './http-guard.ts';
import { PLACEHOLDER_PAGE, resolveStatic } from './static-files.ts';
import { acceptUpgrade, rejectUpgrade, type WebSocketConnection } from './websocket.ts';

export const BIND_ADDRESS = '127.0.0.1';
export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebHostOptions {
  workspace: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Folder of the built renderer; null or missing: the placeholder page. */
  staticDir?: string | null;
  /** Token to require (default: 32 random bytes, hex). */
  token?: string;
}

export interface WebHost {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  server: Server;
  service: EngineService;
  close(): Promise<void>;
}

/** The renderer build next to the repository, when there is one. */
export function defaultStaticDir(): string | null {
  const dir = new URL('../../dist-renderer/', import.meta.url);
  return existsSync(dir) ? decodeURIComponent(dir.pathname) : null;
}

/**
 * The page's headers. Scripts come only from this server. The DICOM decode worker is a blob the wado image loader
 * builds inline, so it runs under this same policy: it needs 'wasm-unsafe-eval' for its codecs, and 'unsafe-eval'
 * too, because their Emscripten embind glue (CharLS, OpenJPEG, libjpeg-turbo) creates functions with
 * `new Function`; without it every JPEG-LS, JPEG 2000 and JPEG image failed to decode in Chromium ("Evaluating a
 * string as JavaScript violates the following Content Security Policy directive"). The codecs' wasm is embedded
 * as data: URLs that the Emscripten loader fetch()es, hence `data:` in connect-src ("Failed to fetch" without it).
 * The page itself loads no remote content and renders no HTML from data.
 */
export function securityHeaders(port: number): Record<string, string> {
  const ws = [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`].join(' ');
  return {
    'Content-Security-Policy': [
      "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'", "worker-src 'self' blob:", "img-src 'self' data: blob:",
      `connect-src 'self' data: ${ws}`, "style-src 'self' 'unsafe-inline'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The token is in the page URL: never send it on as a Referer.
    'Referrer-Policy': 'no-referrer',
  };
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof EngineError) return err.code === 'invalid' ? 400 : err.code === 'not_found' ? 404 : 500;
  return 500;
}

/** The request body, at most MAX_BODY_BYTES; past that the rest is read and dropped so the 413 reaches the client. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooBig = () => new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    const chunks: Buffer[] = [];
    let size = Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES ? Infinity : 0;
    if (size === Infinity) reject(tooBig());
    req.on('data', (c: Buffer) => {
      if (size === Infinity) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        size = Infinity;
        chunks.length = 0;
        reject(tooBig());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? newToken();
  const staticDir = options.staticDir === undefined ? defaultStaticDir() : options.staticDir;
  const ws = Workspace.open(options.workspace);
  let port = 0;
  const service = new EngineService(ws, { dicomUrl: (id) => `/dicom/${encodeURIComponent(id)}?token=${token}` });
  const fileOf = indexedFileRecordLookup(ws);
  const sockets = new Set<WebSocketConnection>();

  const send = (res: ServerResponse, status: number, body: string, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...securityHeaders(port), 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', ...extra });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
  const sendError = (res: ServerResponse, status: number, message: string) => {
    if (res.headersSent) return void res.destroy();
    send(res, status, JSON.stringify({ error: message.split('\n')[0] }), 'application/json; charset=utf-8', status === 413 ? { Connection: 'close' } : {});
  };

  const api = async (req: IncomingMessage, res: ServerResponse, method: string) => {
    if (req.method !== 'POST') throw new HttpError(405, 'the API takes POST requests');
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'the API takes Content-Type: application/json');
    const raw = (await readBody(req)).toString('utf8');
    let body: unknown;
    try {
      body = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'malformed JSON in the request body');
    }
    sendJson(res, 200, await dispatch(service, method, body));
  };

  const dicom = async (req: IncomingMessage, res: ServerResponse, segment: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'DICOM files take GET requests');
    let id: string;
    try {
      id = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, 'malformed image id');
    }
    // The file comes from the index by image id, never from the request: nothing outside the index can be read.
    const file = fileOf(id);
    if (file === null) throw new HttpError(404, `no image ${id} in the workspace`);
    // Served only while it is still the indexed file (a regular file, same identity, size capped): served-dicom.ts.
    const opened = await openIndexedDicom(id, file);
    if (!opened.ok) throw new HttpError(opened.status, opened.message);
    res.writeHead(200, { ...securityHeaders(port), 'Content-Type': 'application/dicom', 'Content-Length': String(opened.size), 'Cache-Control': 'private, no-store' });
    if (req.method === 'HEAD') {
      await opened.handle.close();
      return void res.end();
    }
    // pipeline: a client that goes away closes the file too.
    pipeline(dicomNodeStream(opened), res, () => undefined);
  };

  const statics = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET here');
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (isPage && !hasToken(req, url, token)) throw new HttpError(403, 'open the URL ich serve printed (with its token)');
    if (!staticDir) {
      if (isPage) return send(res, 200, PLACEHOLDER_PAGE, 'text/html; charset=utf-8');
      throw new HttpError(404, 'not found');
    }
    const f = resolveStatic(staticDir, url.pathname);
    if (!f) throw new HttpError(404, 'not found');
    res.writeHead(200, { ...securityHeaders(port), 'Content-Type': f.contentType, 'Content-Length': String(f.stat.size), 'Cache-Control': isPage ? 'no-store' : 'no-cache' });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(f.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '';
    if (!target.startsWith('/')) throw new HttpError(400, 'bad request target');
    const refused = checkHostAndOrigin(req, port);
    if (refused) throw new HttpError(403, refused);
    // Parse without normalising dot segments away: route on the raw path, so `/dicom/../x` is never a DICOM request.
    const rawPath = target.split('?')[0]!;
    const url = new URL(target, `http://${BIND_ADDRESS}:${port}`);
    // The URL parser resolves `..` and `%2e%2e` segments; a path it changed is refused outright.
    if (rawPath !== url.pathname) throw new HttpError(400, 'dot segments are not allowed in paths');
    if (rawPath.startsWith('/api/') || rawPath.startsWith('/dicom/') || rawPath === '/ws') {
      if (!hasToken(req, url, token)) throw new HttpError(403, 'missing or wrong token');
      if (rawPath.startsWith('/api/')) return await api(req, res, rawPath.slice('/api/'.length));
      if (rawPath === '/ws') throw new HttpError(400, '/ws takes a WebSocket upgrade');
      const segment = rawPath.slice('/dicom/'.length);
      if (segment.includes('/')) throw new HttpError(400, 'image id must not contain "/"');
      return await dicom(req, res, segment);
    }
    statics(req, res, url);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = statusOf(err);
      sendError(res, status, status === 500 ? `internal error: ${errorMessage(err)}` : errorMessage(err));
    });
  });
  server.requestTimeout = 60_000;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const target = req.url ?? '';
    const url = new URL(target.startsWith('/') ? target : '/', `http://${BIND_ADDRESS}:${port}`);
    const refused = checkHostAndOrigin(req, port);
    if (refused) return rejectUpgrade(socket, 403, refused);
    if (target.split('?')[0] !== '/ws') return rejectUpgrade(socket, 404, 'WebSocket endpoint is /ws');
    if (!hasToken(req, url, token)) return rejectUpgrade(socket, 403, 'missing or wrong token');
    if (head.length) socket.unshift(head);
    const conn = acceptUpgrade(req, socket);
    if (!conn) return;
    sockets.add(conn);
    conn.onClose = () => sockets.delete(conn);
    // A renderer that (re)connects learns the state of every job so far, training jobs included.
    void service.listJobs().then((jobs) => { for (const j of jobs) conn.sendText(JSON.stringify(j)); });
    void service.listTrainingJobs().then((jobs) => { for (const state of jobs) conn.sendText(JSON.stringify({ type: 'training', state })); });
  });

  const unsubscribe = service.onEvent((e) => {
    const text = JSON.stringify(e);
    for (const s of sockets) s.sendText(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(
      err.code === 'EADDRINUSE' ? `port ${options.port} is in use on ${BIND_ADDRESS}; pass another --port (0 = any free port)` : errorMessage(err))));
    server.listen(options.port ?? 0, BIND_ADDRESS, () => resolve());
  }).catch((err: unknown) => {
    ws.close();
    throw err;
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    unsubscribe();
    for (const s of sockets) s.close(1001);
    await service.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    ws.close();
  })());

  return { url: `http://${BIND_ADDRESS}:${port}/?token=${token}`, port, token, server, service, close };
}
