// Builds the engine workspaces the browser tests and the viewer benchmark run against, with the real `ich`
// command: synthetic studies (`ich synth`), the whole pipeline on a shrunken tiny preset (real safe/risky
// predictions for every slice), and `ich predict` for more series with the trained models.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPreset } from '../../src-ml/train/test-preset.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ICH = path.join(REPO_ROOT, 'bin/ich.js');

/** Runs `ich <args>`; resolves with stdout, rejects with the command's last stderr lines. */
export function ich(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ICH, ...args], {
      cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`ich ${args[0]} exited ${code}: ${err.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** The e2e set: 8 studies of 24-35 slices at 256 px; the last 2 without labels (the risky ensemble's target set). */
export const E2E_SET = { studies: 8, seed: 21, size: 256, unlabelled: 2 };

export interface SynthSet {
  data: string;
  labels: string;
}

/** `ich synth` with one worker thread (the machine is shared). */
export async function synth(out: string, opts: { studies: number; seed: number; size: number }): Promise<SynthSet> {
  await ich(['synth', '--out', out, '--studies', String(opts.studies), '--seed', String(opts.seed), '--size', String(opts.size), '--no-progress'],
    { ICH_SYNTH_WORKERS: '1' });
  return { data: out, labels: path.join(out, 'labels.csv') };
}

/**
 * The whole pipeline on the tiny preset made smaller still (as the pipeline CLI test does): base CNN, TTA
 * features, Pooled-Res, shallow NN and its weighted fine-tune, then both ensembles; every slice gets stored
 * safe and risky predictions (out-of-fold for labelled ones). The last `unlabelled` series lose their labels,
 * so the risky weights have an unlabelled set to aim at.
 */
export async function pipelineWorkspace(set: SynthSet, workspace: string, opts: { unlabelled: number }): Promise<void> {
  const dir = path.dirname(workspace);
  mkdirSync(dir, { recursive: true });
  const truth = JSON.parse(readFileSync(path.join(set.data, 'truth.json'), 'utf8')) as { series: { slices: string[] }[] };
  const hidden = new Set(truth.series.slice(truth.series.length - opts.unlabelled).flatMap((s) => s.slices));
  const lines = readFileSync(set.labels, 'utf8').trim().split('\n');
  const labels = path.join(dir, 'labels-partial.csv');
  writeFileSync(labels, [lines[0], ...lines.slice(1).filter((l) => !hidden.has(l.slice(0, l.lastIndexOf('_'))))].join('\n') + '\n');
  const p = testPreset({ epochs: 1 });
  p.base[0] = { ...p.base[0]!, features: { trainCopies: 4, testCopies: 8, augment: 'se-tta', batchSize: 64 } };
  p.pooledRes = { ...p.pooledRes, epochs: 3, batchSize: 4, bestAverage: 2, oofPasses: 2, testPasses: 2 };
  p.shallow = { ...p.shallow, batchSize: 4, lrSteps: [[1e-3, 2]], passes: 2, weighted: { lrSteps: [[1e-4, 1]] } };
  const presetFile = path.join(dir, 'preset.json');
  writeFileSync(presetFile, JSON.stringify(p));
  await ich(['pipeline', '--data', set.data, '--labels', labels, '--workspace', workspace, '--preset', presetFile, '--json', '--no-progress'],
    { ICH_SCAN_WORKERS: '1' });
}

/** `ich predict` with the workspace's trained models: scans the folders and stores safe/risky predictions. */
export async function predict(folders: string[], workspace: string, opts: { copies: number; passes: number }): Promise<void> {
  await ich(['predict', ...folders, '--workspace', workspace, '--copies', String(opts.copies), '--passes', String(opts.passes), '--no-progress'],
    { ICH_SCAN_WORKERS: '1' });
}
