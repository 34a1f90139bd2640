// The training preflight on a real small workspace (synth -> scan, labels imported only where a test says):
// each failure is one line, and runPipeline stops on it before it scans, imports or starts a stage.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../api/training.ts';
import { importLabels } from '../store/labels.ts';
import { labelledPatients } from '../store/preflight-queries.ts';
import { scanFolders } from '../store/scan.ts';
import { Workspace } from '../store/workspace.ts';
import { generateDataset } from '../synth/generate.ts';
import { tempDir } from '../testing/fixtures.ts';
import { runPipeline } from './pipeline.ts';
import {
  checkDataFolder, checkLabelsMatch, checkScanPath, checkTrainable, pipelineFoldCount, preflightTraining, readLabelImageIds,
} from './preflight.ts';
import { loadPreset, PRESET_NAMES, type Preset } from './presets.ts';
import { PRESET_FOLDS } from '../../src-shared/stages.ts';

const oneLine = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    const m = (err as Error).message;
    expect(m.split('\n')).toHaveLength(1);
    return m;
  }
  throw new Error('expected a preflight error');
};

describe('training preflight', () => {
  const t = tempDir('ich-preflight-');
  const data = path.join(t.dir, 'data');
  const labels = path.join(data, 'labels.csv');
  const foreign = path.join(t.dir, 'foreign.csv');
  let ws: Workspace;
  let tiny: Preset;
  const labelCount = () => Number((ws.db.prepare('SELECT COUNT(*) n FROM labels').get() as { n: number }).n);

  beforeAll(async () => {
    // Three studies of two patients: enough for 2 folds, not for the tiny preset's 3.
    const s = await generateDataset({ out: data, studies: 3, patients: 2, seed: 11, size: 64, workers: 1 });
    expect(s.patients).toBe(2);
    ws = Workspace.open(path.join(t.dir, 'ws'));
    await scanFolders(ws, { roots: [data] });
    writeFileSync(foreign, 'ID,Label\nID_000000000_epidural,0\nID_000000000_any,1\n');
    tiny = loadPreset('tiny');
  }, 120_000);

  afterAll(() => {
    ws?.close();
    t.cleanup();
  });

  it('a data folder that does not exist, is a file, or cannot be read', () => {
    expect(oneLine(() => checkDataFolder('/nonexistent/dicom'))).toBe('data folder /nonexistent/dicom does not exist');
    expect(oneLine(() => checkDataFolder(labels))).toBe(`data folder ${labels} is a file, not a folder`);
    expect(() => checkDataFolder(data)).not.toThrow();
    // `ich scan` also takes single files
    expect(oneLine(() => checkScanPath('/nonexistent'))).toBe('/nonexistent does not exist');
    expect(() => checkScanPath(labels)).not.toThrow();
  });

  it.skipIf(process.getuid?.() === 0)('a data folder without read permission', () => {
    const closed = path.join(t.dir, 'closed');
    mkdirSync(closed);
    chmodSync(closed, 0o000);
    try {
      expect(oneLine(() => checkDataFolder(closed))).toMatch(new RegExp(`^data folder ${closed} is not readable \\(EACCES\\)$`));
    } finally {
      chmodSync(closed, 0o755);
    }
  });

  it('no labelled images', () => {
    expect(labelledPatients(ws).images).toBe(0);
    expect(oneLine(() => checkTrainable(ws, 3))).toBe(`no labelled images in ${ws.dir}: import a labels CSV (ich labels import) or pass --labels`);
    expect(oneLine(() => checkTrainable(ws, 3, { via: 'app' }))).toMatch(/^no labelled images in .*: choose "A DICOM folder and an RSNA labels CSV"/);
  });

  it('a labels CSV that names no indexed image is refused before anything is imported', () => {
    expect(readLabelImageIds(foreign)).toEqual(new Set(['ID_000000000']));
    expect(oneLine(() => checkLabelsMatch(ws, foreign))).toMatch(
      new RegExp(`^labels file ${foreign} names no indexed image: none of its 1 images \\(e\\.g\\. ID_000000000\\) is among the \\d+ indexed in .*; add their DICOM folder first \\(ich scan or --data\\)$`));
    expect(oneLine(() => checkLabelsMatch(ws, '/nonexistent.csv'))).toBe('labels file /nonexistent.csv does not exist');
    const bad = path.join(t.dir, 'bad.csv');
    writeFileSync(bad, 'image,any\n');
    expect(oneLine(() => checkLabelsMatch(ws, bad))).toBe(`${bad}: header is "image,any", expected "ID,Label"`);
    expect(labelCount()).toBe(0);
    // the right file: its images are indexed
    expect(checkLabelsMatch(ws, labels).length).toBeGreaterThan(0);
  });

  it('fewer patients than folds: says how many and the largest fold count that works', () => {
    const pending = checkLabelsMatch(ws, labels);
    expect(oneLine(() => checkTrainable(ws, 3, { pending }))).toBe(
      `2 patients with labelled images in ${ws.dir} cannot fill 3 folds: use --folds 2 (the largest that works) or label more patients`);
    expect(oneLine(() => checkTrainable(ws, 5, { pending, via: 'app' }))).toMatch(/cannot fill 5 folds: set Folds to 2 \(the largest that works\)/);
    expect(checkTrainable(ws, 2, { pending })).toMatchObject({ patients: 2 });
    expect(oneLine(() => checkTrainable(ws, 1, { pending }))).toBe('folds must be a whole number from 2 to 20, got 1');
    // one patient: no fold count works
    const patientOf = ws.db.prepare('SELECT st.patient_id p FROM instances i JOIN studies st USING (study_uid) WHERE i.image_id = ?');
    const first = (patientOf.get(pending[0]!) as { p: string }).p;
    const onePatient = pending.filter((id) => (patientOf.get(id) as { p: string }).p === first);
    expect(oneLine(() => checkTrainable(ws, 2, { pending: onePatient }))).toBe(
      `1 patient with labelled images in ${ws.dir}: training needs at least 2 patients (folds are by patient); label more patients`);
  });

  it('the fold count: --folds, else the largest of the preset\'s models\' folds', () => {
    expect(pipelineFoldCount(tiny)).toBe(3);
    expect(pipelineFoldCount(tiny, 2)).toBe(2);
    expect(pipelineFoldCount(tiny, { k: 4, seed: 1 })).toBe(4);
    expect(pipelineFoldCount(loadPreset('rsna'))).toBe(5);
    // the training panel's Folds default is each preset's own
    for (const p of PRESET_NAMES) expect(PRESET_FOLDS[p]).toBe(loadPreset(p).folds.k);
  });

  it('preflightTraining: the checks a request allows before its data is scanned', () => {
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, data: ['/nonexistent'] }))).toBe('data folder /nonexistent does not exist');
    // data to scan first: the index checks wait for the scan (the pipeline makes them), the labels file must read
    expect(() => preflightTraining(ws, { preset: tiny, data: [data], labels: foreign })).not.toThrow();
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, data: [data], labels: '/none.csv' }))).toBe('labels file /none.csv does not exist');
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, labels: foreign, via: 'app' }))).toMatch(/names no indexed image: .*\(Add folder, or the DICOM folder setting\)$/);
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, labels, via: 'app' }))).toMatch(/^2 patients .* cannot fill 3 folds: set Folds to 2/);
    expect(() => preflightTraining(ws, { preset: tiny, labels, folds: 2 })).not.toThrow();
    expect(labelCount()).toBe(0);
  });

  it('preflightTraining: init weights and test folders, and ImageNet-init presets refused without weights or from-scratch', () => {
    const rsna = loadPreset('rsna');
    const ok = { labels, folds: 2, via: 'app' as const };
    // rsna fine-tunes ImageNet bodies: without weights nor From scratch, the panel's words for the remedy
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, ...ok }))).toMatch(/^preset rsna model \S+ fine-tunes ImageNet weights .*set the Init weights folder to a folder of imported weights, or tick From scratch to train/);
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, labels, folds: 2 }))).toMatch(/point --init at a folder of imported weights, or give --from-scratch/);
    expect(() => preflightTraining(ws, { preset: rsna, ...ok, init: { fromScratch: true } })).not.toThrow();
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, ...ok, init: { initDir: '/nonexistent/weights' } }))).toBe('init weights folder /nonexistent/weights does not exist');
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, labels, folds: 2, init: { initDir: '/nonexistent/weights' } }))).toBe('--init folder /nonexistent/weights does not exist');
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, ...ok, init: { initDir: labels } }))).toBe(`init weights folder ${labels} is a file, not a folder`);
    const weights = path.join(t.dir, 'imagenet');
    mkdirSync(weights, { recursive: true });
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, ...ok, init: { initDir: weights } }))).toMatch(new RegExp(`^Init weights folder ${weights}: no imported \\S+ weights`));
    expect(oneLine(() => preflightTraining(ws, { preset: rsna, ...ok, init: { initDir: weights, fromScratch: true } }))).toBe('Init weights folder and From scratch exclude each other: give one');
    // One imported body per arch (only meta.json is read before the run): accepted.
    for (const arch of new Set(rsna.base.filter((m) => m.init).map((m) => m.arch))) {
      mkdirSync(path.join(weights, arch), { recursive: true });
      writeFileSync(path.join(weights, arch, 'meta.json'), JSON.stringify({ kind: 'ich-body-weights', version: 1, arch }));
    }
    expect(() => preflightTraining(ws, { preset: rsna, ...ok, init: { initDir: weights } })).not.toThrow();
    // The tiny preset starts from random init anyway; an init folder still has to hold its arch.
    expect(() => preflightTraining(ws, { preset: tiny, ...ok })).not.toThrow();
    // Test folders: each must exist and be a folder, checked before anything (data folders to scan included).
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, ...ok, test: [data, '/nonexistent/test'] }))).toBe('test folder /nonexistent/test does not exist');
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, ...ok, test: [labels] }))).toBe(`test folder ${labels} is a file, not a folder`);
    expect(oneLine(() => preflightTraining(ws, { preset: tiny, data: ['/nonexistent'], test: ['/nonexistent/test'] }))).toBe('test folder /nonexistent/test does not exist');
    expect(() => preflightTraining(ws, { preset: tiny, ...ok, test: [data] })).not.toThrow();
    expect(labelCount()).toBe(0);
  });

  it('runPipeline stops before the scan, the import, or any stage', async () => {
    const events: TrainingEvent[] = [];
    const logs: string[] = [];
    const run = (o: Partial<Parameters<typeof runPipeline>[0]>) => runPipeline({ ws, preset: tiny, backend: 'cpu', onEvent: (e) => events.push(e), log: (l) => logs.push(l), ...o });
    await expect(run({ dataDirs: ['/nonexistent'] })).rejects.toThrow(/^data folder \/nonexistent does not exist$/);
    expect(logs).toEqual([]);
    await expect(run({ labelsCsv: foreign })).rejects.toThrow(/names no indexed image/);
    expect(labelCount()).toBe(0);
    await expect(run({})).rejects.toThrow(/^no labelled images in /);
    const r = await importLabels(ws, labels);
    expect(r.errors).toEqual([]);
    await expect(run({})).rejects.toThrow(/^2 patients with labelled images in .* cannot fill 3 folds: use --folds 2/);
    expect(events).toEqual([]);
    expect(readFileSync(labels, 'utf8').startsWith('ID,Label')).toBe(true);
  });
});
