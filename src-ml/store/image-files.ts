// Image id <-> indexed file lookups: the file an image is read from (serving DICOM bytes, predicting) and
// the images a scanned file holds (one per frame of a multi-frame file).
import type { Workspace } from './workspace.ts';

/** The files row an image's bytes come from, as recorded at index time. */
export interface IndexedFileRow {
  path: string;
  size: number;
  /** Rounded milliseconds, as files.mtime_ms. */
  mtimeMs: number;
  /** The recorded file identity (store/file-identity.ts JSON); null for rows indexed before identities were recorded. */
  identity: string | null;
}

/** A lookup from image id to its indexed file row (undefined when the image is not indexed); one prepared statement. */
export function indexedFileReader(ws: Workspace): (imageId: string) => IndexedFileRow | undefined {
  const fileOf = ws.db.prepare('SELECT f.path, f.size, f.mtime_ms, f.identity FROM instances i JOIN files f USING (file_id) WHERE i.image_id = ?');
  return (imageId) => {
    const row = fileOf.get(imageId) as { path: string; size: number; mtime_ms: number; identity: string | null } | undefined;
    return row && { path: row.path, size: row.size, mtimeMs: row.mtime_ms, identity: row.identity };
  };
}

/** Where to read each image: its file and frame (1-based in a multi-frame file, else null), in the order given. */
export function imageFileRefs(ws: Workspace, imageIds: readonly string[]): { imageId: string; path: string; frame: number | null }[] {
  const refs = ws.db.prepare('SELECT i.image_id imageId, f.path path, i.frame frame FROM instances i JOIN files f USING (file_id) WHERE i.image_id = ?');
  return imageIds.map((id) => refs.get(id) as { imageId: string; path: string; frame: number | null });
}

/** The image ids of the given files, file by file (a multi-frame file has several). */
export function imageIdsOfFiles(ws: Workspace, paths: readonly string[]): string[] {
  const byPath = ws.db.prepare('SELECT i.image_id FROM instances i JOIN files f USING (file_id) WHERE f.path = ?');
  return paths.flatMap((p) => (byPath.all(p) as { image_id: string }[]).map((r) => r.image_id));
}
