// Inputs checked before anything starts, in Chromium through `ich serve`: Add folder with a path that does not
// exist shows the engine's one-line reason and starts no scan; Launch on a workspace without labels shows why
// and starts no job; with two patients and 3 folds the reason suggests 2 folds, and the panel's button sets
// them. Then a short run on those 2 folds (base CNNs only, 40 epochs of 2 studies): the validation chart draws one line
// per model and fold, the ETA shows, and Cancel leaves the base row "cancelled", not "running". The workspace:
// two `ich synth` studies of two patients, scanned with `ich scan`; labels imported with `ich labels import`
// midway. Screenshots go to e2e/artifacts/.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, StudyRow } from '../src-ml/api/engine.ts';
import type { TrainJobState } from '../src-ml/api/training.ts';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { startServe, type Served } from './lib/serve.ts';
import { openWatchedPage, pageErrors, screenshot } from './lib/viewer-page.ts';
import { floorFreePresetDir } from './lib/presets.ts';
import { ich } from './lib/workspace.ts';

/**
 * The named presets with the tiny base CNN at a fixed epoch count (ICH_PRESET_DIR of the host and its child): enough
 * that fold 1 is still training when Cancel lands (2 studies train several epochs a second with the native products; at 6
 * epochs fold 1 sometimes finished first and the base row ended done), few enough for a short test.
 */
function shortPresetDir(dir: string): string {
  floorFreePresetDir(dir);
  const file = path.join(dir, 'tiny.json');
  const p = JSON.parse(readFileSync(file, 'utf8')) as { base: { epochs: number; cycles?: number }[] };
  for (const m of p.base) {
    m.epochs = 40;
    delete m.cycles;
  }
  writeFileSync(file, JSON.stringify(p, null, 2));
  return dir;
}

describe('inputs checked before a run starts, in Chromium against ich serve', () => {
  let dir: string;
  let data: string;
  let ws: string;
  let served: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-e2e-checks-'));
    data = path.join(dir, 'data');
    ws = path.join(dir, 'ws');
    await ich(['synth', '--out', data, '--studies', '2', '--patients', '2', '--seed', '7', '--size', '64', '--no-progress'], { ICH_SYNTH_WORKERS: '1' });
    await ich(['scan', data, '--workspace', ws, '--no-progress'], { ICH_SCAN_WORKERS: '1' });
    [served, browser] = await Promise.all([startServe(ws, { ICH_PRESET_DIR: shortPresetDir(path.join(dir, 'presets')) }), launchChromium()]);
    // A refused request is an HTTP 400, which Chromium logs as a console error: that one is expected here.
    page = await openWatchedPage(browser.context, served.url, /status of 400/);
    await page.getByTestId('study-row').nth(1).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const trainError = () => page.getByTestId('train-error').textContent();

  it('Add folder with a path that does not exist: the reason shows, the path stays, no scan job', async () => {
    const box = page.getByLabel('Folder to add');
    await box.fill('/nonexistent/dicom');
    await page.getByRole('button', { name: 'Add folder' }).click();
    const error = page.getByTestId('app-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('addFolder: data folder /nonexistent/dicom does not exist');
    expect(await box.inputValue()).toBe('/nonexistent/dicom');
    expect(await page.getByTestId('job').count()).toBe(0);
    expect(await served.api<JobEvent[]>('listJobs')).toEqual([]);
    // a file is not a folder either
    await box.fill(path.join(data, 'labels.csv'));
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.waitForFunction(() => /is a file, not a folder/.test(document.querySelector('[data-testid="app-error"]')?.textContent ?? ''));
    expect(await served.api<JobEvent[]>('listJobs')).toEqual([]);
    await screenshot(page, 'checks-add-folder-missing');
    expect(await page.getByTestId('study-row').count()).toBe(2);
  });

  it('Launch on a workspace without labels: the reason shows, no job starts; a missing DICOM folder too', async () => {
    await page.getByTestId('open-training').click();
    await page.getByTestId('training-panel').waitFor();
    expect(await page.getByTestId('training-folds').inputValue()).toBe('3');
    await page.getByTestId('train-launch').click();
    await page.getByTestId('train-error').waitFor();
    expect(await trainError()).toBe(`startTraining: no labelled images in ${ws}: choose "A DICOM folder and an RSNA labels CSV" and give the labels, or import them (ich labels import)`);
    expect(await page.getByTestId('train-status').count()).toBe(0);
    expect(await served.api<TrainJobState[]>('listTrainingJobs')).toEqual([]);
    await screenshot(page, 'checks-no-labels');

    await page.getByTestId('train-source-folder').check();
    await page.getByTestId('train-data').fill('/nonexistent/dicom');
    await page.getByTestId('train-labels').fill(path.join(data, 'labels.csv'));
    await page.getByTestId('train-launch').click();
    await page.waitForFunction(() => /data folder \/nonexistent\/dicom does not exist/.test(document.querySelector('[data-testid="train-error"]')?.textContent ?? ''));
    expect(await served.api<TrainJobState[]>('listTrainingJobs')).toEqual([]);
    await page.getByTestId('train-source-workspace').check();
  });

  it('two patients, 3 folds: the reason suggests 2 folds and the panel offers them; nothing starts', async () => {
    await ich(['labels', 'import', path.join(data, 'labels.csv'), '--workspace', ws]);
    await page.getByTestId('training-folds').fill('3');
    await page.getByTestId('train-launch').click();
    await page.waitForFunction(() => /cannot fill 3 folds/.test(document.querySelector('[data-testid="train-error"]')?.textContent ?? ''));
    expect(await trainError()).toBe(`startTraining: 2 patients with labelled images in ${ws} cannot fill 3 folds: set Folds to 2 (the largest that works) or label more patients`);
    const suggest = page.getByTestId('training-folds-suggest');
    expect(await suggest.textContent()).toBe('Use 2 folds');
    await screenshot(page, 'checks-too-few-patients');
    await suggest.click();
    expect(await page.getByTestId('training-folds').inputValue()).toBe('2');
    expect(await suggest.count()).toBe(0);
    expect(await page.getByTestId('train-status').count()).toBe(0);
    expect(await served.api<TrainJobState[]>('listTrainingJobs')).toEqual([]);
    // the engine API says the same to any client, and refuses folds out of range
    await expect(served.api('startTraining', { preset: 'tiny', folds: 3 })).rejects.toThrow(/HTTP 400 .*cannot fill 3 folds: set Folds to 2/);
    await expect(served.api('startTraining', { preset: 'tiny', folds: 1 })).rejects.toThrow(/HTTP 400 .*folds must be an integer from 2 to 20/);
    expect((await served.api<StudyRow[]>('listStudies')).length).toBe(2);
    expect(pageErrors(page)).toEqual([]);
  });

  it('on 2 folds it runs: one validation line per model and fold, the whole job\'s ETA; Cancel ends the base row cancelled', async () => {
    for (const stage of ['features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles']) {
      await page.locator(`[data-testid="train-stage-check"][data-stage="${stage}"]`).uncheck();
    }
    expect(await page.getByTestId('training-folds').inputValue()).toBe('2');
    await page.getByTestId('train-launch').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]')?.textContent === 'running');
    expect(await page.getByTestId('train-error').count()).toBe(0);
    // fold 1 has begun: two lines, fold 0's and fold 1's, on one epoch axis
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="val-chart"]')?.dataset.series === '2', undefined, { timeout: 150_000 });
    expect(await page.getByTestId('val-chart-series').allTextContents()).toEqual(['base · tiny-se-resnext · fold 0', 'base · tiny-se-resnext · fold 1']);
    expect(await page.getByTestId('train-eta').textContent()).toMatch(/^\d+ (s|min)/);
    await page.getByTestId('train-cancel').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]')?.textContent === 'cancelled', undefined, { timeout: 45_000 });
    const states = await page.getByTestId('train-stage').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.stage}:${(e as HTMLElement).dataset.state}`));
    // the stage it was in ends cancelled; the later ones never started
    expect(states).toEqual(['base:cancelled', 'features:pending', 'pooled-res:pending', 'shallow:pending', 'shallow-weighted:pending', 'ensembles:pending']);
    const jobs = await served.api<TrainJobState[]>('listTrainingJobs');
    expect(jobs.map((j) => [j.status, j.request.folds, j.stages.base.state])).toEqual([['cancelled', 2, 'cancelled']]);
    expect(await page.getByTestId('train-eta').textContent()).toBe('–');
    await screenshot(page, 'checks-cancelled-per-fold-chart');
    expect(pageErrors(page)).toEqual([]);
  }, 240_000);
});
