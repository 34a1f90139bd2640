// Opening an indexed DICOM file to serve it (the web host's GET /dicom/<id>, the desktop app's app:// route).
// The index names a path, but what lies at that path now may not be what was indexed: a symlink to a secret,
// /dev/zero (a stream without end), a FIFO (an open that never returns), a file rewritten since. So the file is
// opened (O_NONBLOCK; O_NOFOLLOW unless the indexed path was itself a link), the open descriptor is fstat'ed,
// and only a regular file of at most MAX_SERVED_DICOM_BYTES that is still the indexed one (same device, inode,
// size and mtime as file-identity.ts recorded; for rows indexed before that: the recorded size and mtime, and
// no symlink) is served, from that descriptor and for exactly the checked size. Anything else is a one-line
// 404 (gone) or 410 (no longer the indexed file) with a rescan hint. Checking the descriptor, not the path,
// leaves no window between the check and the read.
import type { BigIntStats, Stats } from 'node:fs';
import { constants } from 'node:fs';
import { lstat, open, stat, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { OPEN_NOFOLLOW, OPEN_NONBLOCK, sameIdentity, type FileIdentity } from '../store/file-identity.ts';

/** The largest file either route serves (a CT slice is well under 10 MB; a big multi-frame file fits). */
export const MAX_SERVED_DICOM_BYTES = 1024 * 1024 * 1024;

/** What the route knows of the file: a bare path (no recorded facts), or the indexed record. */
export interface DicomFileRef {
  path: string;
  size?: number;
  mtimeMs?: number;
  identity?: FileIdentity | null;
}

export type OpenedDicom =
  | { ok: true; handle: FileHandle; size: number }
  | { ok: false; status: 404 | 410; message: string };

const CHUNK = 256 * 1024;

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? 'error';
}

/** The open file of an indexed image and its size, or why it is refused (one line). */
export async function openIndexedDicom(imageId: string, file: string | DicomFileRef, maxBytes = MAX_SERVED_DICOM_BYTES): Promise<OpenedDicom> {
  const ref: DicomFileRef = typeof file === 'string' ? { path: file } : file;
  const identity = ref.identity ?? null;
  const follow = identity?.link === true;
  const refuse = (status: 404 | 410, why: string): OpenedDicom => ({ ok: false, status, message: `the file of image ${imageId} ${why} (rescan its folder)` });
  const failed = (err: unknown): OpenedDicom => {
    const code = codeOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return refuse(404, 'is gone from disk');
    if (code === 'ELOOP' || code === 'EMLINK') return refuse(410, 'was replaced by a symbolic link since it was indexed');
    return refuse(410, `cannot be opened (${code})`);
  };
  const notServable = (st: Stats | BigIntStats): OpenedDicom | null => {
    if (st.isSymbolicLink()) return refuse(410, 'was replaced by a symbolic link since it was indexed');
    if (!st.isFile()) return refuse(410, 'is no longer a regular file (a device, FIFO or folder)');
    if (Number(st.size) > maxBytes) return refuse(410, `is ${Number(st.size)} bytes, over the ${maxBytes}-byte limit for serving`);
    return null;
  };
  // A look before the open, so a device or FIFO is never even opened; the descriptor check below is the one that counts.
  try {
    const seen = notServable(follow ? await stat(ref.path) : await lstat(ref.path));
    if (seen) return seen;
  } catch (err) {
    return failed(err);
  }
  let handle: FileHandle;
  try {
    handle = await open(ref.path, constants.O_RDONLY | OPEN_NONBLOCK | (follow ? 0 : OPEN_NOFOLLOW));
  } catch (err) {
    return failed(err);
  }
  try {
    let verdict: OpenedDicom | null;
    let size: number;
    if (identity) {
      const st = await handle.stat({ bigint: true });
      verdict = notServable(st) ?? (sameIdentity(st, identity) ? null : refuse(410, 'changed on disk since it was indexed (another device, inode, size or mtime)'));
      size = Number(st.size);
    } else {
      const st = await handle.stat();
      const changed = (ref.size !== undefined && st.size !== ref.size) || (ref.mtimeMs !== undefined && Math.round(st.mtimeMs) !== ref.mtimeMs);
      verdict = notServable(st) ?? (changed ? refuse(410, 'changed on disk since it was indexed (another size or mtime)') : null);
      size = st.size;
    }
    if (verdict) {
      await handle.close();
      return verdict;
    }
    return { ok: true, handle, size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    return failed(err);
  }
}

/** Exactly `size` bytes from the start of the opened file as a Node stream; closes the file at the end or on destroy. */
export function dicomNodeStream(opened: { handle: FileHandle; size: number }): Readable {
  if (opened.size === 0) {
    void opened.handle.close().catch(() => undefined);
    return Readable.from([]);
  }
  return opened.handle.createReadStream({ start: 0, end: opened.size - 1, highWaterMark: CHUNK });
}

/**
 * Exactly `size` bytes from the start of the opened file as a web stream (the body of an Electron protocol
 * Response); a file that got shorter meanwhile errors the stream rather than ending it early. Closes the file.
 */
export function dicomWebStream(opened: { handle: FileHandle; size: number }): ReadableStream<Uint8Array> {
  const { handle, size } = opened;
  let offset = 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close().catch(() => undefined);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (offset >= size) {
          await close();
          controller.close();
          return;
        }
        const buf = new Uint8Array(Math.min(CHUNK, size - offset));
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) throw new Error(`the file ended at ${offset} of ${size} bytes`);
        offset += bytesRead;
        controller.enqueue(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      } catch (err) {
        await close();
        controller.error(err);
      }
    },
    async cancel() {
      await close();
    },
  });
}
