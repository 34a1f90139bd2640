// The app:// protocol handler: the built renderer's files (dist-renderer) and, under /dicom/<imageId>, the
// bytes of indexed DICOM files. The same origin for both, so the page fetches images under its own CSP
// ('self') with no CORS. Refused: other hosts, methods other than GET/HEAD, dot segments (raw or encoded),
// encoded separators, paths outside the renderer folder (symlinks included: src-ml/host/static-files.ts),
// and any image the workspace index does not list (the engine looks the file up by image id; the request
// never names a path). An indexed file is streamed, never read whole into the main process, and only while it
// is still the file that was indexed (a regular file, same identity, size capped: src-ml/host/served-dicom.ts).
import { readFile } from 'node:fs/promises';
import { validateId, EngineError } from '../src-shared/engine-validate.ts';
import type { IndexedFile } from '../src-ml/host/indexed-files.ts';
import { dicomWebStream, openIndexedDicom } from '../src-ml/host/served-dicom.ts';
import { PLACEHOLDER_PAGE, resolveStatic } from '../src-ml/host/static-files.ts';
import { APP_HOST, APP_SCHEME, SECURITY_HEADERS } from './security.ts';

export interface AppProtocolDeps {
  /** The built renderer (dist-renderer); null when it is not built (the placeholder page is served). */
  rendererDir: string | null;
  /**
   * The file of an indexed image, or null when the index has no such image: its indexed record (checked against
   * the file opened), or a bare path (then only: no symlink, a regular file, the size cap).
   */
  fileOfImage: (imageId: string) => Promise<string | IndexedFile | null>;
}

function reply(status: number, body: string | Uint8Array | ReadableStream<Uint8Array> | null, type: string, extra: Record<string, string> = {}): Response {
  const headers = { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra };
  return new Response(body as ConstructorParameters<typeof Response>[0], { status, headers });
}

const refuse = (status: number, message: string) => reply(status, `${message}\n`, 'text/plain; charset=utf-8');

/** The path part of an app:// URL exactly as requested (before any normalisation). */
function rawPathOf(url: string): string | null {
  const prefix = `${APP_SCHEME}://${APP_HOST}`;
  if (url.slice(0, prefix.length).toLowerCase() !== prefix) return null;
  const rest = url.slice(prefix.length);
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?') && !rest.startsWith('#')) return null;
  const p = rest.split(/[?#]/)[0]!;
  return p === '' ? '/' : p;
}

export function createAppProtocolHandler(deps: AppProtocolDeps): (request: Request) => Promise<Response> {
  const dicom = async (segment: string, head: boolean): Promise<Response> => {
    if (segment.includes('/') || segment === '') return refuse(400, 'image id must be one path segment');
    let id: string;
    try {
      id = decodeURIComponent(segment);
      validateId(id, 'image id');
    } catch (err) {
      return refuse(400, err instanceof EngineError ? err.message : 'malformed image id');
    }
    const file = await deps.fileOfImage(id);
    if (file === null) return refuse(404, `no image ${id} in the workspace`);
    const opened = await openIndexedDicom(id, file);
    if (!opened.ok) return refuse(opened.status, opened.message);
    if (head) await opened.handle.close();
    return reply(200, head ? null : dicomWebStream(opened), 'application/dicom', { 'Content-Length': String(opened.size) });
  };

  return async (request) => {
    try {
      const head = request.method === 'HEAD';
      if (request.method !== 'GET' && !head) return refuse(405, 'only GET and HEAD');
      const raw = rawPathOf(request.url);
      if (raw === null) return refuse(404, 'not an app page');
      const url = new URL(request.url);
      // The URL parser resolves `..` and `%2e%2e` segments; a path it changed is refused outright.
      if (url.pathname !== raw) return refuse(400, 'dot segments are not allowed in paths');
      if (raw.startsWith('/dicom/')) return await dicom(raw.slice('/dicom/'.length), head);
      if (!deps.rendererDir) {
        return raw === '/' || raw === '/index.html' ? reply(200, PLACEHOLDER_PAGE, 'text/html; charset=utf-8') : refuse(404, 'not found');
      }
      const f = resolveStatic(deps.rendererDir, raw);
      if (!f) return refuse(404, 'not found');
      const body = head ? null : new Uint8Array(await readFile(f.file));
      return reply(200, body, f.contentType, { 'Content-Length': String(f.stat.size), 'Cache-Control': 'no-cache' });
    } catch (err) {
      return refuse(500, `internal error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  };
}
