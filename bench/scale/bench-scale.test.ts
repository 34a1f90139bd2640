// bench:scale at a small fraction: every stage after the features runs on the fabricated workspace, the last
// stdout line is the JSON the issue asks for, and the workspace folder is gone afterwards.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../src-ml/testing/fixtures.ts';

describe('bench:scale', () => {
  const t = tempDir('ich-bench-scale-test-');
  afterAll(() => t.cleanup());

  it('runs Pooled-Res, shallow, shallow-weighted and the ensembles at scale 0.004 and prints the JSON line', () => {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', path.join(REPO_ROOT, 'bench/scale/bench-scale.ts'), '--json', '--scale', '0.004', '--dir', t.dir], {
      cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 16 << 20,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1); // --json: the JSON line only
    const out = JSON.parse(lines.at(-1)!) as { images: number; peakRssMb: number; stages: Record<string, number>; labelled: number; unlabelled: number; series: number };
    expect(Object.keys(out).slice(0, 3)).toEqual(['images', 'peakRssMb', 'stages']);
    expect(out.labelled).toBe(Math.round(752_797 * 0.004));
    expect(out.unlabelled).toBe(Math.round(121_232 * 0.004));
    expect(out.images).toBe(out.labelled + out.unlabelled);
    // Series of 20..60 slices: about 35 on average.
    expect(out.series).toBeGreaterThanOrEqual(Math.ceil(out.images / 60));
    expect(out.series).toBeLessThanOrEqual(Math.floor(out.images / 20) + 2);
    expect(Object.keys(out.stages)).toEqual(['pooled-res', 'shallow', 'shallow-weighted', 'ensembles']);
    for (const s of Object.values(out.stages)) expect(s).toBeGreaterThan(0);
    expect(out.peakRssMb).toBeGreaterThan(0);
    expect(out.peakRssMb).toBeLessThan(8000);
    expect(readdirSync(t.dir)).toEqual([]);
  }, 180_000);

  it('refuses a bad --scale with one line', () => {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', path.join(REPO_ROOT, 'bench/scale/bench-scale.ts'), '--scale', '2'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('bench:scale: --scale must be in (0, 1], got 2');
  }, 60_000);
});
