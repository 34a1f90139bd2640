// The identity of an indexed file: device, inode, size and mtime (ns) of the bytes the scanner actually read
// and parsed, taken with fstat on the descriptor it read from, plus whether the indexed path was a symbolic
// link then. The DICOM routes (web host /dicom/<id>, the desktop app:// route) compare the file they open
// with it, so a file swapped under the index (a symlink to a secret, a device, another file) is never served
// as the indexed image. Stored as one JSON text column (files.identity, schema migration 5); NULL for rows
// indexed before it existed, and cleared by a trigger whenever a row's path, size or mtime is rewritten
// without a new identity (the demo bundle's path rewrite, for one).
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type BigIntStats } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface FileIdentity {
  /** st_dev and st_ino as decimal strings: exact past 2^53. */
  dev: string;
  ino: string;
  size: number;
  /** st_mtime in nanoseconds, decimal. */
  mtimeNs: string;
  /** The indexed path was a symbolic link when it was read (then the route follows it; else it opens with O_NOFOLLOW). */
  link: boolean;
}

/** O_NONBLOCK: opening a FIFO never waits for a writer (the fstat after the open refuses it). Both are 0 where undefined (Windows). */
export const OPEN_NONBLOCK = constants.O_NONBLOCK ?? 0;
export const OPEN_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export function identityOf(st: BigIntStats, link: boolean): FileIdentity {
  return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs), link };
}

/** Same device, inode, size and mtime as recorded. */
export function sameIdentity(st: BigIntStats, id: FileIdentity): boolean {
  return String(st.dev) === id.dev && String(st.ino) === id.ino && Number(st.size) === id.size && String(st.mtimeNs) === id.mtimeNs;
}

/**
 * The whole file and the identity of exactly those bytes (fstat of the descriptor read). Throws for anything
 * but a regular file (a device or FIFO swapped in after the folder walk), without blocking on a FIFO.
 */
export function readFileWithIdentity(filePath: string): { bytes: Buffer; identity: FileIdentity } {
  const link = lstatSync(filePath).isSymbolicLink();
  // Not a link when looked at: then it must not become one before the open (O_NOFOLLOW).
  const fd = openSync(filePath, constants.O_RDONLY | OPEN_NONBLOCK | (link ? 0 : OPEN_NOFOLLOW));
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new Error('not a regular file (a device, FIFO or folder)');
    return { bytes: readFileSync(fd), identity: identityOf(st, link) };
  } finally {
    closeSync(fd);
  }
}

const DIGITS = /^[0-9]{1,20}$/;

/** The stored column back as an identity; null for NULL or anything malformed (treated as "not recorded"). */
export function parseIdentity(text: string | null | undefined): FileIdentity | null {
  if (typeof text !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.dev !== 'string' || !DIGITS.test(o.dev) || typeof o.ino !== 'string' || !DIGITS.test(o.ino)) return null;
  if (typeof o.mtimeNs !== 'string' || !/^-?[0-9]{1,24}$/.test(o.mtimeNs)) return null;
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0 || typeof o.link !== 'boolean') return null;
  return { dev: o.dev, ino: o.ino, size: o.size, mtimeNs: o.mtimeNs, link: o.link };
}

const statements = new WeakMap<DatabaseSync, StatementSync>();

/**
 * Records (or clears, for undefined) a files row's identity. Call after the row's upsert: the upsert's update of
 * path/size/mtime has already cleared the old identity (schema trigger), so a file read without one keeps none.
 */
export function recordFileIdentity(db: DatabaseSync, fileId: number, identity: FileIdentity | undefined): void {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = db.prepare('UPDATE files SET identity = ? WHERE file_id = ?');
    statements.set(db, stmt);
  }
  stmt.run(identity ? JSON.stringify(identity) : null, fileId);
}
