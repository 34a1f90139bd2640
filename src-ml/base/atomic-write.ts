// The one way the project replaces a file or a folder so that neither a reader nor a crash ever sees half of
// it: the new content goes under a hidden temporary name in the same folder (a file is flushed to disk), is
// renamed over the target, and the folder is flushed so the rename itself survives a power cut. Sync and
// async forms, whole or streamed in parts; folder forms for a folder built aside (a model, a checkpoint, a
// bundle). File-system failures name the target (`cannot write F (reason)`, errno code kept); an error the
// caller's own writer throws passes through unchanged.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** What a file is written from: text (UTF-8) or bytes. */
export type FileData = string | Uint8Array;

function bytesOf(data: FileData): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/** A hidden name beside `target` for its temporary copy: `.<name>.<pid>.<random>.<what>`. */
export function siblingTempPath(target: string, what = 'tmp'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.${what}`);
}

/** A file-system error (one with an errno code) as one that names the target; anything else unchanged. */
function writeFailure(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return err;
  return Object.assign(new Error(`cannot write ${file} (${err instanceof Error ? err.message : String(err)})`, { cause: err }), { code });
}

/** Flushes a folder's entries (a rename into it) to disk. Some file systems refuse: the rename is still atomic. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Refused (Windows, some network file systems): nothing more to do.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Async fsyncDirSync. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Refused (Windows, some network file systems): nothing more to do.
  } finally {
    await handle?.close();
  }
}

function writeAllSync(fd: number, data: FileData): void {
  const bytes = bytesOf(data);
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

async function writeAll(handle: FileHandle, data: FileData): Promise<void> {
  const bytes = bytesOf(data);
  let done = 0;
  while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
}

/**
 * Replaces `file` with what `produce` writes, in parts (an export too big to hold at once): the parts go to
 * a temp file beside it, which is flushed and renamed over `file`. Nothing is left behind on failure.
 */
export function writeFileAtomicSyncWith(file: string, produce: (write: (chunk: FileData) => void) => void): void {
  const tmp = siblingTempPath(file);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    const out = fd;
    produce((chunk) => writeAllSync(out, chunk));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing: the first error is the one to report.
      }
    }
    rmSync(tmp, { force: true });
    throw writeFailure(file, err);
  }
  fsyncDirSync(path.dirname(file));
}

/** Replaces `file` with `data` atomically (see writeFileAtomicSyncWith); for batch writers. */
export function writeFileAtomicSync(file: string, data: FileData): void {
  writeFileAtomicSyncWith(file, (write) => write(data));
}

/** Async writeFileAtomicSyncWith: `produce` awaits each `write`. */
export async function writeFileAtomicWith(file: string, produce: (write: (chunk: FileData) => Promise<void>) => Promise<void>): Promise<void> {
  const tmp = siblingTempPath(file);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx');
    const out = handle;
    await produce((chunk) => writeAll(out, chunk));
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeFailure(file, err);
  }
  await fsyncDir(path.dirname(file));
}

/** Async writeFileAtomicSync. */
export async function writeFileAtomic(file: string, data: FileData): Promise<void> {
  await writeFileAtomicWith(file, (write) => write(data));
}

/**
 * Writes a new file (it must not exist) and flushes it: a file inside a folder built aside, which
 * replaceDir then puts in place as a whole.
 */
export async function writeFileSynced(file: string, data: FileData): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await writeAll(handle, data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Puts the folder `staging` (complete, built beside `target`) in place of `target`: an existing target is
 * renamed aside first and removed only once the new one is in place (and put back if that rename fails),
 * so a reader sees the old folder or the new one, never neither; then the parent folder is flushed.
 */
export async function replaceDir(staging: string, target: string): Promise<void> {
  await fsyncDir(staging);
  const old = siblingTempPath(target, 'old');
  let movedOld = false;
  try {
    await rename(target, old);
    movedOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    await rename(staging, target);
  } catch (err) {
    if (movedOld) await rename(old, target).catch(() => undefined);
    throw err;
  }
  await fsyncDir(path.dirname(target));
  if (movedOld) await rm(old, { recursive: true, force: true });
}

/** Sync replaceDir. */
export function replaceDirSync(staging: string, target: string): void {
  fsyncDirSync(staging);
  const old = siblingTempPath(target, 'old');
  let movedOld = false;
  try {
    renameSync(target, old);
    movedOld = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    renameSync(staging, target);
  } catch (err) {
    if (movedOld) {
      try {
        renameSync(old, target);
      } catch {
        // The old folder stays under its hidden name; the first error is the one to report.
      }
    }
    throw err;
  }
  fsyncDirSync(path.dirname(target));
  if (movedOld) rmSync(old, { recursive: true, force: true });
}
