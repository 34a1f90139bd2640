// The whole pipeline as a user runs it (`ich pipeline`, `ich predict`, `ich metric`, `ich ensemble`),
// on a small synthetic set with the tiny preset made smaller still, inside CI time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCtSlice } from '../dicom/write.ts';
import { generateDataset } from '../synth/generate.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { testPreset } from '../train/test-preset.ts';
import type { ClassCalibration } from '../../src-shared/training.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT, maxBuffer: 64 << 20 });

/** A 130-slice head-like series (1.25 mm slices): a skull ring, brain, a bright blob in some slices. */
function writeLongSeries(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  const size = 64;
  for (let i = 0; i < n; i++) {
    const px = new Int16Array(size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const d = Math.hypot(r - 32, c - 32);
        const hu = d > 28 ? -1000 : d > 25 ? 1200 : 35 + (i > 60 && i < 80 && Math.hypot(r - 24, c - 36) < 4 ? 40 : 0);
        px[r * size + c] = hu + 1024;
      }
    }
    const bytes = writeCtSlice({
      sopInstanceUid: `ID_long${String(i).padStart(4, '0')}`, patientId: 'ID_longpatient', patientName: 'Long^Series',
      studyInstanceUid: '1.2.826.0.1.3680043.2.1125.777.1', studyId: '1', studyDate: '20260101', studyTime: '120000',
      seriesInstanceUid: '1.2.826.0.1.3680043.2.1125.777.2', seriesNumber: 1, frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.777.3',
      manufacturer: 'ICH test', instanceNumber: i + 1, imagePositionPatient: [-125, -125, i * 1.25], imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      pixelSpacing: [3.9, 3.9], sliceThickness: 1.25, kvp: 120, rows: size, columns: size, bitsStored: 16, pixelRepresentation: 1,
      windowCenter: 40, windowWidth: 80, rescaleIntercept: -1024, rescaleSlope: 1, pixels: px,
    });
    writeFileSync(path.join(dir, `slice${i}.dcm`), bytes);
  }
}

describe('ich pipeline / predict / metric', () => {
  const t = tempDir('ich-pipeline-');
  const data = path.join(t.dir, 'data');
  const fresh = path.join(t.dir, 'fresh');
  const more = path.join(t.dir, 'more');
  const ws = path.join(t.dir, 'ws');
  const presetFile = path.join(t.dir, 'preset.json');
  const labels = path.join(t.dir, 'labels.csv');
  afterAll(() => t.cleanup());

  beforeAll(async () => {
    await generateDataset({ out: data, studies: 10, seed: 13, size: 64, workers: 1 });
    await generateDataset({ out: fresh, studies: 1, seed: 14, size: 64, workers: 1 });
    await generateDataset({ out: more, studies: 4, seed: 15, size: 64, workers: 1 });
    // The last two series lose their labels: the unlabelled set the risky weights aim at.
    const truth = JSON.parse(readFileSync(path.join(data, 'truth.json'), 'utf8')) as { series: { slices: string[] }[] };
    const hidden = new Set(truth.series.slice(-2).flatMap((s) => s.slices));
    const lines = readFileSync(path.join(data, 'labels.csv'), 'utf8').trim().split('\n');
    writeFileSync(labels, [lines[0], ...lines.slice(1).filter((l) => !hidden.has(l.slice(0, l.lastIndexOf('_'))))].join('\n') + '\n');
    const p = testPreset({ epochs: 1 });
    p.base[0] = { ...p.base[0]!, features: { trainCopies: 4, testCopies: 8, augment: 'se-tta', batchSize: 64 } };
    p.pooledRes = { ...p.pooledRes, epochs: 3, batchSize: 4, bestAverage: 2, oofPasses: 2, testPasses: 2 };
    p.shallow = { ...p.shallow, batchSize: 4, lrSteps: [[1e-3, 2]], passes: 2, weighted: { lrSteps: [[1e-4, 1]] } };
    writeFileSync(presetFile, JSON.stringify(p));
  }, 120_000);

  it('pipeline trains every stage and writes report.json with the contract shape; a rerun resumes', () => {
    const r = ich('pipeline', '--data', data, '--labels', labels, '--workspace', ws, '--preset', presetFile, '--json', '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(ws, 'report.json'), 'utf8')) as {
      baseline: number; baselineTrainingFolds: number; baselineTrainingFoldsPerClass: Record<string, number>;
      stages: { name: string; oofMetric: number; perClass: Record<string, number>; n: number; calibration?: Record<string, ClassCalibration> }[];
    };
    expect(JSON.parse(r.stdout)).toMatchObject({ baseline: report.baseline });
    expect(report.baseline).toBeGreaterThan(0);
    // The other folds' prevalence: never better than the prevalence of every image (the best constant in hindsight).
    expect(report.baselineTrainingFolds).toBeGreaterThanOrEqual(report.baseline - 1e-12);
    expect(Object.keys(report.baselineTrainingFoldsPerClass)).toEqual(['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']);
    expect(report.stages.map((s) => s.name)).toEqual(['base', 'pooled-res', 'shallow', 'shallow-weighted', 'ensemble-safe', 'ensemble-risky']);
    for (const s of report.stages) {
      expect(s.oofMetric).toBeGreaterThan(0);
      expect(Object.keys(s.perClass)).toEqual(['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any']);
      // The ensembles' calibration per class (sensitivity, specificity at the threshold, reliability bins over every image).
      if (!s.name.startsWith('ensemble')) {
        expect(s.calibration).toBeUndefined();
        continue;
      }
      expect(Object.keys(s.calibration!)).toEqual(Object.keys(s.perClass));
      for (const c of Object.values(s.calibration!)) {
        expect(c.threshold).toBe(0.5);
        expect(c.positives + c.negatives).toBe(s.n);
        expect(c.bins.reduce((n, b) => n + b.n, 0)).toBe(s.n);
        for (const v of [c.sensitivity, c.specificity]) if (v !== null) expect(v).toBeGreaterThanOrEqual(0);
      }
    }
    // everything trained is kept: a second run only refits the ensembles
    const again = ich('pipeline', '--data', data, '--labels', labels, '--workspace', ws, '--preset', presetFile, '--json', '--no-progress');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/base tiny-se-resnext\.k2\.f0: trained/);
    expect(again.stderr).not.toMatch(/pooled-res pooled-res\./);
  }, 600_000);

  it('predict scores a new study, stores it, and writes the Kaggle format that ich metric reads', () => {
    const out = path.join(t.dir, 'sub.csv');
    const r = ich('predict', fresh, '--workspace', ws, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { images: number; seconds: Record<string, number> };
    const csv = readFileSync(out, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('ID,Label');
    expect(csv.length - 1).toBe(summary.images * 6);
    expect(csv[1]).toMatch(/^ID_[0-9a-f]+_any,0\.\d+|^ID_[0-9a-f]+_any,[01](\.\d+)?(e-\d+)?$/);
    expect(summary.seconds.total).toBeGreaterThan(0);
    const m = ich('metric', '--pred', out, '--labels', path.join(fresh, 'labels.csv'));
    expect(m.status, m.stderr).toBe(0);
    const metric = JSON.parse(m.stdout) as { loss: number; perClass: Record<string, number>; n: number };
    expect(metric.n).toBe(summary.images);
    expect(metric.loss).toBeGreaterThan(0);
  }, 300_000);

  it('a run on new data is a candidate version: ich predict output is byte-identical until promote, changes with it, and comes back exactly on rollback', () => {
    const predict = (name: string): string => {
      const out = path.join(t.dir, name);
      const r = ich('predict', fresh, '--workspace', ws, '--out', out);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(out, 'utf8');
    };
    const before = predict('v1-a.csv');
    expect(predict('v1-b.csv')).toBe(before); // deterministic
    const run = ich('pipeline', '--data', more, '--labels', path.join(more, 'labels.csv'), '--workspace', ws, '--preset', presetFile, '--json', '--no-progress');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/trained on other data; training it again/);
    // The first test's two runs made v1 (active) and v2 (a candidate); this one is the third.
    expect(JSON.parse(run.stdout).version).toEqual({ id: 'v3', status: 'candidate' });
    const list = ich('models', 'list', '--workspace', ws, '--json');
    expect(list.status, list.stderr).toBe(0);
    const versions = JSON.parse(list.stdout) as { version: string; status: string; createdAt: string; preset: string; report: { baseline: number; stages: unknown[] } }[];
    expect(versions.map((v) => [v.version, v.status])).toEqual([['v3', 'candidate'], ['v2', 'candidate'], ['v1', 'active']]);
    expect(Object.keys(versions[0]!)).toEqual(expect.arrayContaining(['version', 'status', 'createdAt', 'preset', 'report']));
    expect(versions[0]!.report.stages).toHaveLength(6);
    expect(predict('v1-c.csv')).toBe(before);
    expect(ich('models', 'promote', 'v3', '--workspace', ws).status).toBe(0);
    const promoted = predict('v3.csv');
    expect(promoted).not.toBe(before);
    const back = ich('models', 'promote', 'v1', '--workspace', ws);
    expect(back.status, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toEqual({ active: 'v1', previous: 'v3' });
    expect(predict('v1-d.csv')).toBe(before);
    const bad = ich('models', 'promote', 'v7', '--workspace', ws);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/no version v7/);
  }, 600_000);

  it('a 130-slice series gets a prediction for every slice', () => {
    const long = path.join(t.dir, 'long');
    writeLongSeries(long, 130);
    const out = path.join(t.dir, 'long.csv');
    const r = ich('predict', long, '--workspace', ws, '--out', out, '--copies', '2', '--passes', '1');
    expect(r.status, r.stderr).toBe(0);
    const ids = new Set(readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.slice(0, l.indexOf(',')).replace(/_[a-z]+$/, '')));
    expect(ids.size).toBe(130);
    for (let i = 0; i < 130; i++) expect(ids.has(`ID_long${String(i).padStart(4, '0')}`)).toBe(true);
  }, 300_000);

  it('demo build bundles the GE head CT and synthetic studies with the trained models and their predictions; install makes it a workspace', () => {
    const bundle = path.join(t.dir, 'demo');
    const b = ich('demo', 'build', '--models-from', ws, '--out', bundle, '--studies', '1', '--seed', '5');
    expect(b.status, b.stderr).toBe(0);
    const built = JSON.parse(b.stdout.trim().split('\n').at(-1)!) as { studies: number; images: number; models: number };
    expect(built.studies).toBe(2); // the GE study and one synthetic
    expect(built.models).toBeGreaterThanOrEqual(8); // base, pooled-res, shallow, shallow-weighted x 2 folds
    expect(existsSync(path.join(bundle, 'NOTICE-head-ct-ge.md'))).toBe(true);
    const dest = path.join(t.dir, 'demo-ws');
    const i = ich('demo', 'install', '--bundle', bundle, '--workspace', dest);
    expect(i.status, i.stderr).toBe(0);
    const db = new DatabaseSync(path.join(dest, 'index.sqlite'));
    try {
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(count('SELECT COUNT(*) AS n FROM instances')).toBe(built.images);
      // every image has a safe and a risky prediction, and every path points into the installed copy
      expect(count("SELECT COUNT(*) AS n FROM predictions WHERE source IN ('safe', 'risky')")).toBe(2 * built.images);
      expect(count(`SELECT COUNT(*) AS n FROM files WHERE substr(path, 1, ${dest.length}) <> '${dest}'`)).toBe(0);
      expect(count('SELECT COUNT(*) AS n FROM problems')).toBe(0);
    } finally {
      db.close();
    }
    // the demo's models are the installed workspace's active version, which says what they were trained on
    const list = ich('models', 'list', '--workspace', dest, '--json');
    expect(list.status, list.stderr).toBe(0);
    const [v1, ...others] = JSON.parse(list.stdout) as { version: string; status: string; fingerprint: { trainedOn?: string }; report: { stages: unknown[] } | null }[];
    expect(others).toEqual([]);
    expect(v1!.report?.stages).toHaveLength(6); // the source run's out-of-fold report
    expect(v1).toMatchObject({ version: 'v1', status: 'active' });
    expect(v1!.fingerprint.trainedOn).toMatch(/^synthetic head-CT phantoms only .*; \d+ studies, \d+ labelled slices, preset tiny$/);
    // the models came along: a new study predicts in the installed demo
    const r = ich('predict', fresh, '--workspace', dest, '--copies', '2', '--passes', '1');
    expect(r.status, r.stderr).toBe(0);
  }, 600_000);
});
