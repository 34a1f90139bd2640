// The one lookup from an image id to the file the index holds for it, shared by every way DICOM bytes
// are served (the web host's GET /dicom/<id>, the desktop app's app:// protocol through the engine process).
import { validateId } from '../api/engine.ts';
import type { Workspace } from '../store/workspace.ts';

/**
 * The file path of an indexed image, or null. The path comes from the index by image id, never from the
 * request, so nothing outside the index is served. Throws EngineError('invalid') for a malformed id.
 */
export function indexedFileLookup(ws: Workspace): (imageId: string) => string | null {
  const fileOf = ws.db.prepare('SELECT f.path FROM instances i JOIN files f USING (file_id) WHERE i.image_id = ?');
  return (imageId) => {
    const row = fileOf.get(validateId(imageId, 'image id')) as { path: string } | undefined;
    return row?.path ?? null;
  };
}
