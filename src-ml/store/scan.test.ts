import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GE_DIR, hasCommand, hasPythonModules, PHILIPS_DIR, SYNTAX_DIR, tempDir, writeEnhancedCt } from '../testing/fixtures.ts';
import { scanReport } from './queries.ts';
import { scanFolders } from './scan.ts';
import { Workspace } from './workspace.ts';

const geFiles = readdirSync(GE_DIR).filter((n) => n.endsWith('.dcm')).sort();

/** Offset of an explicit-VR-LE element's value, found by its tag + VR bytes. */
function valueOffset(bytes: Buffer, group: number, element: number, vr: string): number {
  const key = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, vr.charCodeAt(0), vr.charCodeAt(1)]);
  const at = bytes.indexOf(key, 132);
  if (at < 0) throw new Error('tag not found');
  return at + 8;
}

/** A Part 10 file with its preamble and meta header stripped: a bare explicit-LE data set. */
function stripMeta(bytes: Buffer): Buffer {
  const groupLength = bytes.readUInt32LE(valueOffset(bytes, 0x0002, 0x0000, 'UL'));
  return bytes.subarray(132 + 12 + groupLength);
}

describe('scan: the sample head CTs', () => {
  const t = tempDir();
  let ws: Workspace;
  beforeAll(async () => {
    ws = Workspace.open(t.dir);
    await scanFolders(ws, { roots: [GE_DIR, PHILIPS_DIR] });
  });
  afterAll(() => {
    ws.close();
    t.cleanup();
  });

  it('indexes both series, every slice once, and reports the DICOMDIR as a problem', () => {
    const report = scanReport(ws);
    expect(report.series).toHaveLength(2);
    for (const s of report.series) {
      expect(s.modality).toBe('CT');
      expect(s.instances).toHaveLength(28);
      expect(new Set(s.instances).size).toBe(28);
    }
    expect(report.problems).toEqual([
      { path: path.join(PHILIPS_DIR, 'DIRFILE'), kind: 'no_pixels', message: expect.stringContaining('DICOMDIR') },
    ]);
  });

  it('orders the tilted GE series along its slice normal, monotonic in location', () => {
    const ge = scanReport(ws).series.find((s) => s.patientId && s.instances.length === 28 && /GE/i.test(
      (ws.db.prepare('SELECT manufacturer FROM series WHERE series_uid = ?').get(s.seriesInstanceUid) as { manufacturer: string }).manufacturer))!;
    const rows = ge.instances.map((id) => ws.db.prepare(`SELECT ImagePositionPatient_0 x, ImagePositionPatient_1 y, ImagePositionPatient_2 z,
      ImageOrientationPatient_0 a, ImageOrientationPatient_1 b, ImageOrientationPatient_2 c,
      ImageOrientationPatient_3 d, ImageOrientationPatient_4 e, ImageOrientationPatient_5 f FROM instances WHERE image_id = ?`).get(id) as Record<string, number>);
    const r0 = rows[0]!;
    const n = [r0.b! * r0.f! - r0.c! * r0.e!, r0.c! * r0.d! - r0.a! * r0.f!, r0.a! * r0.e! - r0.b! * r0.d!];
    const loc = rows.map((r) => r.x! * n[0]! + r.y! * n[1]! + r.z! * n[2]!);
    for (let i = 1; i < loc.length; i++) expect(loc[i]!).toBeGreaterThan(loc[i - 1]!);
    // The tilt: the column direction is not perpendicular to z (18.5 degrees, cos = 0.948).
    expect(Math.abs(r0.e!)).toBeCloseTo(Math.cos((18.5 * Math.PI) / 180), 2);
  });

  it('stores the seed metadata fields, multi-valued windows split into _0 and _1', () => {
    const row = ws.db.prepare(`SELECT WindowCenter, WindowCenter_0, WindowCenter_1, WindowWidth_0, RescaleIntercept, BitsStored, PixelRepresentation, PxlMin, PxlMax
      FROM instances i JOIN files f USING (file_id) WHERE f.path = ?`).get(path.join(PHILIPS_DIR, 'I10')) as Record<string, unknown>;
    expect(String(row.WindowCenter)).toContain('\\');
    expect(row.WindowCenter_0).toEqual(expect.any(Number));
    expect(row.WindowCenter_1).toEqual(expect.any(Number));
    expect(row.RescaleIntercept).toBe(-1024);
    expect(row.BitsStored).toBe(12);
    expect(row.PixelRepresentation).toBe(0);
    expect(row.PxlMin as number).toBeLessThan(row.PxlMax as number);
  });
});

describe('scan: bad input never stops a scan', () => {
  const t = tempDir();
  const data = path.join(t.dir, 'data');
  let ws: Workspace;
  beforeAll(async () => {
    mkdirSync(data);
    for (const n of geFiles.slice(0, 3)) copyFileSync(path.join(GE_DIR, n), path.join(data, n));
    const ge = readFileSync(path.join(GE_DIR, geFiles[5]!));
    writeFileSync(path.join(data, 'notes.txt'), 'not a DICOM file at all, just some text that is long enough to look at\n'.repeat(5));
    writeFileSync(path.join(data, 'truncated.dcm'), ge.subarray(0, 3000));
    const lying = Buffer.from(ge);
    lying.writeUInt16LE(4096, valueOffset(lying, 0x0028, 0x0010, 'US')); // Rows 512 -> 4096: header lies about the size
    writeFileSync(path.join(data, 'lying.dcm'), lying);
    writeFileSync(path.join(data, 'bare.dcm'), stripMeta(ge));
    copyFileSync(path.join(SYNTAX_DIR, 'pydicom/MR_small_implicit.dcm'), path.join(data, 'mr.dcm'));
    copyFileSync(path.join(SYNTAX_DIR, 'cornerstone/no-pixel-data.dcm'), path.join(data, 'sr.dcm'));
    writeFileSync(path.join(data, 'empty.dcm'), Buffer.alloc(0));
    if (hasCommand('dump2dcm')) {
      const pixels = new Int16Array(3 * 4 * 4).map((_, i) => i - 10);
      writeEnhancedCt(data, 'enhanced', {
        sopInstanceUid: '1.2.826.0.1.3680043.8.498.77', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.78',
        positions: [[0, 0, 20], [0, 0, 10], [0, 0, 15]], rows: 4, columns: 4, intercepts: [-1024, -1000, -1024], pixels,
      });
    }
    ws = Workspace.open(path.join(t.dir, 'ws'));
    await scanFolders(ws, { roots: [data], batchSize: 2 });
  });
  afterAll(() => {
    ws.close();
    t.cleanup();
  });

  it('reports each bad file with a kind and indexes every good one', () => {
    const report = scanReport(ws);
    const byName = Object.fromEntries(report.problems.map((p) => [path.basename(p.path), p]));
    expect(byName['notes.txt']?.kind).toBe('not_dicom');
    expect(byName['empty.dcm']?.kind).toBe('not_dicom');
    expect(byName['truncated.dcm']?.kind).toBe('unreadable');
    expect(byName['lying.dcm']?.kind).toBe('unreadable');
    expect(byName['lying.dcm']?.message).toMatch(/pixel data/i);
    expect(byName['mr.dcm']?.kind).toBe('not_ct');
    expect(byName['sr.dcm']?.kind).toBe('no_pixels');
    expect(Object.keys(byName).sort()).toEqual(['empty.dcm', 'lying.dcm', 'mr.dcm', 'notes.txt', 'sr.dcm', 'truncated.dcm']);
    for (const p of report.problems) expect(p.message).not.toContain('\n');
    const ge = report.series.find((s) => s.instances.length === 4)!;
    expect(ge).toBeDefined(); // three copies + the bare data set of a fourth slice
    expect(ge.warnings.join(' ')).toMatch(/no preamble or meta header/);
  });

  it.skipIf(!hasCommand('dump2dcm'))('gives one slice per frame of an Enhanced CT, ordered by per-frame position', () => {
    const report = scanReport(ws);
    const enhanced = report.series.find((s) => s.seriesInstanceUid === '1.2.826.0.1.3680043.8.498.78')!;
    const uid = '1.2.826.0.1.3680043.8.498.77';
    expect(enhanced.instances).toEqual([`${uid}#2`, `${uid}#3`, `${uid}#1`]);
    const f2 = ws.db.prepare('SELECT ImagePositionPatient_2 z, RescaleIntercept b, PxlMin, PxlMax, PixelSpacing_0 ps FROM instances WHERE image_id = ?').get(`${uid}#2`) as Record<string, number>;
    expect(f2).toEqual({ z: 10, b: -1000, PxlMin: 16 - 10 - 1000, PxlMax: 31 - 10 - 1000, ps: 0.5 });
  });
});

describe('scan: incremental rescans', () => {
  it('skips unchanged files, rereads changed ones, forgets deleted ones', async () => {
    const t = tempDir();
    try {
      const data = path.join(t.dir, 'data');
      mkdirSync(data);
      for (const n of geFiles.slice(0, 6)) copyFileSync(path.join(GE_DIR, n), path.join(data, n));
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      const first = await scanFolders(ws, { roots: [data] });
      expect(first).toMatchObject({ indexed: 6, unchanged: 0, removed: 0, problems: 0 });
      const again = await scanFolders(ws, { roots: [data] });
      expect(again).toMatchObject({ indexed: 0, unchanged: 6, removed: 0 });
      const touched = path.join(data, geFiles[0]!);
      utimesSync(touched, new Date(), new Date(Date.now() + 5000));
      rmSync(path.join(data, geFiles[1]!));
      const third = await scanFolders(ws, { roots: [data] });
      expect(third).toMatchObject({ indexed: 1, unchanged: 4, removed: 1 });
      expect(scanReport(ws).series[0]!.instances).toHaveLength(5);
      ws.close();
    } finally {
      t.cleanup();
    }
  });

  it('cancels between files, keeping what was committed', async () => {
    const t = tempDir();
    try {
      const ws = Workspace.open(t.dir);
      const controller = new AbortController();
      await expect(scanFolders(ws, {
        roots: [GE_DIR], batchSize: 4, signal: controller.signal,
        onProgress: (p) => { if (p.done === 10) controller.abort(); },
      })).rejects.toThrow(/cancelled/);
      const n = (ws.db.prepare('SELECT count(*) n FROM files').get() as { n: number }).n;
      expect(n).toBe(10);
      const rest = await scanFolders(ws, { roots: [GE_DIR] });
      expect(rest).toMatchObject({ indexed: 18, unchanged: 10 });
      ws.close();
    } finally {
      t.cleanup();
    }
  });
});

describe('seed pixel statistics against pydicom + numpy', () => {
  it.skipIf(!hasPythonModules('pydicom', 'numpy'))('PxlMin/PxlMax/PxlMean/PxlStd equal numpy on raw * int(slope) + int(intercept)', async () => {
    const { execFileSync } = await import('node:child_process');
    const t = tempDir();
    try {
      const ws = Workspace.open(t.dir);
      const files = [path.join(GE_DIR, geFiles[3]!), path.join(PHILIPS_DIR, 'I150')];
      await scanFolders(ws, { roots: files });
      const script = `import sys, json, pydicom
out = []
for p in sys.argv[1:]:
    d = pydicom.dcmread(p)
    px = d.pixel_array.astype('int64') * int(float(d.RescaleSlope)) + int(float(d.RescaleIntercept))
    out.append([float(px.min()), float(px.max()), float(px.mean()), float(px.std())])
print(json.dumps(out))`;
      const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' })) as number[][];
      files.forEach((f, i) => {
        const row = ws.db.prepare('SELECT PxlMin, PxlMax, PxlMean, PxlStd FROM instances i JOIN files f USING (file_id) WHERE f.path = ?').get(f) as Record<string, number>;
        const [mn, mx, mean, std] = ref[i]!;
        expect(row.PxlMin).toBe(mn);
        expect(row.PxlMax).toBe(mx);
        expect(row.PxlMean).toBeCloseTo(mean!, 6);
        expect(row.PxlStd).toBeCloseTo(std!, 6);
      });
      ws.close();
    } finally {
      t.cleanup();
    }
  });
});
