// A demo bundle as `ich demo build` lays it out (src-ml/demo/demo-bundle.ts), made by hand for tests: the
// first `slices` GE head-CT slices indexed, one safe-ensemble prediction row per image, portable paths.
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_FORMAT, tokenizePaths } from '../demo/demo-bundle.ts';
import { savePredictions } from '../store/predictions.ts';
import { indexedImageIds } from '../store/queries.ts';
import { scanFolders } from '../store/scan.ts';
import { Workspace } from '../store/workspace.ts';
import { GE_DIR } from './fixtures.ts';

export async function makeGeDemoBundle(bundle: string, opts: { slices: number; anyProb: number }): Promise<{ bundle: string; images: string[] }> {
  const dicom = path.join(bundle, 'dicom', 'head-ct-ge');
  mkdirSync(dicom, { recursive: true });
  for (const f of readdirSync(GE_DIR).filter((n) => n.endsWith('.dcm')).sort().slice(0, opts.slices)) cpSync(path.join(GE_DIR, f), path.join(dicom, f));
  const ws = Workspace.open(path.join(bundle, 'workspace'));
  try {
    await scanFolders(ws, { roots: [path.join(bundle, 'dicom')] });
    const images = indexedImageIds(ws);
    savePredictions(ws, images.map((imageId) => ({ imageId, source: 'safe', kind: 'ensemble' as const, oof: false, probs: [0.1, 0.1, 0.1, 0.1, 0.1, opts.anyProb] })));
    tokenizePaths(ws, path.join(bundle, 'dicom'));
    writeFileSync(path.join(bundle, 'demo.json'), JSON.stringify({ format: DEMO_FORMAT, createdAt: '', studies: 1, images: images.length, models: [], sources: [], compression: 'as-is' }));
    return { bundle, images };
  } finally {
    ws.close();
  }
}
