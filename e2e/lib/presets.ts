// The named presets for browser tests on a handful of studies: the real `tiny` without its step floors
// (minSteps), which would make three studies train for many minutes. Served through ICH_PRESET_DIR.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './workspace.ts';

export function floorFreePresetDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ['tiny', 'rsna']) {
    const p = JSON.parse(readFileSync(path.join(REPO_ROOT, 'src-ml', 'presets', `${name}.json`), 'utf8')) as Record<string, unknown>;
    if (name === 'tiny') {
      const strip = (o: unknown): void => {
        if (o && typeof o === 'object') {
          delete (o as Record<string, unknown>).minSteps;
          Object.values(o).forEach(strip);
        }
      };
      strip(p);
      p.trainWorkers = 1; // one rank: no worker threads per stage run on a few studies
    }
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(p, null, 2));
  }
  return dir;
}
