// The one lookup from an image id to the file the index holds for it, shared by every way DICOM bytes
// are served (the web host's GET /dicom/<id>, the desktop app's app:// protocol through the engine process).
// The record carries what was indexed (size, mtime, and the file identity when recorded) so the route can
// check that the file it opens is still that file (served-dicom.ts).
import { validateId } from '../api/engine.ts';
import { parseIdentity, type FileIdentity } from '../store/file-identity.ts';
import { indexedFileReader } from '../store/image-files.ts';
import type { Workspace } from '../store/workspace.ts';

/** An indexed file as recorded at index time. */
export interface IndexedFile {
  path: string;
  size: number;
  /** Rounded milliseconds, as files.mtime_ms. */
  mtimeMs: number;
  /** Null for rows indexed before identities were recorded. */
  identity: FileIdentity | null;
}

/**
 * The indexed record of an image, or null. The path comes from the index by image id, never from the
 * request, so nothing outside the index is served. Throws EngineError('invalid') for a malformed id.
 */
export function indexedFileRecordLookup(ws: Workspace): (imageId: string) => IndexedFile | null {
  const fileOf = indexedFileReader(ws);
  return (imageId) => {
    const row = fileOf(validateId(imageId, 'image id'));
    return row ? { ...row, identity: parseIdentity(row.identity) } : null;
  };
}

/** The file path of an indexed image, or null (see indexedFileRecordLookup). */
export function indexedFileLookup(ws: Workspace): (imageId: string) => string | null {
  const recordOf = indexedFileRecordLookup(ws);
  return (imageId) => recordOf(imageId)?.path ?? null;
}

/** A value that crossed a process boundary (the engine process's `file` answer) checked back into an IndexedFile. */
export function asIndexedFile(v: unknown): IndexedFile | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.path !== 'string' || !Number.isSafeInteger(o.size) || typeof o.mtimeMs !== 'number' || !Number.isFinite(o.mtimeMs)) return null;
  const identity = o.identity === null || o.identity === undefined ? null : parseIdentity(JSON.stringify(o.identity));
  if (o.identity != null && identity === null) return null;
  return { path: o.path, size: o.size as number, mtimeMs: o.mtimeMs, identity };
}
