// Training from the GUI in Chromium through `ich serve`: on an empty workspace, the training panel launches
// a tiny run (base CNNs only) on a few `ich synth` studies given as a DICOM folder and an RSNA labels CSV;
// progress arrives (the base stage running, a batch loss), Cancel stops it (status cancelled, its run kept),
// Resume launches the same request again, which continues the cancelled run and finishes; the worklist then
// lists the studies the run scanned. Then the rest of the pipeline on "this workspace's data" (base CNNs already
// trained, so skipped as done): when it ends, the worklist shows every study's new safe/risky predictions. Every wait is on the panel's data-* attributes and texts, which the
// engine's training events drive. Screenshots go to e2e/artifacts/.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyRow } from '../src-ml/api/engine.ts';
import type { RunSummary, TrainJobState } from '../src-ml/api/training.ts';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { floorFreePresetDir } from './lib/presets.ts';
import { startServe, type Served } from './lib/serve.ts';
import { openWatchedPage, pageErrors, screenshot } from './lib/viewer-page.ts';
import { synth } from './lib/workspace.ts';

/** Three small studies: the tiny preset's three folds of the base CNN train in well under a minute. */
const TRAIN_SET = { studies: 3, seed: 5, size: 64 };

describe('training panel in Chromium against ich serve', () => {
  let dir: string;
  let data: { data: string; labels: string };
  let served: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-e2e-train-'));
    data = await synth(path.join(dir, 'data'), TRAIN_SET);
    [served, browser] = await Promise.all([startServe(path.join(dir, 'ws'), { ICH_PRESET_DIR: floorFreePresetDir(path.join(dir, 'presets')) }), launchChromium()]);
    page = await openWatchedPage(browser.context, served.url);
    await page.getByTestId('open-training').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const status = () => page.getByTestId('train-status').textContent();
  const jobId = () => page.locator('.train-job').getAttribute('data-job-id');
  const waitStatus = (s: string, timeout = 30_000) => page.waitForFunction(
    (want) => document.querySelector('[data-testid="train-status"]')?.textContent === want, s, { timeout });
  /** Waits for a batch loss of the shown job on the panel (the engine's batch event reached the page). */
  const waitLoss = (timeout = 60_000) => page.waitForFunction(() => {
    const t = document.querySelector('[data-testid="train-loss"]')?.textContent ?? '–';
    return t !== '–' && Number(t) > 0;
  }, undefined, { timeout });

  it('launches a tiny run from the panel, follows it, cancels, resumes it to the end', async () => {
    expect(await page.getByTestId('study-row').count()).toBe(0);
    await page.getByTestId('open-training').click();
    await page.getByTestId('training-panel').waitFor();
    await page.getByTestId('train-source-folder').check();
    await page.getByTestId('train-data').fill(data.data);
    await page.getByTestId('train-labels').fill(data.labels);
    for (const stage of ['features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles']) {
      await page.locator(`[data-testid="train-stage-check"][data-stage="${stage}"]`).uncheck();
    }
    expect(await page.getByTestId('train-preset').inputValue()).toBe('tiny');
    await page.getByTestId('train-launch').click();

    // progress: the base stage runs, a batch loss, the backend, a loss chart point
    await waitStatus('running');
    const first = await jobId();
    await page.locator('[data-testid="train-stage"][data-stage="base"][data-state="running"]').waitFor({ timeout: 60_000 });
    await waitLoss();
    expect(await page.getByTestId('train-backend').textContent()).toMatch(/wasm|cpu|tensorflow/);
    expect(await page.locator('[data-testid="train-stage"][data-stage="pooled-res"]').getAttribute('data-state')).toBe('pending');
    expect(await page.getByTestId('train-launch').isDisabled()).toBe(true);
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="loss-chart"]')?.dataset.points) > 0, undefined, { timeout: 15_000 });
    await screenshot(page, 'training-running');

    // cancel: the job ends cancelled, its run is kept as cancelled (the panel's run history and the API agree)
    await page.getByTestId('train-cancel').click();
    await waitStatus('cancelled');
    await page.locator('[data-testid="run-row"][data-status="cancelled"]').first().waitFor();
    const jobs = await served.api<TrainJobState[]>('listTrainingJobs');
    expect(jobs.map((j) => [j.jobId, j.status])).toEqual([[first, 'cancelled']]);
    expect(jobs[0]!.request).toEqual({ preset: 'tiny', stages: ['base'], data: data.data, labels: data.labels });
    const cancelledRuns = (await served.api<RunSummary[]>('listRuns')).filter((r) => r.status === 'cancelled');
    expect(cancelledRuns).toHaveLength(1);
    await screenshot(page, 'training-cancelled');

    // resume: the same request again, a new job that continues the cancelled run and finishes
    await page.getByTestId('train-resume').click();
    await page.waitForFunction((old) => {
      const job = document.querySelector('.train-job');
      return job?.getAttribute('data-job-id') !== old && document.querySelector('[data-testid="train-status"]')?.textContent === 'running';
    }, first, { timeout: 15_000 });
    const second = await jobId();
    expect(second).not.toBe(first);
    expect(await page.getByTestId('train-resumes').textContent()).toContain(first);
    await waitStatus('done', 150_000);
    expect(await page.locator('[data-testid="train-stage"][data-stage="base"]').getAttribute('data-state')).toBe('done');
    expect(await page.locator('[data-testid="train-stage"][data-stage="pooled-res"]').getAttribute('data-state')).toBe('skipped');
    expect(await page.getByTestId('train-report').textContent()).toMatch(/base 0\.\d{4}/);

    // the run history: one run per fold, all done; the cancelled one was resumed, not duplicated
    const runs = await served.api<RunSummary[]>('listRuns');
    expect(runs.map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(runs.map((r) => r.id)).toContain(cancelledRuns[0]!.id);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="run-row"]')];
      return rows.length === 3 && rows.every((r) => r.dataset.status === 'done');
    }, undefined, { timeout: 10_000 });
    expect(await page.getByTestId('val-chart').getAttribute('data-points')).not.toBe('0');

    // a finished job refreshes the worklist: the studies the run scanned are listed
    await page.getByTestId('study-row').nth(TRAIN_SET.studies - 1).waitFor();
    expect(await page.getByTestId('study-row').count()).toBe(TRAIN_SET.studies);
    expect(await status()).toBe('done');
    await screenshot(page, 'training-done');
    expect(pageErrors(page)).toEqual([]);
  }, 240_000);

  it('the rest of the pipeline on this workspace\'s data: the worklist then shows the new predictions', async () => {
    // no predictions yet: base CNNs alone do not predict
    const before = await served.api<StudyRow[]>('listStudies');
    expect(before.map((r) => r.maxAnySafe)).toEqual([null, null, null]);
    const first = await jobId();
    await page.getByTestId('train-source-workspace').check();
    for (const stage of ['features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles']) {
      await page.locator(`[data-testid="train-stage-check"][data-stage="${stage}"]`).check();
    }
    await page.getByTestId('train-launch').click();
    await page.waitForFunction((old) => document.querySelector('.train-job')?.getAttribute('data-job-id') !== old, first);
    await waitStatus('done', 120_000);
    const states = await page.getByTestId('train-stage').evaluateAll((els) => els.map((e) => `${(e as HTMLElement).dataset.stage}:${(e as HTMLElement).dataset.state}`));
    expect(states).toEqual(['base:done', 'features:done', 'pooled-res:done', 'shallow:done', 'shallow-weighted:done', 'ensembles:done']);
    const jobs = await served.api<TrainJobState[]>('listTrainingJobs');
    expect(jobs.at(-1)!.request).toEqual({ preset: 'tiny', stages: ['base', 'features', 'pooled-res', 'shallow', 'shallow-weighted', 'ensembles'] });

    // the finished job refreshed the worklist: every study's safe and risky maxima, as the engine stores them
    const after = await served.api<StudyRow[]>('listStudies');
    for (const r of after) expect(r.maxAnySafe).toBeTypeOf('number');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="study-row"]')];
      return rows.length === 3 && rows.every((r) => r.querySelectorAll('td')[5]?.textContent !== '–');
    }, undefined, { timeout: 10_000 });
    const shown = await page.getByTestId('study-row').evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.studyUid, r.querySelectorAll('td')[5]!.textContent]));
    expect(shown).toEqual(after.map((r) => [r.studyUid, r.maxAnySafe!.toFixed(2)]));
    await screenshot(page, 'training-predictions');
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);
});
