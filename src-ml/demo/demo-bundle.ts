// The demo workspace shipped in assets/demo: a real head CT (../shared/dicom/head-ct-ge, with its notice)
// and a few synthetic studies with hemorrhages, indexed, with the tiny-preset models of a pipeline run
// and their per-slice predictions. The bundle is portable: file paths in its index start with
// DEMO_ROOT_TOKEN, and `installDemo` copies it into a writable workspace and points them at the copy.
//
// Layout: <bundle>/demo.json, <bundle>/dicom/{head-ct-ge,synthetic}/..., <bundle>/workspace/index.sqlite,
// <bundle>/workspace/models/<model-id>/...
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { replaceDirSync, writeFileAtomicSync } from '../base/atomic-write.ts';
import { predictImages } from '../predict/predict-images.ts';
import { identityOf } from '../store/file-identity.ts';
import { checkpointIndex, compactIndex, resolveTokenFilePaths, tokenizeFilePaths } from '../store/demo-records.ts';
import { indexCounts, indexedImageIds } from '../store/queries.ts';
import { scanFolders } from '../store/scan.ts';
import { INDEX_FILE, Workspace } from '../store/workspace.ts';
import { activeVersion, annotateVersion, dropVersionRecords } from '../store/versions.ts';
import { generateDataset } from '../synth/generate.ts';
import { copyTrainedModels } from './model-transfer.ts';

export const DEMO_ROOT_TOKEN = '@ich-demo';
export const DEMO_FORMAT = 1;
/** The real head CT's license notice, kept with its files. */
export const NOTICE_FILE = 'NOTICE-head-ct-ge.md';

export interface DemoManifest {
  format: number;
  createdAt: string;
  studies: number;
  images: number;
  models: string[];
  sources: { folder: string; what: string; license: string }[];
  /** How the DICOM files are stored (RLE lossless when dcmtk's dcmcrle was available). */
  compression: 'rle-lossless' | 'as-is';
  /** What the models learned from, for the app to say (bundles before it: absent). */
  trainedOn?: string;
}

/** What the demo's models are, said wherever they are shown. */
export const DEMO_TRAINED_ON = 'synthetic head-CT phantoms only (ich synth), not real CT: a demonstration, not a diagnostic model';

export interface BuildDemoOptions {
  /** A workspace with a finished pipeline (its models and ensembles are copied). */
  modelsFrom: string;
  /** The bundle folder to (re)write, e.g. assets/demo. */
  out: string;
  /** The real head CT folder (with a NOTICE written beside it). */
  realCt: string;
  realCtNotice: string;
  syntheticStudies?: number;
  syntheticSeed?: number;
  log?: (line: string) => void;
}

/** Re-encodes every DICOM file under dir as RLE lossless with dcmtk, when dcmcrle is installed. */
function rleCompress(dir: string, log: (line: string) => void): boolean {
  const probe = spawnSync('dcmcrle', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    log('dcmcrle (dcmtk) not found: the demo DICOM files stay uncompressed');
    return false;
  }
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!statSync(file).isFile() || !/\.dcm$/i.test(name)) continue;
    const tmp = `${file}.rle.tmp`;
    const r = spawnSync('dcmcrle', [file, tmp], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${file}: dcmcrle failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
    writeFileAtomicSync(file, readFileSync(tmp));
    rmSync(tmp);
  }
  return true;
}

/** Portable paths: every indexed file path under `dicomRoot` starts with DEMO_ROOT_TOKEN instead. */
export function tokenizePaths(ws: Workspace, dicomRoot: string): void {
  const left = tokenizeFilePaths(ws, dicomRoot, DEMO_ROOT_TOKEN);
  if (left > 0) throw new Error(`${left} indexed files lie outside ${dicomRoot}`);
  checkpointIndex(ws);
}

/** Builds the bundle in a staging folder next to `out`, then swaps it in. */
export async function buildDemo(opts: BuildDemoOptions): Promise<DemoManifest> {
  const log = opts.log ?? (() => {});
  const out = path.resolve(opts.out);
  const staging = `${out}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const dicom = path.join(staging, 'dicom');
  const real = path.join(dicom, 'head-ct-ge');
  const synth = path.join(dicom, 'synthetic');
  mkdirSync(real, { recursive: true });
  for (const name of readdirSync(opts.realCt).filter((n) => /\.dcm$/i.test(n)).sort()) copyFileSync(path.join(opts.realCt, name), path.join(real, name));
  // The notice sits at the bundle's root (and the installed workspace's), outside the scanned tree.
  writeFileSync(path.join(staging, NOTICE_FILE), opts.realCtNotice);
  const studies = opts.syntheticStudies ?? 3;
  log(`synthetic: ${studies} studies`);
  // High prevalence so that every synthetic study shows bleeds; 256 px keeps the files small.
  await generateDataset({ out: synth, studies, seed: opts.syntheticSeed ?? 2026, size: 256, prevalence: { any: 0.5 }, workers: 1 });
  // The labels stay beside the bundle, outside the scanned tree, for anyone who wants to compare.
  renameSync(path.join(synth, 'labels.csv'), path.join(staging, 'synthetic-labels.csv'));
  rmSync(path.join(synth, 'truth.json'), { force: true });
  const compressed = rleCompress(real, log) && rleCompress(synth, log);

  const wsDir = path.join(staging, 'workspace');
  const ws = Workspace.open(wsDir);
  const from = Workspace.open(opts.modelsFrom);
  let manifest: DemoManifest;
  try {
    const scan = await scanFolders(ws, { roots: [dicom] });
    if (scan.problems > 0) log(`scan: ${scan.problems} files with problems`);
    // Out-of-fold predictions and training features are the training set's: the demo needs the models only
    // (and not their cached ONNX graphs, which an installed demo makes on first use).
    const source = activeVersion(from);
    const fp = (source?.fingerprint ?? {}) as { studies?: number; images?: number };
    const trainedOn = `${DEMO_TRAINED_ON}; ${fp.studies ?? '?'} studies, ${fp.images ?? '?'} labelled slices, preset ${source?.preset || '?'}`;
    const moved = copyTrainedModels(from, ws, { skipFiles: /^(oof_|test_)|\.onnx$/ });
    log(`models: ${moved.models.length} copied, ensembles ${moved.ensembles.join(', ')}`);
    const imageIds = indexedImageIds(ws);
    const r = await predictImages({ ws, imageIds, log });
    log(`predictions: ${r.stored} rows for ${r.imageIds.length} images`);
    const studiesN = indexCounts(ws).studies;
    tokenizePaths(ws, dicom);
    // One copy of each model file in the bundle: installing adopts them as the active version v1, with the
    // source version's report (out of fold, on its training data) as v1's.
    dropVersionRecords(ws);
    if (source?.report) writeFileSync(path.join(wsDir, 'report.json'), JSON.stringify(source.report, null, 2) + '\n');
    compactIndex(ws);
    manifest = {
      format: DEMO_FORMAT, createdAt: new Date().toISOString(), studies: studiesN, images: imageIds.length, models: moved.models,
      sources: [
        { folder: 'dicom/head-ct-ge', what: 'real non-contrast head CT, GE HiSpeed Dual, 28 slices, no hemorrhage', license: `BSD-2-Clause, Copyright (c) 2019 Chris Rorden (dcm_qa_ct); see ${NOTICE_FILE}` },
        { folder: 'dicom/synthetic', what: `${studies} synthetic head-CT studies from ich synth (the project's phantom generator)`, license: 'MIT (this project)' },
      ],
      compression: compressed ? 'rle-lossless' : 'as-is',
      trainedOn,
    };
  } finally {
    ws.close();
    from.close();
  }
  for (const f of readdirSync(wsDir)) if (f !== INDEX_FILE && f !== 'models' && f !== 'report.json') rmSync(path.join(wsDir, f), { recursive: true, force: true });
  writeFileSync(path.join(staging, 'demo.json'), JSON.stringify(manifest, null, 2) + '\n');
  replaceDirSync(staging, out);
  return manifest;
}

export function readDemoManifest(bundle: string): DemoManifest {
  const file = path.join(bundle, 'demo.json');
  let m: DemoManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as DemoManifest;
  } catch (err) {
    throw new Error(`${file}: not a demo bundle (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  if (m.format !== DEMO_FORMAT) throw new Error(`${file}: demo format ${m.format}, this version reads ${DEMO_FORMAT}`);
  return m;
}

/**
 * Copies the bundle into `dest` (which must not hold a workspace yet) and points the index at the copied
 * files. Staged next to dest and renamed at the end, so an interrupted install leaves nothing half-made.
 */
export function installDemo(bundle: string, dest: string): DemoManifest {
  const manifest = readDemoManifest(bundle);
  const target = path.resolve(dest);
  if (existsSync(path.join(target, INDEX_FILE))) throw new Error(`${target}: already a workspace; install the demo into a new folder`);
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target}: folder is not empty`);
  const staging = `${target}.installing-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(path.join(bundle, 'workspace'), staging, { recursive: true, preserveTimestamps: true });
  cpSync(path.join(bundle, 'dicom'), path.join(staging, 'dicom'), { recursive: true, preserveTimestamps: true });
  if (existsSync(path.join(bundle, NOTICE_FILE))) copyFileSync(path.join(bundle, NOTICE_FILE), path.join(staging, NOTICE_FILE));
  // Opening adopts the bundle's models as the active version v1; it carries what they were trained on.
  const ws = Workspace.open(staging);
  try {
    const v1 = activeVersion(ws);
    if (v1) annotateVersion(ws, v1.version, { demo: true, trainedOn: manifest.trainedOn ?? DEMO_TRAINED_ON });
    const root = path.join(target, 'dicom');
    const stagingRoot = path.join(staging, 'dicom');
    resolveTokenFilePaths(ws, DEMO_ROOT_TOKEN, (rel) => {
      // A git checkout does not keep mtimes: record the copies' own, so a rescan sees them unchanged.
      // The staging folder is renamed onto the target (same file system): the copy keeps its device and inode.
      const st = statSync(stagingRoot + rel);
      const id = lstatSync(stagingRoot + rel, { bigint: true });
      return { path: root + rel, mtimeMs: Math.round(st.mtimeMs), size: st.size, identity: id.isFile() ? identityOf(id, false) : undefined };
    });
    checkpointIndex(ws);
  } finally {
    ws.close();
  }
  replaceDirSync(staging, target);
  return manifest;
}
