// A version's copy of the trained models: versions/<v>/models/<id>, hard links of the working models/
// files (a model save always writes a new folder and renames it into place, so a linked file is never
// rewritten under a version), copies where links cannot be made. Plain file work: no index here.
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { replaceDirSync } from '../base/atomic-write.ts';

export const VERSIONS_DIR = 'versions';
const MODELS_DIR = 'models';

/** Hard-links (or copies, across file systems) a model folder tree. */
function linkTree(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const name of readdirSync(src)) {
    if (name.startsWith('.')) continue; // a save's temporary folders
    const s = path.join(src, name);
    const d = path.join(dst, name);
    if (statSync(s).isDirectory()) linkTree(s, d);
    else {
      try {
        linkSync(s, d);
      } catch {
        copyFileSync(s, d);
      }
    }
  }
}

/**
 * Snapshots the working models `ids` of the workspace at `wsDir` into `modelsDir`, complete or absent
 * (built aside, then renamed); returns the ids whose folders exist.
 */
export function snapshotModels(wsDir: string, ids: readonly string[], modelsDir: string): string[] {
  const present = ids.filter((id) => existsSync(path.join(wsDir, MODELS_DIR, id)));
  const tmp = `${modelsDir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const id of present) linkTree(path.join(wsDir, MODELS_DIR, id), path.join(tmp, id));
  replaceDirSync(tmp, modelsDir);
  return present;
}
