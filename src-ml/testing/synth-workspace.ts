// A small labelled workspace made by the real engine (synth -> scan -> labels), for training tests.
import path from 'node:path';
import { generateDataset } from '../synth/generate.ts';
import { importLabels } from '../store/labels.ts';
import { scanFolders } from '../store/scan.ts';
import { Workspace } from '../store/workspace.ts';

export async function makeSynthWorkspace(root: string, opts: { studies: number; seed: number; size: number }): Promise<string> {
  const data = path.join(root, 'data');
  const wsDir = path.join(root, 'ws');
  await generateDataset({ out: data, studies: opts.studies, seed: opts.seed, size: opts.size, workers: 1 });
  const ws = Workspace.open(wsDir);
  try {
    await scanFolders(ws, { roots: [data] });
    const r = await importLabels(ws, path.join(data, 'labels.csv'));
    if (r.errors.length) throw new Error(r.errors[0]);
  } finally {
    ws.close();
  }
  return wsDir;
}
