// The desktop app's app://ich/dicom/<id> route with the records the engine process sends (path, size, mtime,
// identity): it streams the file (a web stream, never one buffer of the whole file in the main process) and
// applies the same checks as the web host: a symlink swapped in, a link to /dev/zero, a FIFO, a touched file
// are refused with one line (410) and a rescan hint.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asIndexedFile, indexedFileRecordLookup, type IndexedFile } from '../src-ml/host/indexed-files.ts';
import { makeTinyCtWorkspace, readFileWithIdentity, type TinyCtWorkspace } from '../src-ml/host/served-dicom-fixture.ts';
import { Workspace } from '../src-ml/store/workspace.ts';
import { createAppProtocolHandler } from './app-protocol.ts';

let root: string;
let fx: TinyCtWorkspace;
let records: Map<string, IndexedFile>;
let ids: string[];
let secret: string;
let handler: (r: Request) => Promise<Response>;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-app-dicom-'));
  fx = await makeTinyCtWorkspace(root, 6);
  ids = [...fx.files.keys()];
  const ws = Workspace.open(fx.wsDir);
  const recordOf = indexedFileRecordLookup(ws);
  // As the engine process sends them: structured clones, checked back by the main process (engine-host.ts).
  records = new Map(ids.map((id) => [id, asIndexedFile(structuredClone(recordOf(id)))!]));
  ws.close();
  secret = path.join(root, 'secret.txt');
  writeFileSync(secret, 'SECRET');
  // A 3 MB file, indexed as the scanner would record it: served in chunks.
  const big = path.join(root, 'big.dcm');
  writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 7));
  const st = statSync(big);
  records.set('1.2.3.999', { path: big, size: st.size, mtimeMs: Math.round(st.mtimeMs), identity: readFileWithIdentity(big).identity });
  handler = createAppProtocolHandler({ rendererDir: null, fileOfImage: async (id) => records.get(id) ?? null });
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const get = (id: string, method = 'GET') => handler(new Request(`app://ich/dicom/${encodeURIComponent(id)}`, { method }));
const fileOf = (i: number) => fx.files.get(ids[i]!)!;

async function expectRefused(r: Response, status: number, pattern: RegExp): Promise<void> {
  expect(r.status).toBe(status);
  const text = await r.text();
  expect(text).toMatch(pattern);
  expect(text.trimEnd()).toMatch(/\(rescan its folder\)$/);
  expect(text.trimEnd()).not.toContain('\n');
  expect(text).not.toContain('SECRET');
}

describe('app://ich/dicom/<id> with the indexed record', () => {
  it('every record carries the identity the scan took', () => {
    for (const id of ids) expect(records.get(id)!.identity).toMatchObject({ link: false, size: statSync(fileOf(ids.indexOf(id))).size });
  });

  it('streams the indexed file: a web stream in chunks, the exact bytes, its length; HEAD has no body', async () => {
    const r = await get('1.2.3.999');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-length')).toBe(String(3 * 1024 * 1024));
    expect(r.body).toBeInstanceOf(ReadableStream);
    const reader = r.body!.getReader();
    let chunks = 0;
    let total = 0;
    for (let c = await reader.read(); !c.done; c = await reader.read()) {
      chunks++;
      total += c.value.length;
      expect(Buffer.from(c.value).every((b: number) => b === 7)).toBe(true);
    }
    expect(total).toBe(3 * 1024 * 1024);
    expect(chunks).toBeGreaterThan(1);
    const small = await get(ids[0]!);
    expect(Buffer.from(await small.arrayBuffer()).equals(readFileSync(fileOf(0)))).toBe(true);
    const head = await get(ids[0]!, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('410 for a symlink to a secret swapped in for the indexed file', async () => {
    unlinkSync(fileOf(1));
    symlinkSync(secret, fileOf(1));
    await expectRefused(await get(ids[1]!), 410, /was replaced by a symbolic link since it was indexed/);
  });

  it('410 at once for a link to /dev/zero, and for a FIFO', async () => {
    unlinkSync(fileOf(2));
    symlinkSync('/dev/zero', fileOf(2));
    await expectRefused(await get(ids[2]!), 410, /symbolic link/);
    unlinkSync(fileOf(3));
    execFileSync('mkfifo', [fileOf(3)]);
    await expectRefused(await get(ids[3]!), 410, /no longer a regular file/);
  });

  it('410 for a file touched since the scan, 404 for one gone', async () => {
    utimesSync(fileOf(4), new Date(), new Date(Date.now() + 10_000));
    await expectRefused(await get(ids[4]!), 410, /changed on disk since it was indexed/);
    unlinkSync(fileOf(5));
    await expectRefused(await get(ids[5]!), 404, /gone from disk/);
  });

  it('a bare path (an engine that sends only that) gets the no-symlink, regular-file and size checks', async () => {
    const h = createAppProtocolHandler({ rendererDir: null, fileOfImage: async () => fileOf(1) });
    await expectRefused(await h(new Request('app://ich/dicom/1.2.3')), 410, /symbolic link/);
    expect(asIndexedFile({ path: '/x' })).toBeNull();
    expect(asIndexedFile({ path: '/x', size: 1, mtimeMs: 2, identity: { dev: 'x' } })).toBeNull();
  });
});
