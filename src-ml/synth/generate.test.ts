import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSliceHeaders } from '../dicom/header.ts';
import { parseDicomBytes } from '../dicom/parse.ts';
import { decodeFrameStored, initCodecsFor, storedToHu } from '../dicom/pixels.ts';
import { hasCommand, tempDir } from '../testing/fixtures.ts';
import { evaluateBaseline } from './baseline.ts';
import { generateDataset } from './generate.ts';
import { writeGallery } from './gallery.ts';
import { createRng } from '../base/random.ts';
import { renderSlice } from './render-slice.ts';
import { toStoredPixels } from './scanner.ts';
import { planDataset } from './study-plan.ts';
import { SUBTYPES } from './types.ts';

interface Truth {
  series: { seriesInstanceUid: string; brokenIntercept: boolean; slices: string[] }[];
  slices: Record<string, { series: string; zMm: number; types: string[]; areaMm2: Record<string, number> }>;
}

const hashDir = (dir: string) => {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) h.update(name).update(readFileSync(path.join(dir, name)));
  return h.digest('hex');
};

describe('ich synth: a small data set', () => {
  const t = tempDir('ich-synth-');
  const out = path.join(t.dir, 'a');
  const options = { studies: 6, seed: 11, size: 96, patients: 4 };
  let truth: Truth;
  beforeAll(async () => {
    await generateDataset({ ...options, out, workers: 0 });
    truth = JSON.parse(readFileSync(path.join(out, 'truth.json'), 'utf8'));
  });
  afterAll(() => t.cleanup());

  it('lays files out like the RSNA release: one flat folder of ID_<9 hex>.dcm, labels.csv, truth.json', () => {
    const names = readdirSync(out);
    const dcm = names.filter((n) => n.endsWith('.dcm'));
    expect(names.filter((n) => !n.endsWith('.dcm')).sort()).toEqual(['labels.csv', 'truth.json']);
    for (const n of dcm) expect(n).toMatch(/^ID_[0-9a-f]{9}\.dcm$/);
    expect(dcm).toHaveLength(Object.keys(truth.slices).length);
    expect(truth.series).toHaveLength(6);
    expect(new Set(truth.series.map((s) => s.seriesInstanceUid)).size).toBe(6);
    for (const s of truth.series) expect(s.slices.length).toBeGreaterThanOrEqual(24);
    for (const s of truth.series) expect(s.slices.length).toBeLessThanOrEqual(40);
  });

  it('writes labels.csv that agrees with truth.json, six rows per image, any = OR of the subtypes', () => {
    const lines = readFileSync(path.join(out, 'labels.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('ID,Label');
    const ids = Object.keys(truth.slices);
    expect(lines.length - 1).toBe(6 * ids.length);
    const labels = new Map(lines.slice(1).map((l) => l.split(',') as [string, string]));
    for (const id of ids) {
      const types = truth.slices[id]!.types;
      for (const s of SUBTYPES) expect(labels.get(`${id}_${s}`)).toBe(types.includes(s) ? '1' : '0');
      expect(labels.get(`${id}_any`)).toBe(types.length ? '1' : '0');
      for (const s of types) expect(truth.slices[id]!.areaMm2[s]).toBeGreaterThanOrEqual(1);
    }
  });

  it.skipIf(!hasCommand('dcmdump'))('every file passes dcmdump without errors', () => {
    const files = readdirSync(out).filter((n) => n.endsWith('.dcm')).map((n) => path.join(out, n));
    for (let i = 0; i < files.length; i += 50) {
      const r = execFileSync('sh', ['-c', 'dcmdump -q "$@" >/dev/null 2>&1; echo $?', 'sh', ...files.slice(i, i + 50)], { encoding: 'utf8' });
      expect(r.trim()).toBe('0');
      const stderr = execFileSync('sh', ['-c', 'dcmdump "$@" 2>&1 >/dev/null', 'sh', ...files.slice(i, i + 50)], { encoding: 'utf8' });
      expect(stderr).toBe('');
    }
  });

  it('reads back through our reader with the HU that were written', async () => {
    const plans = planDataset(options);
    for (const s of plans.slice(0, 3)) {
      const noise = createRng(s.noiseSeed);
      for (const [i, z] of s.zMm.entries()) {
        const rendered = renderSlice(s.head, s.lesions, z, s.thicknessMm, s.grid, noise);
        if (i % 7 !== 0) continue; // the noise stream must advance for every slice; check a few
        const expected = toStoredPixels(rendered.hu, s.grid.size, s.scanner);
        const bytes = readFileSync(path.join(out, `${s.sopInstanceUids[i]}.dcm`));
        const parsed = parseDicomBytes(new Uint8Array(bytes));
        await initCodecsFor(parsed.transferSyntaxUid);
        const [h] = readSliceHeaders(parsed.dataSet);
        const stored = decodeFrameStored(parsed, 0);
        expect([...stored]).toEqual([...expected]);
        const hu = storedToHu(stored, h!.rescaleSlope, h!.rescaleIntercept);
        // Where nothing was clipped or padded, HU read back = HU rendered (rounded), but for the broken-intercept quirk.
        const offset = s.scanner.brokenIntercept ? s.scanner.rescaleIntercept - s.scanner.trueIntercept : 0;
        const centre = (s.grid.size / 2) * s.grid.size + s.grid.size / 2;
        expect(hu[centre]).toBe(Math.round(rendered.hu[centre]!) + offset);
        expect(h!.imagePositionPatient![2]).toBeCloseTo(z, 3);
      }
    }
  });

  it('renders a gallery: each type present gets a plain and an outlined PNG, and the normal slice has no bleed', async () => {
    const gallery = path.join(t.dir, 'gallery');
    const written = await writeGallery(out, gallery);
    const positives = new Set(Object.values(truth.slices).flatMap((s) => s.types));
    expect(written.filter((w) => w.name !== 'normal').map((w) => w.name).sort()).toEqual([...positives].sort());
    for (const w of written) {
      const types = truth.slices[w.id]!.types;
      if (w.name === 'normal') expect(types).toEqual([]);
      else expect(types).toContain(w.name);
      for (const f of w.files) expect(readFileSync(f).subarray(1, 4).toString()).toBe('PNG');
      expect(w.files).toHaveLength(w.name === 'normal' ? 1 : 2);
    }
  });

  it('is deterministic for a seed, whatever the worker count', async () => {
    const again = path.join(t.dir, 'b');
    await generateDataset({ ...options, out: again, workers: 2 });
    expect(hashDir(again)).toBe(hashDir(out));
  });
});

describe('ich synth: prevalence and difficulty', () => {
  const t = tempDir('ich-synth-prev-');
  afterAll(() => t.cleanup());

  it('lands near RSNA prevalence by default, and the 50-90 HU baseline stays well short of perfect', async () => {
    const out = path.join(t.dir, 'p');
    const summary = await generateDataset({ studies: 60, seed: 5, size: 128, out });
    // RSNA: 14.4% of slices `any`; epidural the rarest.
    expect(summary.prevalence.any).toBeGreaterThan(0.08);
    expect(summary.prevalence.any).toBeLessThan(0.24);
    for (const s of SUBTYPES) if (s !== 'epidural') expect(summary.prevalence.epidural).toBeLessThanOrEqual(summary.prevalence[s]);
    const report = await evaluateBaseline(out);
    expect(report.auc.any).toBeGreaterThan(0.5);
    expect(report.auc.any).toBeLessThan(0.85);
  }, 300_000);

  it('follows --prevalence', async () => {
    const out = path.join(t.dir, 'q');
    const high = await generateDataset({ studies: 20, seed: 6, size: 64, out, prevalence: { any: 0.35 } });
    const none = await generateDataset({ studies: 10, seed: 6, size: 64, out: path.join(t.dir, 'r'), prevalence: { any: 0 } });
    expect(high.prevalence.any).toBeGreaterThan(0.2);
    expect(none.prevalence.any).toBe(0);
  }, 300_000);
});
