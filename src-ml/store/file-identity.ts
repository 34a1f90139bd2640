// The identity of an indexed file: device, inode, size and mtime (ns), plus whether the indexed path was a
// symbolic link. Best taken by the scanner with fstat on the descriptor it read the bytes from (openForIndex,
// then identityOf of its fstat: store/scan-file.ts); a reader that reports none gets identityAtWrite's (the path's own lstat
// at index-write time, matching the scan's size and mtime; never for a symlink). The DICOM routes (web host
// /dicom/<id>, the desktop app:// route: host/served-dicom.ts) compare the file they open with it, so a file
// swapped under the index (a symlink to a secret, a device, another file) is never served as the indexed
// image. Stored as one JSON text column (files.identity, schema migration 5); NULL for rows indexed before it
// existed, and cleared by a trigger whenever a row's path, size or mtime is rewritten without a new identity
// (the demo bundle's path rewrite, for one).
import { constants, lstatSync, openSync, type BigIntStats } from 'node:fs';
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
 * Opens a file to read it for the index: O_NONBLOCK (a FIFO never blocks the open), and O_NOFOLLOW unless the
 * path is a symbolic link when looked at (so it cannot become one between the look and the open).
 */
export function openForIndex(filePath: string): { fd: number; link: boolean } {
  const link = lstatSync(filePath).isSymbolicLink();
  return { fd: openSync(filePath, constants.O_RDONLY | OPEN_NONBLOCK | (link ? 0 : OPEN_NOFOLLOW)), link };
}

/**
 * The identity to record for a file the scanner read without reporting one: the path's own (lstat), if it is
 * a regular file, not a symlink, and has the size and mtime the scan saw. A symlink gets none here: what it
 * pointed to when read is known only to the reader, so such a row is served only with a read-time identity.
 */
export function identityAtWrite(file: { path: string; size: number; mtimeMs: number }): FileIdentity | undefined {
  let st: BigIntStats;
  try {
    st = lstatSync(file.path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!st.isFile() || Number(st.size) !== file.size || Math.abs(Number(st.mtimeNs) / 1e6 - file.mtimeMs) >= 1) return undefined;
  return identityOf(st, false);
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
 * Records the identity of a files row just written: the one the reader took from its descriptor, else
 * identityAtWrite's; none (NULL) for a file that is not indexed as an image (null). Call after the row's upsert: its update
 * of path/size/mtime has already cleared the old identity (schema trigger).
 */
export function recordFileIdentity(db: DatabaseSync, fileId: number, file: { path: string; size: number; mtimeMs: number; identity?: FileIdentity } | null): void {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = db.prepare('UPDATE files SET identity = ? WHERE file_id = ?');
    statements.set(db, stmt);
  }
  const identity = file ? file.identity ?? identityAtWrite(file) : undefined;
  stmt.run(identity ? JSON.stringify(identity) : null, fileId);
}
