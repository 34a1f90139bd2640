// The web host over real HTTP on an ephemeral port: the token, Host and Origin guards, the API, DICOM bytes
// only from the index, static files without traversal, the WebSocket job events, and `ich serve`'s first line.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listSeries } from '../store/queries.ts';
import { Workspace } from '../store/workspace.ts';
import { makeSynthWorkspace } from '../testing/synth-workspace.ts';
import { registerServeCommand } from '../cli/serve-command.ts';
import type { ScanSeries } from '../api/scan.ts';
import type { JobEvent, SeriesDetail, StudyRow } from '../api/engine.ts';
import { seedPredictions } from './test-fixtures.ts';
import { startWebHost, type WebHost } from './web-host.ts';

let root: string;
let wsDir: string;
let staticDir: string;
let series: ScanSeries[];
let host: WebHost;

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/** A raw request: the path is sent exactly as given (no normalisation), headers as given. */
function request(pathAndQuery: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; port?: number } = {}): Promise<Reply> {
  const port = opts.port ?? host.port;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: pathAndQuery, headers: { host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const api = (method: string, body: unknown, headers: Record<string, string> = {}) => request(`/api/${method}`, {
  method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'content-type': 'application/json', 'x-ich-token': host.token, ...headers },
});

const json = <T>(r: Reply): T => JSON.parse(r.body.toString('utf8')) as T;

function expectOneLineError(r: Reply, status: number): string {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const { error } = json<{ error: string }>(r);
  expect(typeof error).toBe('string');
  expect(error).not.toContain('\n');
  return error;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-webhost-'));
  wsDir = await makeSynthWorkspace(root, { studies: 3, seed: 1, size: 64 });
  const ws = Workspace.open(wsDir);
  series = listSeries(ws);
  seedPredictions(ws, series);
  ws.close();
  staticDir = path.join(root, 'static');
  mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>renderer</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(staticDir, 'assets', 'codec.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(path.join(root, 'secret.txt'), 'SECRET');
  symlinkSync(path.join(root, 'secret.txt'), path.join(staticDir, 'assets', 'link.txt'));
  host = await startWebHost({ workspace: wsDir, port: 0, staticDir });
});

afterAll(async () => {
  await host?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('web host guards', () => {
  it('binds 127.0.0.1 only and prints a URL with a 32-byte token', () => {
    const addr = host.server.address();
    expect(addr).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(host.token).toMatch(/^[0-9a-f]{64}$/);
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
  });

  it('requires the token for the page, the API, DICOM and the socket', async () => {
    expectOneLineError(await request('/'), 403);
    expectOneLineError(await request(`/?token=${'0'.repeat(64)}`), 403);
    expectOneLineError(await request('/?token='), 403);
    expectOneLineError(await api('info', {}, { 'x-ich-token': 'wrong' }), 403);
    expectOneLineError(await request('/api/info', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }), 403);
    expectOneLineError(await request(`/dicom/${series[0]!.instances[0]}`), 403);
    expectOneLineError(await request(`/dicom/${series[0]!.instances[0]}?token=bad`), 403);
    const page = await request(`/?token=${host.token}`);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('renderer');
    expect((await api('info', {})).status).toBe(200);
    expect((await request(`/api/info?token=${host.token}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(200);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (CSRF)', async () => {
    for (const h of ['evil.example', `evil.example:${host.port}`, '127.0.0.1', `127.0.0.1:${host.port + 1}`]) {
      expectOneLineError(await request(`/?token=${host.token}`, { headers: { host: h } }), 403);
      expectOneLineError(await api('info', {}, { host: h }), 403);
    }
    expect((await request(`/?token=${host.token}`, { headers: { host: `localhost:${host.port}` } })).status).toBe(200);
    for (const o of ['http://evil.example', 'null', `http://127.0.0.1:${host.port + 1}`, `https://127.0.0.1:${host.port}`]) {
      expectOneLineError(await api('info', {}, { origin: o }), 403);
    }
    expect((await api('info', {}, { origin: `http://127.0.0.1:${host.port}` })).status).toBe(200);
  });

  it('sends the security headers and no CORS headers', async () => {
    const r = await request(`/?token=${host.token}`);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain(`connect-src 'self' data: ws://127.0.0.1:${host.port}`);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    const a = await api('info', {}, { origin: `http://127.0.0.1:${host.port}` });
    for (const res of [r, a]) expect(Object.keys(res.headers).filter((k) => k.startsWith('access-control'))).toEqual([]);
  });
});

describe('web host API', () => {
  it('answers the worklist, a series and its predictions', async () => {
    const rows = json<StudyRow[]>(await api('listStudies', {}));
    expect(rows.map((r) => r.studyUid)).toEqual(series.map((s) => s.studyInstanceUid));
    expect(rows[0]!.flagged).toBe(true);
    const s = json<SeriesDetail>(await api('getSeries', { seriesUid: series[0]!.seriesInstanceUid }));
    expect(s.slices.map((x) => x.imageId)).toEqual(series[0]!.instances);
    expect(s.slices[0]!.dicomUrl).toBe(`/dicom/${encodeURIComponent(series[0]!.instances[0]!)}?token=${host.token}`);
    expect((await api('getPredictions', { seriesUid: series[0]!.seriesInstanceUid })).status).toBe(200);
    expect((await api('getSliceDetail', { imageId: series[0]!.instances[0] })).status).toBe(200);
  });

  it('malformed JSON, invalid params, unknown methods, wrong verbs and big bodies get a one-line JSON error', async () => {
    expect(expectOneLineError(await api('listStudies', '{"filter":'), 400)).toMatch(/malformed JSON/);
    expect(expectOneLineError(await api('getSeries', { seriesUid: '../etc' }), 400)).toMatch(/seriesUid/);
    expectOneLineError(await api('getSeries', { seriesUid: 5 }), 400);
    expectOneLineError(await api('getSeries', {}), 400);
    expectOneLineError(await api('getSeries', [1]), 400);
    expectOneLineError(await api('listStudies', { threshold: 'x' }), 400);
    expectOneLineError(await api('listStudies', { threshold: 2 }), 400);
    expectOneLineError(await api('listStudies', { extra: 1 }), 400);
    expect(expectOneLineError(await api('addFolder', { path: 'relative/dir' }), 400)).toMatch(/absolute/);
    expectOneLineError(await api('getSeries', { seriesUid: 'ID_unknown' }), 404);
    expectOneLineError(await api('dropWorkspace', {}), 404);
    expectOneLineError(await api('constructor', {}), 404);
    expectOneLineError(await request(`/api/info?token=${host.token}`), 405);
    expectOneLineError(await api('info', '{}', { 'content-type': 'text/plain' }), 415);
    expectOneLineError(await api('listStudies', JSON.stringify({ filter: 'x'.repeat(2 * 1024 * 1024) })), 413);
  });

  it('training requests are validated before anything starts: presets by name only, known stages, absolute paths', async () => {
    expect(expectOneLineError(await api('startTraining', { preset: path.join(root, 'preset.json') }), 400)).toMatch(/preset must be one of tiny, rsna/);
    expect(expectOneLineError(await api('startTraining', { preset: 'tiny', stages: ['base', 'nope'] }), 400)).toMatch(/unknown stage "nope"/);
    expect(expectOneLineError(await api('startTraining', { preset: 'tiny', stages: [] }), 400)).toMatch(/non-empty/);
    expect(expectOneLineError(await api('startTraining', { preset: 'tiny', data: 'rel' }), 400)).toMatch(/data must be an absolute path/);
    expect(expectOneLineError(await api('startTraining', { preset: 'tiny', args: ['--folds', '9'] }), 400)).toMatch(/unknown field "args"/);
    expect(expectOneLineError(await api('cancelTraining', { jobId: 'train-404' }), 404)).toMatch(/no training job/);
    expect(expectOneLineError(await api('getTrainingHistory', { jobId: '../x' }), 400)).toMatch(/jobId/);
    expect(json(await api('listTrainingJobs', {}))).toEqual([]);
    expect(Array.isArray(json(await api('listRuns', {})))).toBe(true);
  });
});

describe('web host DICOM and static files', () => {
  it('streams the indexed file bytes of an image id, 404 for an unknown id', async () => {
    const ws = Workspace.open(wsDir);
    const id = series[1]!.instances[3]!;
    const file = (ws.db.prepare('SELECT f.path FROM instances i JOIN files f USING (file_id) WHERE i.image_id = ?').get(id) as { path: string }).path;
    ws.close();
    const r = await request(`/dicom/${encodeURIComponent(id)}?token=${host.token}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/dicom');
    expect(r.body.equals(readFileSync(file))).toBe(true);
    expectOneLineError(await request(`/dicom/ID_000000000?token=${host.token}`), 404);
  });

  it('never serves a path from the request: traversal, encoded slashes and absolute paths are refused', async () => {
    const t = `token=${host.token}`;
    const attempts = [
      `/dicom/..%2F..%2Fsecret.txt?${t}`, `/dicom/../../secret.txt?${t}`, `/dicom/%2E%2E%2Fsecret.txt?${t}`,
      `/dicom/${encodeURIComponent(path.join(root, 'secret.txt'))}?${t}`, `/dicom//${path.join(root, 'secret.txt')}?${t}`,
      `/dicom/..?${t}`, `/dicom/%00?${t}`, `/dicom/..%5C..%5Csecret.txt?${t}`, `/dicom/%ZZ?${t}`,
      `/../secret.txt?${t}`, `/assets/../../secret.txt`, `/assets/..%2F..%2Fsecret.txt`, `/%2E%2E/secret.txt`,
      `/assets/link.txt`, `/assets/`, `/assets`, `/.hidden`, `/${encodeURIComponent(path.join(root, 'secret.txt'))}`,
      `//etc/passwd`, `/api/../dicom/x?${t}`,
    ];
    for (const a of attempts) {
      const r = await request(a);
      expect([400, 403, 404], a).toContain(r.status);
      expect(r.body.toString(), a).not.toContain('SECRET');
      expectOneLineError(r, r.status);
    }
    // An absolute-form request target names another host: refused before routing.
    expect((await request(`http://127.0.0.1:${host.port}/?${t}`)).status).toBe(400);
  });

  it('serves the renderer assets with their content types, no listings', async () => {
    const js = await request('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await request('/assets/codec.wasm')).headers['content-type']).toBe('application/wasm');
    expectOneLineError(await request('/assets/missing.js'), 404);
    expectOneLineError(await request('/assets/app.js', { method: 'POST', body: '' }), 405);
  });

  it('shows the placeholder page when no renderer is built', async () => {
    const bare = await startWebHost({ workspace: wsDir, staticDir: null });
    try {
      const r = await request(`/?token=${bare.token}`, { port: bare.port });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body.toString()).toMatch(/renderer is not built/);
      expect((await request('/assets/app.js', { port: bare.port })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe('web host events', () => {
  it('upgrades /ws with the token and pushes the job events of addFolder', async () => {
    const sock = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const events: JobEvent[] = [];
    sock.addEventListener('message', (m) => events.push(JSON.parse(String(m.data)) as JobEvent));
    await new Promise((resolve, reject) => {
      sock.addEventListener('open', resolve);
      sock.addEventListener('error', reject);
    });
    const { jobId } = json<{ jobId: string }>(await api('addFolder', { path: path.join(root, 'data') }));
    await vi.waitFor(() => expect(events.some((e) => e.jobId === jobId && e.status === 'done')).toBe(true), { timeout: 30_000, interval: 20 });
    const mine = events.filter((e) => e.jobId === jobId);
    expect(mine[0]).toMatchObject({ type: 'job', status: 'queued' });
    expect(mine.some((e) => e.status === 'running')).toBe(true);
    expect(mine.at(-1)!.total).toBeGreaterThan(0);
    sock.close();
  });

  it('a training job\'s state arrives as training events, and a socket that connects later gets it replayed', async () => {
    const live: { type: string; state?: { jobId: string; status: string; error?: string } }[] = [];
    const sock = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    sock.addEventListener('message', (m) => live.push(JSON.parse(String(m.data)) as (typeof live)[number]));
    await new Promise((resolve, reject) => {
      sock.addEventListener('open', resolve);
      sock.addEventListener('error', reject);
    });
    // A real `ich pipeline` child that fails at once. With a data folder the patient count is checked in
    // the child after its scan (a wrong request without one is refused before any child starts): an empty
    // folder and 20 folds fail there.
    const empty = path.join(root, 'empty-data');
    mkdirSync(empty, { recursive: true });
    const { jobId } = json<{ jobId: string }>(await api('startTraining', { preset: 'tiny', stages: ['base'], data: empty, folds: 20 }));
    await vi.waitFor(() => expect(live.filter((e) => e.type === 'training' && e.state?.jobId === jobId).at(-1)?.state).toMatchObject({ status: 'failed' }), { timeout: 60_000, interval: 50 });
    const end = live.filter((e) => e.type === 'training').at(-1)!.state!;
    expect(end.error).toMatch(/no labelled images|cannot fill 20 folds/);
    sock.close();
    const later = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`);
    const replay: typeof live = [];
    later.addEventListener('message', (m) => replay.push(JSON.parse(String(m.data)) as (typeof live)[number]));
    await vi.waitFor(() => expect(replay.find((e) => e.type === 'training')?.state).toMatchObject({ jobId, status: 'failed' }), { timeout: 10_000, interval: 20 });
    later.close();
  }, 90_000);

  it('refuses the upgrade without the token or from a foreign origin', async () => {
    const upgrade = (query: string, headers: Record<string, string> = {}) => new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: `/ws${query}`, headers: {
        host: `127.0.0.1:${host.port}`, connection: 'Upgrade', upgrade: 'websocket',
        'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers,
      } });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(await upgrade(`?token=${host.token}`)).toBe(101);
    expect(await upgrade('')).toBe(403);
    expect(await upgrade('?token=nope')).toBe(403);
    expect(await upgrade(`?token=${host.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(`?token=${host.token}`, { host: 'evil.example' })).toBe(403);
  });
});

describe('ich serve', () => {
  it('prints the URL as its first stdout line and stops when closed', async () => {
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let started: WebHost | undefined;
    const program = new Command('ich').exitOverride();
    registerServeCommand(program, { onStart: (h) => (started = h) });
    const done = program.parseAsync(['serve', '--workspace', wsDir, '--port', '0'], { from: 'user' });
    try {
      await vi.waitFor(() => expect(started).toBeDefined(), { timeout: 10_000 });
      expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}\n$/);
      const url = new URL(lines[0]!.trim());
      expect((await request(`/?token=${url.searchParams.get('token')}`, { port: Number(url.port) })).status).toBe(200);
    } finally {
      write.mockRestore();
      stderr.mockRestore();
      await started?.close();
    }
    await done;
  });
});
