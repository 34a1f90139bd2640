// Fuzz: 300 hostile variants of the sample DICOM files (bit flips, truncation, lying element lengths,
// huge and malformed frame counts, damaged fragments, lying image sizes, spliced bytes), made at test
// time from ../shared/dicom, scanned as one folder within a time and a memory budget. No crash, no
// hang, and every file classified: indexed, a problem, or a reported duplicate copy of an indexed image.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MUTATIONS, mutate } from '../dicom/testing/mutate-dicom.ts';
import { SHARED_DICOM, tempDir } from '../testing/fixtures.ts';
import { scanReport } from './queries.ts';
import { scanFolders } from './scan.ts';
import { Workspace } from './workspace.ts';

const FILES = 300;
const TIME_BUDGET_MS = 60_000;
/** Peak RSS growth: measured about 230 MiB over the start on the 2-core CI machine (two scan workers). */
const RSS_BUDGET_BYTES = 768 * 2 ** 20;

/** Every DICOM-looking sample (not the READMEs), sorted: a fixed base for the seeded mutations. */
function samples(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(md|txt)$/i.test(name)) out.push(p);
    }
  };
  walk(SHARED_DICOM);
  // The two big head series give the same headers 28 times over: a few of each are enough.
  return out.filter((p) => !/head-ct-ge|phantom-philips-head/.test(p) || /(01\.dcm|14\.dcm|I10|I150|DIRFILE)$/.test(p));
}

describe('scan fuzz: hostile files never crash, hang or blow up a scan', () => {
  const t = tempDir('ich-fuzz-');
  afterAll(() => t.cleanup());

  it(`classifies ${FILES} mutated files within ${TIME_BUDGET_MS / 1000} s and ${RSS_BUDGET_BYTES / 2 ** 20} MiB`, async () => {
    const sources = samples();
    expect(sources.length).toBeGreaterThan(20);
    const data = path.join(t.dir, 'data');
    mkdirSync(data);
    const made: string[] = [];
    for (let i = 0; i < FILES; i++) {
      const src = sources[i % sources.length]!;
      const kind = MUTATIONS[Math.floor(i / sources.length + i) % MUTATIONS.length]!;
      const bytes = mutate(new Uint8Array(readFileSync(src)), kind, 1000 + i);
      const file = path.join(data, `${String(i).padStart(3, '0')}-${kind}-${path.basename(src).slice(0, 40)}`);
      writeFileSync(file, bytes);
      made.push(file);
    }
    const ws = Workspace.open(path.join(t.dir, 'ws'));
    try {
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const t0 = Date.now();
      let summary;
      try {
        summary = await scanFolders(ws, { roots: [data], batchSize: 16 });
      } finally {
        clearInterval(sampler);
      }
      const elapsed = Date.now() - t0;
      peak = Math.max(peak, process.memoryUsage().rss);
      process.stdout.write(`scan fuzz: ${FILES} files in ${elapsed} ms, RSS ${Math.round(rss0 / 2 ** 20)} -> peak ${Math.round(peak / 2 ** 20)} MiB, `
        + `${summary.problems} problems\n`);
      expect(elapsed).toBeLessThan(TIME_BUDGET_MS);
      expect(peak - rss0).toBeLessThan(RSS_BUDGET_BYTES);
      expect(summary.files.length).toBe(FILES);
      expect(summary.indexed).toBe(FILES);

      // Every file is classified: an image indexed from it, a problem, or an ignored copy of an indexed image.
      const report = scanReport(ws, summary.files);
      const problems = new Map(report.problems.map((p) => [p.path, p]));
      const withSlices = new Set((ws.db.prepare('SELECT DISTINCT f.path FROM instances i JOIN files f USING (file_id)').all() as { path: string }[]).map((r) => r.path));
      const ignored = new Set<string>();
      for (const s of report.series) for (const w of s.warnings) {
        const m = / is in more than one file: kept .*, ignored (.*)$/.exec(w);
        if (m) ignored.add(m[1]!);
      }
      const unclassified = made.filter((f) => !problems.has(f) && !withSlices.has(f) && !ignored.has(f));
      expect(unclassified).toEqual([]);
      for (const p of problems.values()) {
        expect(p.message).not.toContain('\n');
        expect(p.message.length).toBeLessThan(400);
        expect(['not_dicom', 'unreadable', 'no_pixels', 'not_ct', 'unsupported']).toContain(p.kind);
      }
      // The mutations are meant to hurt: most files are problems, yet some survive as images.
      expect(problems.size).toBeGreaterThan(FILES / 3);
      expect(withSlices.size).toBeGreaterThan(0);
      // The huge frame counts are refused by the frame-count check, not by running out of something.
      const frames = report.problems.filter((p) => /-frames-/.test(path.basename(p.path)));
      expect(frames.length).toBeGreaterThan(10);
    } finally {
      ws.close();
    }
  }, 180_000);
});
