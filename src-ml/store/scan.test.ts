import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setNumberOfFrames } from '../dicom/testing/mutate-dicom.ts';
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

  it('rereads once an indexed image that has no recorded identity (a row from before migration 5), also through a folder link', async () => {
    const t = tempDir();
    try {
      const real = path.join(t.dir, 'real');
      mkdirSync(real);
      for (const n of geFiles.slice(0, 2)) copyFileSync(path.join(GE_DIR, n), path.join(real, n));
      const data = path.join(t.dir, 'data');
      mkdirSync(data);
      symlinkSync(real, path.join(data, 'linked'));
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      expect(await scanFolders(ws, { roots: [data] })).toMatchObject({ indexed: 2, unchanged: 0, problems: 0 });
      const identities = () => ws.db.prepare('SELECT identity FROM files ORDER BY path').all().map((r) => (r as { identity: string | null }).identity);
      const recorded = identities();
      expect(recorded.every((i) => typeof i === 'string')).toBe(true);
      ws.db.exec('UPDATE files SET identity = NULL');
      expect(await scanFolders(ws, { roots: [data] })).toMatchObject({ indexed: 2, unchanged: 0, problems: 0 });
      expect(identities()).toEqual(recorded);
      expect(await scanFolders(ws, { roots: [data] })).toMatchObject({ indexed: 0, unchanged: 2 });
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

describe('scan: hostile folders (issue 14)', () => {
  it('follows folder links once: two loops, a self link and repeats end at once, each file read once, each loop reported', async () => {
    const t = tempDir();
    try {
      const data = path.join(t.dir, 'data');
      const outside = path.join(t.dir, 'outside');
      mkdirSync(path.join(data, 'sub'), { recursive: true });
      mkdirSync(outside);
      for (const n of geFiles.slice(0, 3)) copyFileSync(path.join(GE_DIR, n), path.join(data, n));
      copyFileSync(path.join(GE_DIR, geFiles[3]!), path.join(data, 'sub', 'x.dcm'));
      copyFileSync(path.join(GE_DIR, geFiles[4]!), path.join(outside, 'y.dcm'));
      symlinkSync('.', path.join(data, 'a')); // ln -s . a
      symlinkSync('.', path.join(data, 'b')); // ln -s . b
      symlinkSync('..', path.join(data, 'sub', 'up'));
      symlinkSync(outside, path.join(data, 'ext'));
      symlinkSync(outside, path.join(data, 'ext2'));
      symlinkSync(geFiles[0]!, path.join(data, 'same.dcm'));
      symlinkSync('nowhere', path.join(data, 'dangling'));
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      const read: string[] = [];
      const t0 = Date.now();
      const summary = await scanFolders(ws, { roots: [data], onProgress: (p) => { if (p.item) read.push(p.item); } });
      expect(Date.now() - t0).toBeLessThan(10_000);
      // Each file once: three copies, sub/x.dcm, and the outside folder's file through its first link.
      const report = scanReport(ws, summary.files);
      expect(report.series).toHaveLength(1);
      expect(report.series[0]!.instances).toHaveLength(5);
      const withSlices = (ws.db.prepare('SELECT DISTINCT f.path FROM instances i JOIN files f USING (file_id)').all() as { path: string }[]).map((r) => r.path).sort();
      expect(withSlices).toEqual([...geFiles.slice(0, 3).map((n) => path.join(data, n)), path.join(data, 'ext', 'y.dcm'), path.join(data, 'sub', 'x.dcm')].sort());
      expect(new Set(read).size).toBe(read.length);
      const problems = Object.fromEntries(report.problems.map((p) => [path.relative(data, p.path), p.message]));
      expect(problems).toEqual({
        a: `folder link loop: leads back to ${data}, which holds it; not followed`,
        b: `folder link loop: leads back to ${data}, which holds it; not followed`,
        'sub/up': `folder link loop: leads back to ${data}, which holds it; not followed`,
        ext2: `link to a folder scanned as ${path.join(data, 'ext')}; not followed`,
        'same.dcm': `same file as ${path.join(data, geFiles[0]!)} (reached through a link); read once`,
        dangling: expect.stringContaining('ENOENT'),
      });
      expect(summary).toMatchObject({ indexed: 11, problems: 6 });
      expect(summary.files).toHaveLength(11);
      // A rescan keeps the walk's problems (they are in the scan's scope) and rereads nothing.
      const again = await scanFolders(ws, { roots: [data] });
      expect(again).toMatchObject({ unchanged: 5, removed: 0, problems: 6 });
      expect(scanReport(ws, again.files).problems).toHaveLength(6);
      ws.close();
    } finally {
      t.cleanup();
    }
  });

  it('a root given twice, or inside another root, is walked once and is no problem', async () => {
    const t = tempDir();
    try {
      const data = path.join(t.dir, 'data');
      mkdirSync(path.join(data, 'sub'), { recursive: true });
      copyFileSync(path.join(GE_DIR, geFiles[0]!), path.join(data, 'sub', 'x.dcm'));
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      const summary = await scanFolders(ws, { roots: [path.join(data, 'sub'), data, data, path.join(data, 'sub', 'x.dcm')] });
      expect(summary).toMatchObject({ files: [path.join(data, 'sub', 'x.dcm')], indexed: 1, problems: 0 });
      ws.close();
    } finally {
      t.cleanup();
    }
  });

  it('a root that does not exist fails the scan with one line naming it, and nothing indexed is forgotten', async () => {
    const t = tempDir();
    try {
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      await expect(scanFolders(ws, { roots: ['/nonexistent/dicom'] })).rejects.toThrow(/^\/nonexistent\/dicom does not exist$/);
      await expect(scanFolders(ws, { roots: [GE_DIR, '/dev/null'] })).rejects.toThrow(/^\/dev\/null is neither a folder nor a file$/);
      expect((ws.db.prepare('SELECT count(*) n FROM files').get() as { n: number }).n).toBe(0);
      const data = path.join(t.dir, 'data');
      mkdirSync(data);
      for (const n of geFiles.slice(0, 2)) copyFileSync(path.join(GE_DIR, n), path.join(data, n));
      await scanFolders(ws, { roots: [data] });
      rmSync(data, { recursive: true, force: true }); // an unplugged drive, say
      await expect(scanFolders(ws, { roots: [data] })).rejects.toThrow(`${data} does not exist`);
      expect((ws.db.prepare('SELECT count(*) n FROM instances').get() as { n: number }).n).toBe(2);
      ws.close();
    } finally {
      t.cleanup();
    }
  });

  it('reports a file claiming 99,999,999 frames as one problem, quickly, and indexes the rest', async () => {
    const t = tempDir();
    try {
      const data = path.join(t.dir, 'data');
      mkdirSync(data);
      const multi = new Uint8Array(readFileSync(path.join(SYNTAX_DIR, 'dicomparser/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm')));
      writeFileSync(path.join(data, 'huge-frames.dcm'), setNumberOfFrames(multi, '99999999')!);
      for (const n of geFiles.slice(0, 2)) copyFileSync(path.join(GE_DIR, n), path.join(data, n));
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      const t0 = Date.now();
      const summary = await scanFolders(ws, { roots: [data] });
      expect(Date.now() - t0).toBeLessThan(10_000);
      const report = scanReport(ws, summary.files);
      expect(report.problems).toEqual([{ path: path.join(data, 'huge-frames.dcm'), kind: 'unreadable', message: 'Number of Frames "99999999" is not an integer in 0..65536' }]);
      expect(report.series[0]!.instances).toHaveLength(2);
      ws.close();
    } finally {
      t.cleanup();
    }
  });
});

describe('scan: every ignored duplicate copy is reported (issue 14)', () => {
  const duplicates = (ws: Workspace) => scanReport(ws).series.flatMap((s) => s.warnings).filter((w) => / is in more than one file: /.test(w)).sort();

  it('names each ignored copy with the kept path, through rescans and removals', async () => {
    const t = tempDir();
    try {
      const data = path.join(t.dir, 'data');
      mkdirSync(data);
      const copies = ['a.dcm', 'b.dcm', 'c.dcm', 'd.dcm'].map((n) => path.join(data, n));
      for (const c of copies) copyFileSync(path.join(GE_DIR, geFiles[0]!), c);
      const ws = Workspace.open(path.join(t.dir, 'ws'));
      await scanFolders(ws, { roots: [data] });
      const uid = scanReport(ws).series[0]!.instances[0]!;
      const kept = (ws.db.prepare('SELECT f.path FROM instances i JOIN files f USING (file_id) WHERE image_id = ?').get(uid) as { path: string }).path;
      const named = (keptPath: string, others: string[]) => others.map((p) => `image ${uid} is in more than one file: kept ${keptPath}, ignored ${p}`).sort();
      expect(duplicates(ws)).toEqual(named(kept, copies.filter((c) => c !== kept)));
      // Read again (changed mtime), the kept copy still names every other one.
      utimesSync(kept, new Date(), new Date(Date.now() + 5000));
      await scanFolders(ws, { roots: [data] });
      expect(duplicates(ws)).toEqual(named(kept, copies.filter((c) => c !== kept)));
      // An ignored copy read again takes over and names the rest, the old kept copy included.
      const other = copies.find((c) => c !== kept)!;
      utimesSync(other, new Date(), new Date(Date.now() + 9000));
      await scanFolders(ws, { roots: [data] });
      expect(duplicates(ws)).toEqual(named(other, copies.filter((c) => c !== other)));
      // A copy deleted from disk is no longer named.
      const deleted = copies.find((c) => c !== other)!;
      rmSync(deleted);
      await scanFolders(ws, { roots: [data] });
      expect(duplicates(ws)).toEqual(named(other, copies.filter((c) => c !== other && c !== deleted)));
      ws.close();
    } finally {
      t.cleanup();
    }
  });
});
