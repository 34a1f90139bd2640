// `ich pipeline --test <dir>`: the unlabelled test folder is scanned before the training folder, its images stay
// unlabelled, and the sample weights of the risky ensemble aim at exactly them (the seed weighted its training
// images toward the stage-2 test set). The preset has two base models on different folds, as rsna's 5-fold and
// 3-fold members: each gets its full heads on its own folds and all of them enter the ensembles. The tiny test
// preset made smaller still: one epoch per stage, few passes.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../synth/generate.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { testPreset } from '../train/test-preset.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT, maxBuffer: 64 << 20 });

describe('ich pipeline --test', () => {
  const t = tempDir('ich-pipeline-test-');
  const train = path.join(t.dir, 'train');
  const test = path.join(t.dir, 'test');
  const ws = path.join(t.dir, 'ws');
  const presetFile = path.join(t.dir, 'preset.json');
  let testImages = 0;
  afterAll(() => t.cleanup());

  beforeAll(async () => {
    await generateDataset({ out: train, studies: 6, seed: 31, size: 64, workers: 1 });
    await generateDataset({ out: test, studies: 2, seed: 32, size: 64, workers: 1 });
    testImages = (JSON.parse(readFileSync(path.join(test, 'truth.json'), 'utf8')) as { series: { slices: string[] }[] }).series.flatMap((s) => s.slices).length;
    const p = testPreset({ epochs: 1 });
    p.base.push({ ...p.base[0]!, name: 'tiny-b', folds: { k: 3, seed: 432 } });
    p.pooledRes = { ...p.pooledRes, epochs: 1, batchSize: 4, bestAverage: 1, oofPasses: 1, testPasses: 1 };
    p.shallow = { ...p.shallow, batchSize: 4, lrSteps: [[1e-3, 1]], passes: 1, weighted: { lrSteps: [[1e-4, 1]] } };
    writeFileSync(presetFile, JSON.stringify(p));
  }, 120_000);

  it('scans the test folder first, keeps it unlabelled, the sample weights target its images; both fold schemes\' heads enter the ensembles', () => {
    const r = ich('pipeline', '--test', test, '--data', train, '--labels', path.join(train, 'labels.csv'), '--workspace', ws, '--preset', presetFile, '--json', '--no-progress');
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    // the test folder before the training folder
    expect(at(new RegExp(`^test: ${test}$`))).toBeGreaterThanOrEqual(0);
    expect(at(new RegExp(`^test: ${test}$`))).toBeLessThan(at(new RegExp(`^scan: ${train}$`)));
    expect(r.stderr).toMatch(new RegExp(`^test: \\d+ indexed, 0 unchanged, \\d+ problems; ${testImages} images$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^test: ${testImages} unlabelled images, the sample weights' target$`, 'm'));
    // the sample-weight stage: the test images, predicted by Pooled-Res, are its target
    expect(r.stderr).toMatch(new RegExp(`^sample weights: \\d+ images, mean 1, .*target ${testImages} unlabelled images`, 'm'));
    const report = JSON.parse(r.stdout) as { stages: { name: string; models: string[] }[] };
    expect(report.stages.map((s) => s.name)).toContain('ensemble-risky');
    // both fold schemes' heads: trained, in the report, and members of the ensembles
    for (const stage of ['pooled-res', 'shallow', 'shallow-weighted']) {
      expect(report.stages.find((s) => s.name === stage)?.models).toEqual([`${stage}.tiny-b.k3`, `${stage}.tiny-se-resnext.k2`]);
    }
    expect(r.stderr).toMatch(/^pooled-res pooled-res\.tiny-b\.k3\.f2$/m);
    const e = ich('ensemble', '--workspace', ws, '--preset', presetFile, '--json');
    expect(e.status, e.stderr).toBe(0);
    const fit = JSON.parse(e.stdout) as { members: string[]; testImages: number };
    expect(fit.members).toEqual(['pooled-res.tiny-b.k3', 'pooled-res.tiny-se-resnext.k2', 'shallow-weighted.tiny-b.k3', 'shallow-weighted.tiny-se-resnext.k2',
      'shallow.tiny-b.k3', 'shallow.tiny-se-resnext.k2']);
    expect(fit.testImages).toBe(testImages);
    // and the README's last step: predict the test folder with every member, 2- and 3-fold alike
    const out = path.join(t.dir, 'sub.csv');
    const p = ich('predict', test, '--workspace', ws, '--ensemble', 'risky', '--out', out, '--copies', '2', '--passes', '1');
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout.trim().split('\n').at(-1)!)).toMatchObject({ images: testImages, ensemble: 'risky' });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1 + 6 * testImages);
  }, 600_000);

  it('a test folder that does not exist is refused with one line, before anything is scanned', () => {
    const r = ich('pipeline', '--test', path.join(t.dir, 'nope'), '--data', train, '--workspace', path.join(t.dir, 'ws2'), '--preset', presetFile);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ich: data folder .*nope does not exist$/m);
    expect(r.stderr).not.toMatch(/^scan: /m);
  });
});
