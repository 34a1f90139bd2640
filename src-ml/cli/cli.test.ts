// Drives the real `ich` command as a user would: a child process per call.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../store/npy.ts';
import { METADATA_COLUMNS } from '../store/schema.ts';
import { GE_DIR, PHILIPS_DIR, REPO_ROOT, tempDir, writeSeriesCopies } from '../testing/fixtures.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });

describe('ich CLI', () => {
  const t = tempDir();
  const ws = path.join(t.dir, 'ws');
  afterAll(() => t.cleanup());

  it('--help lists the commands', () => {
    const r = ich('--help');
    expect(r.status).toBe(0);
    for (const c of ['scan', 'hu', 'labels', 'export']) expect(r.stdout).toContain(c);
  });

  it('scan --json prints the series in slice order and the problems, exit 0', () => {
    const r = ich('scan', GE_DIR, PHILIPS_DIR, '--workspace', ws, '--json', '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['series', 'problems']);
    expect(report.series).toHaveLength(2);
    for (const s of report.series) {
      expect(Object.keys(s)).toEqual(['seriesInstanceUid', 'studyInstanceUid', 'patientId', 'modality', 'instances', 'warnings']);
      expect(s.instances).toHaveLength(28);
    }
    expect(report.problems).toEqual([{ path: path.join(PHILIPS_DIR, 'DIRFILE'), kind: 'no_pixels', message: expect.any(String) }]);
  });

  it('hu writes a float32 (rows, cols) .npy in HU', () => {
    const out = path.join(t.dir, 'slice.npy');
    const r = ich('hu', path.join(GE_DIR, '14.dcm'), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const npy = decodeNpy(new Uint8Array(readFileSync(out)));
    expect(npy.dtype).toBe('<f4');
    expect(npy.shape).toEqual([512, 512]);
    const values = npy.data as Float32Array;
    // A head CT mid-slice: air around the head, brain in between, bone above 700 HU.
    expect(values.reduce((a, b) => Math.min(a, b))).toBeLessThanOrEqual(-1000);
    expect(values.reduce((a, b) => Math.max(a, b))).toBeGreaterThan(700);
    const brain = values.filter((v) => v > 20 && v < 45).length;
    expect(brain).toBeGreaterThan(5000);
  });

  it('errors are one line naming the file, non-zero exit, no stack trace', () => {
    const bad = path.join(t.dir, 'bad.dcm');
    writeFileSync(bad, 'hello');
    const r = ich('hu', bad, '--out', path.join(t.dir, 'x.npy'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    const frame = ich('hu', path.join(GE_DIR, '14.dcm'), '--out', path.join(t.dir, 'x.npy'), '--frame', '2');
    expect(frame.status).toBe(1);
    expect(frame.stderr).toMatch(/14\.dcm: --frame 2 but the file has 1 frame/);
  });

  it('scan of a path that does not exist: one line naming it, exit 1, no output, no workspace made', () => {
    const missing = path.join(t.dir, 'ws-missing');
    for (const json of [[], ['--json']]) {
      const r = ich('scan', '/nonexistent/dicom', '--workspace', missing, ...json, '--no-progress');
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('ich: /nonexistent/dicom does not exist\n');
    }
    expect(existsSync(missing)).toBe(false);
  });

  it('pipeline --data of a folder that does not exist: one line naming it, exit 1, nothing trained', () => {
    const r = ich('pipeline', '--data', '/nonexistent/dicom', '--workspace', path.join(t.dir, 'ws-pipe'), '--no-progress', '--json');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n').at(-1)).toBe('ich: data folder /nonexistent/dicom does not exist');
  });

  it('labels import and export metadata use the seed column names', () => {
    const csv = path.join(t.dir, 'labels.csv');
    writeFileSync(csv, 'ID,Label\n' + ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'].map((s) => `ID_abc123def_${s},0`).join('\n') + '\n');
    const imp = ich('labels', 'import', csv, '--workspace', ws);
    expect(imp.status, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/^1 images labelled/);
    const out = path.join(t.dir, 'meta.csv');
    const exp = ich('export', 'metadata', '--workspace', ws, '--out', out);
    expect(exp.status, exp.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + 56);
    const header = lines[0]!.split(',');
    expect(header.slice(0, METADATA_COLUMNS.length)).toEqual(METADATA_COLUMNS.map(([n]) => n));
    for (const c of ['PxlMin', 'PxlMax', 'PxlMean', 'PxlStd', 'ImagePositionPatient_2', 'WindowCenter_1']) expect(header).toContain(c);
  });
});

describe('a scan killed midway', () => {
  const t = tempDir();
  let files: string[] = [];
  beforeAll(async () => {
    files = await writeSeriesCopies(path.join(t.dir, 'data'), 6);
  });
  afterAll(() => t.cleanup());

  it('leaves a consistent index, and a rerun completes it', async () => {
    const ws = path.join(t.dir, 'ws');
    const child = spawn(process.execPath, [ICH, 'scan', path.join(t.dir, 'data'), '--workspace', ws, '--batch-size', '5'], { cwd: REPO_ROOT });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // Non-TTY progress prints a line per tenth; kill hard once a third is done.
        const m = [...stderr.matchAll(/scan: (\d+)\/(\d+)/g)].pop();
        if (m && Number(m[1]) >= Number(m[2]) / 3) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    expect(child.signalCode).toBe('SIGKILL');
    const db = new DatabaseSync(path.join(ws, 'index.sqlite'));
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    const nFiles = (db.prepare('SELECT count(*) n FROM files').get() as { n: number }).n;
    expect(nFiles).toBeGreaterThan(0);
    expect(nFiles).toBeLessThan(files.length);
    expect(nFiles % 5).toBe(0); // whole batches only
    // Every committed file has its slice, and every slice its series and study.
    expect((db.prepare('SELECT count(*) n FROM instances').get() as { n: number }).n).toBe(nFiles);
    expect((db.prepare('SELECT count(*) n FROM instances i LEFT JOIN series s USING (series_uid) WHERE s.series_uid IS NULL').get() as { n: number }).n).toBe(0);
    db.close();

    const rerun = ich('scan', path.join(t.dir, 'data'), '--workspace', ws, '--json', '--no-progress');
    expect(rerun.status, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout);
    expect(report.problems).toEqual([]);
    expect(report.series).toHaveLength(6);
    expect(report.series.map((s: { instances: string[] }) => s.instances.length)).toEqual([28, 28, 28, 28, 28, 28]);
    const db2 = new DatabaseSync(path.join(ws, 'index.sqlite'));
    expect((db2.prepare('SELECT count(*) n FROM files').get() as { n: number }).n).toBe(files.length);
    db2.close();
  });
});
