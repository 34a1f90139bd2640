// openIndexedDicom against files swapped under the index: symlinks to a secret, /dev/zero, FIFOs, rewritten,
// grown, shrunk, replaced or deleted files, files indexed through a link, and rows of old workspaces (no identity).
import { execFileSync } from 'node:child_process';
import {
  appendFileSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync,
  writeFileSync,
} from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDemo } from '../demo/demo-bundle.ts';
import { REPO_ROOT } from '../testing/fixtures.ts';
import { identityAtWrite } from '../store/file-identity.ts';
import { MIGRATIONS } from '../store/schema.ts';
import { INDEX_FILE, Workspace } from '../store/workspace.ts';
import { indexedFileRecordLookup, type IndexedFile } from './indexed-files.ts';
import { makeTinyCtWorkspace, readFileWithIdentity, type TinyCtWorkspace } from './served-dicom-fixture.ts';
import { dicomNodeStream, dicomWebStream, MAX_SERVED_DICOM_BYTES, openIndexedDicom, type OpenedDicom } from './served-dicom.ts';

let root: string;
let fx: TinyCtWorkspace;
let ws: Workspace;
let recordOf: (id: string) => IndexedFile | null;
let ids: string[];
let secret: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-served-dicom-'));
  fx = await makeTinyCtWorkspace(root, 10);
  ws = Workspace.open(fx.wsDir);
  recordOf = indexedFileRecordLookup(ws);
  ids = [...fx.files.keys()];
  secret = path.join(root, 'secret.txt');
  writeFileSync(secret, 'SECRET');
}, 60_000);

afterAll(() => {
  ws?.close();
  rmSync(root, { recursive: true, force: true });
});

const rec = (i: number): IndexedFile => recordOf(ids[i]!)!;
const fileOf = (i: number): string => fx.files.get(ids[i]!)!;

async function bytesOf(opened: OpenedDicom): Promise<Buffer> {
  if (!opened.ok) throw new Error(opened.message);
  const chunks: Buffer[] = [];
  for await (const c of dicomNodeStream(opened)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function expectRefused(r: OpenedDicom, status: 404 | 410, pattern: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.status).toBe(status);
  expect(r.message).toMatch(pattern);
  expect(r.message).toMatch(/\(rescan its folder\)$/);
  expect(r.message).not.toContain('\n');
}

describe('openIndexedDicom', () => {
  it('a scan records each file identity; the file as indexed is served, exactly its bytes', async () => {
    const r = rec(0);
    const st = statSync(fileOf(0), { bigint: true });
    expect(r.identity).toEqual({ dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs), link: false });
    const opened = await openIndexedDicom(ids[0]!, r);
    expect(opened).toMatchObject({ ok: true, size: Number(st.size) });
    expect((await bytesOf(opened)).equals(readFileSync(fileOf(0)))).toBe(true);
    // A bare path (no record) is served too, under the no-symlink / regular-file / size-cap checks.
    expect((await bytesOf(await openIndexedDicom(ids[0]!, fileOf(0)))).equals(readFileSync(fileOf(0)))).toBe(true);
  });

  it('refuses an indexed file replaced by a symlink to a secret (410), with or without a recorded identity', async () => {
    const r = rec(1);
    unlinkSync(r.path);
    symlinkSync(secret, r.path);
    expectRefused(await openIndexedDicom(ids[1]!, r), 410, /replaced by a symbolic link/);
    expectRefused(await openIndexedDicom(ids[1]!, { ...r, identity: null }), 410, /replaced by a symbolic link/);
    expectRefused(await openIndexedDicom(ids[1]!, r.path), 410, /replaced by a symbolic link/);
    // Even an identity that says "indexed through a link" does not make the secret the indexed file.
    expectRefused(await openIndexedDicom(ids[1]!, { ...r, identity: { ...r.identity!, link: true } }), 410, /changed on disk/);
  });

  it('refuses a link to /dev/zero at once: no stream without end', async () => {
    const r = rec(2);
    unlinkSync(r.path);
    symlinkSync('/dev/zero', r.path);
    const t0 = Date.now();
    expectRefused(await openIndexedDicom(ids[2]!, r), 410, /replaced by a symbolic link/);
    expectRefused(await openIndexedDicom(ids[2]!, r.path), 410, /replaced by a symbolic link/);
    expectRefused(await openIndexedDicom(ids[2]!, { ...r, identity: { ...r.identity!, link: true } }), 410, /no longer a regular file/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const r = rec(3);
    unlinkSync(r.path);
    execFileSync('mkfifo', [r.path]);
    expectRefused(await openIndexedDicom(ids[3]!, r), 410, /no longer a regular file \(a device, FIFO or folder\)/);
    expectRefused(await openIndexedDicom(ids[3]!, r.path), 410, /no longer a regular file/);
    expectRefused(await openIndexedDicom(ids[3]!, { ...r, identity: { ...r.identity!, link: true } }), 410, /no longer a regular file/);
    // The scanner's read refuses it the same way, without blocking either.
    expect(() => readFileWithIdentity(r.path)).toThrow(/not a regular file/);
  }, 10_000);

  it('refuses a file whose mtime or size changed, or another file put in its place (410)', async () => {
    const touched = rec(4);
    utimesSync(touched.path, new Date(), new Date(Date.now() + 5000));
    expectRefused(await openIndexedDicom(ids[4]!, touched), 410, /changed on disk since it was indexed/);
    expectRefused(await openIndexedDicom(ids[4]!, { ...touched, identity: null }), 410, /changed on disk since it was indexed \(another size or mtime\)/);

    const grown = rec(5);
    const { mtime } = statSync(grown.path);
    appendFileSync(grown.path, Buffer.alloc(10));
    utimesSync(grown.path, mtime, mtime);
    expectRefused(await openIndexedDicom(ids[5]!, grown), 410, /changed on disk/);
    expectRefused(await openIndexedDicom(ids[5]!, { ...grown, identity: null }), 410, /another size or mtime/);

    // Same bytes, same mtime, a new inode: not the file that was indexed.
    const replaced = rec(6);
    const before = statSync(replaced.path);
    const copy = `${replaced.path}.copy`;
    copyFileSync(replaced.path, copy);
    utimesSync(copy, before.atime, before.mtime);
    renameSync(copy, replaced.path);
    expectRefused(await openIndexedDicom(ids[6]!, replaced), 410, /changed on disk/);
  });

  it('says 404 for a file gone from disk, 410 for one over the size cap', async () => {
    const r = rec(7);
    expectRefused(await openIndexedDicom(ids[7]!, r, 100), 410, /is \d+ bytes, over the 100-byte limit for serving/);
    expect(MAX_SERVED_DICOM_BYTES).toBe(1024 ** 3);
    unlinkSync(r.path);
    expectRefused(await openIndexedDicom(ids[7]!, r), 404, /is gone from disk/);
    expectRefused(await openIndexedDicom(ids[7]!, r.path), 404, /is gone from disk/);
  });

  it('the web stream gives exactly the checked bytes, and errors (not a short body) when the file shrinks meanwhile', async () => {
    const r = rec(8);
    const whole = readFileSync(r.path);
    const opened = await openIndexedDicom(ids[8]!, r);
    if (!opened.ok) throw new Error(opened.message);
    expect(Buffer.from(await new Response(dicomWebStream(opened)).arrayBuffer()).equals(whole)).toBe(true);
    const again = await openIndexedDicom(ids[8]!, r);
    if (!again.ok) throw new Error(again.message);
    truncateSync(r.path, 100);
    await expect(new Response(dicomWebStream(again)).arrayBuffer()).rejects.toThrow();
  });
});

describe('files indexed through a symlink, and old workspaces', () => {
  it('a file indexed through a link is served by the identity its reader took; a link retargeted to a secret is refused', async () => {
    const dir = path.join(root, 'linked');
    const real = path.join(root, 'real-files');
    mkdirSync(dir);
    mkdirSync(real);
    const target = path.join(real, 'a.dcm');
    copyFileSync(fileOf(9), target);
    const link = path.join(dir, 'a.dcm');
    symlinkSync(target, link);
    const { bytes, identity } = readFileWithIdentity(link);
    expect(bytes.equals(readFileSync(target))).toBe(true);
    expect(identity).toMatchObject({ link: true, ino: String(statSync(target, { bigint: true }).ino) });
    const st = statSync(target);
    const r: IndexedFile = { path: link, size: st.size, mtimeMs: Math.round(st.mtimeMs), identity };
    expect((await bytesOf(await openIndexedDicom(ids[9]!, r))).equals(readFileSync(target))).toBe(true);
    // Without an identity taken at read time, a symlink is never trusted: the index-time fallback records none.
    expect(identityAtWrite({ path: link, size: st.size, mtimeMs: st.mtimeMs })).toBeUndefined();
    expect(identityAtWrite({ path: target, size: st.size, mtimeMs: st.mtimeMs })).toMatchObject({ link: false, ino: identity.ino });
    expect(identityAtWrite({ path: target, size: st.size + 1, mtimeMs: st.mtimeMs })).toBeUndefined();
    unlinkSync(link);
    symlinkSync(secret, link);
    expectRefused(await openIndexedDicom(ids[9]!, r), 410, /changed on disk/);
    expect(() => readFileWithIdentity(path.join(dir, 'none.dcm'))).toThrow(/ENOENT/);
  });

  it('the installed demo (an index made before identities, paths rewritten at install) records its copies\' identities and serves them', async () => {
    const dest = path.join(root, 'demo-ws');
    installDemo(path.join(REPO_ROOT, 'assets', 'demo'), dest);
    const w = Workspace.open(dest);
    try {
      const row = w.db.prepare('SELECT i.image_id id FROM instances i LIMIT 1').get() as { id: string };
      const r = indexedFileRecordLookup(w)(row.id)!;
      const st = lstatSync(r.path, { bigint: true });
      expect(r.identity).toMatchObject({ dev: String(st.dev), ino: String(st.ino), size: Number(st.size), link: false });
      expect((await bytesOf(await openIndexedDicom(row.id, r))).equals(readFileSync(r.path))).toBe(true);
    } finally {
      w.close();
    }
  });

  it('migration 5 opens an old index: identity NULL; a path/size/mtime rewrite without a new identity drops it', () => {
    const dir = path.join(root, 'ws-old');
    mkdirSync(dir);
    const db = new DatabaseSync(path.join(dir, INDEX_FILE));
    for (let v = 0; v < 4; v++) db.exec(MIGRATIONS[v]!);
    db.exec('PRAGMA user_version = 4');
    db.prepare("INSERT INTO files (path, size, mtime_ms, status, scanned_at) VALUES ('/old/a.dcm', 10, 20, 'ok', 'then')").run();
    db.close();
    const w = Workspace.open(dir);
    try {
      expect(w.schemaVersion).toBe(MIGRATIONS.length);
      expect(w.db.prepare('SELECT identity FROM files').get()).toEqual({ identity: null });
      w.db.exec(`UPDATE files SET identity = '{"dev":"1","ino":"2","size":10,"mtimeNs":"3","link":false}'`);
      w.db.exec(`UPDATE files SET size = 10, mtime_ms = 20`);
      expect(w.db.prepare('SELECT identity FROM files').get()).toEqual({ identity: null });
      w.db.exec(`UPDATE files SET identity = '{"dev":"1","ino":"2","size":10,"mtimeNs":"3","link":false}'`);
      w.db.exec(`UPDATE files SET path = '/new/a.dcm'`);
      expect(w.db.prepare('SELECT identity FROM files').get()).toEqual({ identity: null });
      w.db.exec(`UPDATE files SET status = 'ok', identity = '{"dev":"1","ino":"2","size":10,"mtimeNs":"3","link":false}'`);
      expect((w.db.prepare('SELECT identity FROM files').get() as { identity: string }).identity).toMatch(/"ino":"2"/);
    } finally {
      w.close();
    }
  });
});
