// The index side of the demo bundle (demo/demo-bundle.ts): file paths made portable (a root replaced by a
// token) and pointed back at an installed copy, and the index file made self-contained and small for shipping.
import { recordFileIdentity, type FileIdentity } from './file-identity.ts';
import type { Workspace } from './workspace.ts';

/**
 * Replaces the leading `root` of every indexed file path with `token`, in one transaction; returns how many
 * indexed files do not start with `token` afterwards (those outside `root`).
 */
export function tokenizeFilePaths(ws: Workspace, root: string, token: string): number {
  ws.transaction(() => {
    ws.db.prepare('UPDATE files SET path = ? || substr(path, ?) WHERE substr(path, 1, ?) = ?').run(token, root.length + 1, root.length, root);
  });
  return Number((ws.db.prepare('SELECT COUNT(*) AS n FROM files WHERE substr(path, 1, ?) <> ?').get(token.length, token) as { n: number }).n);
}

/**
 * Points every file path that starts with `token` at a real file, in one transaction: `locate` gets the rest
 * of the path (after the token) and gives the new path with the file's mtime and size as the index records them.
 */
export function resolveTokenFilePaths(ws: Workspace, token: string, locate: (rest: string) => { path: string; mtimeMs: number; size: number; identity?: FileIdentity }): void {
  ws.transaction(() => {
    const rows = ws.db.prepare('SELECT file_id, path, status FROM files WHERE substr(path, 1, ?) = ?').all(token.length, token) as { file_id: number; path: string; status: string }[];
    const update = ws.db.prepare('UPDATE files SET path = ?, mtime_ms = ?, size = ? WHERE file_id = ?');
    for (const r of rows) {
      const f = locate(r.path.slice(token.length));
      update.run(f.path, f.mtimeMs, f.size, r.file_id);
      // The installed copy's identity, as a scan would record it: served at once, and not re-read by the next scan.
      recordFileIdentity(ws.db, r.file_id, r.status === 'ok' ? f : null);
    }
  });
}

/** Moves the write-ahead log into the index file, so index.sqlite alone holds everything (copied or shipped). */
export function checkpointIndex(ws: Workspace): void {
  ws.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
}

/** Rewrites the index file without its free pages (after large deletions, before shipping it). */
export function compactIndex(ws: Workspace): void {
  ws.db.exec('VACUUM');
}
