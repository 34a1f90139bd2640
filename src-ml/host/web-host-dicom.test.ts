// GET /dicom/<id> of the web host over real HTTP when the indexed file was swapped under the index: a symlink
// to a secret, a link to /dev/zero, a FIFO, a touched or deleted file. Each is a one-line JSON error (410, or
// 404 for a file gone) with a rescan hint, answered at once, and never the secret's bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyCtWorkspace, type TinyCtWorkspace } from './served-dicom-fixture.ts';
import { startWebHost, type WebHost } from './web-host.ts';

let root: string;
let fx: TinyCtWorkspace;
let host: WebHost;
let ids: string[];
let secret: string;

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function get(id: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, method, path: `/dicom/${encodeURIComponent(id)}?token=${host.token}`,
      headers: { host: `127.0.0.1:${host.port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET /dicom/${id} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function expectRefused(r: Reply, status: number, pattern: RegExp): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const { error } = JSON.parse(r.body.toString('utf8')) as { error: string };
  expect(error).toMatch(pattern);
  expect(error).toMatch(/\(rescan its folder\)$/);
  expect(error).not.toContain('\n');
  expect(r.body.toString()).not.toContain('SECRET');
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-webhost-dicom-'));
  fx = await makeTinyCtWorkspace(root, 6);
  ids = [...fx.files.keys()];
  secret = path.join(root, 'secret.txt');
  writeFileSync(secret, 'SECRET');
  host = await startWebHost({ workspace: fx.wsDir, port: 0, staticDir: null });
}, 60_000);

afterAll(async () => {
  await host?.close();
  rmSync(root, { recursive: true, force: true });
});

const fileOf = (i: number) => fx.files.get(ids[i]!)!;

describe('web host /dicom/<id>: only the file that was indexed', () => {
  it('serves the indexed file, GET and HEAD, with its length', async () => {
    const r = await get(ids[0]!);
    expect(r.status).toBe(200);
    expect(r.body.equals(readFileSync(fileOf(0)))).toBe(true);
    expect(r.headers['content-length']).toBe(String(r.body.length));
    const head = await get(ids[0]!, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(r.body.length));
  });

  it('410 for an indexed file replaced by a symlink to a secret', async () => {
    unlinkSync(fileOf(1));
    symlinkSync(secret, fileOf(1));
    expectRefused(await get(ids[1]!), 410, /^the file of image ID_[0-9a-f]+ was replaced by a symbolic link since it was indexed/);
    expect((await get(ids[1]!, 'HEAD')).status).toBe(410);
  });

  it('410 at once for a link to /dev/zero (no stream without end)', async () => {
    unlinkSync(fileOf(2));
    symlinkSync('/dev/zero', fileOf(2));
    const t0 = Date.now();
    expectRefused(await get(ids[2]!), 410, /symbolic link/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('410 for a FIFO, and the host does not block on it', async () => {
    unlinkSync(fileOf(3));
    execFileSync('mkfifo', [fileOf(3)]);
    expectRefused(await get(ids[3]!), 410, /is no longer a regular file \(a device, FIFO or folder\)/);
    expect((await get(ids[0]!)).status).toBe(200);
  });

  it('410 for a file whose mtime or size changed since the scan; 404 for one deleted', async () => {
    utimesSync(fileOf(4), new Date(), new Date(Date.now() + 10_000));
    expectRefused(await get(ids[4]!), 410, /changed on disk since it was indexed/);
    writeFileSync(fileOf(5), Buffer.concat([readFileSync(fileOf(5)), Buffer.alloc(1)]));
    expectRefused(await get(ids[5]!), 410, /changed on disk since it was indexed/);
    unlinkSync(fileOf(5));
    expectRefused(await get(ids[5]!), 404, /is gone from disk/);
  });
});
