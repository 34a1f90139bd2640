/**
 * Checks made before a training run starts, so that a run that cannot work fails at once with a one-line
 * reason and nothing started (no scan, no import, no job): a data folder that does not exist, a labels CSV
 * that names no indexed image (checked before it is imported), no labelled images, fewer patients than
 * folds, an init weights folder or test folder that does not exist, a preset whose models fine-tune ImageNet
 * weights (rsna) with neither the weights nor from-scratch. Each failure is a thrown Error with one line saying what is wrong and what to do. `ich pipeline`
 * runs them inside runPipeline (the data folder before the scan, the labels before their import, the rest
 * before any stage); the engine host runs preflightTraining before it starts the `ich pipeline` child.
 * `via` words the remedy for where the user is: CLI flags, or the training panel's settings.
 */
import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { parseLabelId, SEED_BAD_IMAGES } from '../store/labels.ts';
import { countIndexedImages, imagePatientLookup, labelledPatients } from '../store/preflight-queries.ts';
import type { Workspace } from '../store/workspace.ts';
// Reads meta.json files only (no tfjs): base-init.ts re-exports it for training.
import { resolveBaseInit, type InitFlags } from './init-resolve.ts';
// The fold limits of the engine API, and so of `--folds` too.
import { MAX_FOLDS, MIN_FOLDS } from '../api/engine.ts';
// Types only: presets.ts loads the model code (tfjs), which the engine host must not load to check a request.
import type { FoldSpec, Preset } from './presets.ts';

export type PreflightVia = 'cli' | 'app';


const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));

function statOrThrow(p: string, what: string): Stats {
  try {
    return statSync(p);
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`${what}${p} does not exist`);
    throw new Error(`${what}${p} cannot be read (${code})`);
  }
}

function readableOrThrow(p: string, what: string, mode: number): void {
  try {
    accessSync(p, mode);
  } catch (err) {
    throw new Error(`${what}${p} is not readable (${codeOf(err)})`);
  }
}

/** A folder a run reads: it exists, is a folder, can be read; `what` names it in the reason ("data folder"). */
export function checkFolder(dir: string, what: string): void {
  const st = statOrThrow(dir, `${what} `);
  if (!st.isDirectory()) throw new Error(`${what} ${dir} is a file, not a folder`);
  readableOrThrow(dir, `${what} `, constants.R_OK | constants.X_OK);
}

/** A DICOM folder to scan (`ich pipeline --data`, Add folder, the panel's DICOM folder): it exists, is a folder, can be read. */
export function checkDataFolder(dir: string): void {
  checkFolder(dir, 'data folder');
}

/** An `ich scan` argument: a folder or a single file that exists and can be read. */
export function checkScanPath(p: string): void {
  const st = statOrThrow(p, '');
  if (!st.isDirectory() && !st.isFile()) throw new Error(`${p} is neither a folder nor a file`);
  readableOrThrow(p, '', st.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
}

/** The image ids an RSNA-format labels CSV names (`ID_<image>_<subtype>,Label` rows), without importing it. */
export function readLabelImageIds(csvPath: string): Set<string> {
  const st = statOrThrow(csvPath, 'labels file ');
  if (!st.isFile()) throw new Error(`labels file ${csvPath} is not a file`);
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch (err) {
    throw new Error(`labels file ${csvPath} is not readable (${codeOf(err)})`);
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim();
  // The same header rule as the import (store/labels.ts).
  if (header.replace(/^\uFEFF/, '').toLowerCase() !== 'id,label') throw new Error(`${csvPath}: header is "${header.slice(0, 40)}", expected "ID,Label"`);
  const ids = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const id = lines[i]!.split(',', 1)[0]!.trim();
    const parsed = id ? parseLabelId(id) : undefined;
    if (parsed) ids.add(parsed.imageId);
  }
  return ids;
}

/**
 * A labels CSV must name at least one indexed image; checked before the import, so a wrong file (another
 * data set's labels, labels of a folder not scanned yet) imports nothing. Returns the indexed images it names.
 */
export function checkLabelsMatch(ws: Workspace, csvPath: string, via: PreflightVia = 'cli'): string[] {
  const ids = readLabelImageIds(csvPath);
  if (ids.size === 0) throw new Error(`labels file ${csvPath} has no label rows (ID_<image>_<subtype>,Label)`);
  const patientOf = imagePatientLookup(ws);
  const matched = [...ids].filter((id) => patientOf(id) !== undefined);
  if (matched.length === 0) {
    const indexed = countIndexedImages(ws);
    const scan = via === 'cli' ? 'ich scan or --data' : 'Add folder, or the DICOM folder setting';
    const example = [...ids][0]!;
    throw new Error(indexed === 0
      ? `labels file ${csvPath} names no indexed image: ${ws.dir} indexes no images yet; add their DICOM folder first (${scan})`
      : `labels file ${csvPath} names no indexed image: none of its ${ids.size} images (e.g. ${example}) is among the ${indexed} indexed in ${ws.dir}; add their DICOM folder first (${scan})`);
  }
  return matched;
}

/** The fold count a pipeline run needs: the override (--folds), else the largest of the preset's base models' folds. */
export function pipelineFoldCount(preset: Preset, folds?: FoldSpec | number): number {
  if (folds !== undefined) return typeof folds === 'number' ? folds : folds.k;
  // As presets.ts foldsOf: a model's own folds, else the preset's.
  return Math.max(...preset.base.map((m) => (m.folds ?? preset.folds).k));
}

/**
 * Labelled images to train on, and at least as many patients (among them) as folds: folds are by patient,
 * and every fold must validate someone. `pending`: indexed images a labels CSV about to be imported names.
 */
export function checkTrainable(ws: Workspace, k: number, opts: { pending?: readonly string[]; via?: PreflightVia } = {}): { images: number; patients: number } {
  const via = opts.via ?? 'cli';
  if (!Number.isInteger(k) || k < MIN_FOLDS || k > MAX_FOLDS) throw new Error(`folds must be a whole number from ${MIN_FOLDS} to ${MAX_FOLDS}, got ${k}`);
  const { images, patients } = labelledPatients(ws);
  let added = 0;
  if (opts.pending?.length) {
    const bad = new Set(SEED_BAD_IMAGES);
    const patientOf = imagePatientLookup(ws);
    for (const id of opts.pending) {
      const p = bad.has(id) ? undefined : patientOf(id);
      if (p === undefined) continue;
      added++;
      patients.add(p);
    }
  }
  const n = patients.size;
  if (images + added === 0) {
    throw new Error(via === 'cli'
      ? `no labelled images in ${ws.dir}: import a labels CSV (ich labels import) or pass --labels`
      : `no labelled images in ${ws.dir}: choose "A DICOM folder and an RSNA labels CSV" and give the labels, or import them (ich labels import)`);
  }
  const who = `${n} patient${n === 1 ? '' : 's'} with labelled images in ${ws.dir}`;
  if (n < 2) throw new Error(`${who}: training needs at least 2 patients (folds are by patient); label more patients`);
  if (n < k) {
    const best = Math.min(n, MAX_FOLDS);
    throw new Error(`${who} cannot fill ${k} folds: ${via === 'cli' ? `use --folds ${best}` : `set Folds to ${best}`} (the largest that works) or label more patients`);
  }
  return { images: images + added, patients: n };
}

export interface PreflightRequest {
  preset: Preset;
  /** The --folds override (a count; the seed does not matter here). */
  folds?: FoldSpec | number;
  /** DICOM folders the run scans first. */
  data?: readonly string[];
  /** A labels CSV the run imports first. */
  labels?: string;
  /** Unlabelled test DICOM folders the run scans first (`--test`). */
  test?: readonly string[];
  /** Where the base CNNs start (`--init`, `--from-scratch`). */
  init?: InitFlags;
  via?: PreflightVia;
}

/**
 * Every check a run's request allows before it starts (the engine host, before it spawns the pipeline).
 * With data folders to scan first, the checks that need their images indexed (labels against the index,
 * labelled patients against folds) cannot run yet: the pipeline runs them after its scan, before any stage.
 */
export function preflightTraining(ws: Workspace, req: PreflightRequest): void {
  const via = req.via ?? 'cli';
  if (req.init?.initDir) checkFolder(req.init.initDir, via === 'cli' ? '--init folder' : 'init weights folder');
  for (const d of req.test ?? []) checkFolder(d, 'test folder');
  for (const d of req.data ?? []) checkDataFolder(d);
  // As runPipeline, before any scan: every base model's start (an rsna model without ImageNet weights and
  // without from-scratch refuses, naming the import command).
  for (const m of req.preset.base) resolveBaseInit(ws, req.preset.name, m, req.init ?? {}, via);
  if (req.data?.length) {
    if (req.labels) readLabelImageIds(req.labels);
    return;
  }
  const pending = req.labels ? checkLabelsMatch(ws, req.labels, via) : undefined;
  checkTrainable(ws, pipelineFoldCount(req.preset, req.folds), { ...(pending ? { pending } : {}), via });
}
