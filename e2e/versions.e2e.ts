// Model versions in Chromium through `ich serve`: v1 is built with the CLI (`ich pipeline` on 3 small `ich synth`
// studies, active by itself); the training panel then runs the whole pipeline on 2 more studies, which makes
// candidate v2 while v1 stays active; the panel compares them per stage against the prevalence baseline;
// Promote (with its warning and second confirmation when v2 is worse on an ensemble) switches the worklist and
// the strip to v2's predictions; rolling back to v1 from the versions list brings v1's exact numbers back.
// Then Predict: the run's new studies have no v1 predictions, so they get a Predict action (one study, then
// "all unpredicted"), and a folder added from the page is predicted by the engine by itself; each predict job's
// progress shows like a scan's. The tiny preset without its step floors (ICH_PRESET_DIR) keeps each run under a
// minute. Screenshots go to e2e/artifacts/versions-*.png.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, SeriesPredictions, SeriesSummary, StudyRow } from '../src-ml/api/engine.ts';
import type { VersionSummary } from '../src-ml/api/training.ts';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { floorFreePresetDir } from './lib/presets.ts';
import { startServe, type Served } from './lib/serve.ts';
import { openWatchedPage, pageErrors, screenshot } from './lib/viewer-page.ts';
import { ich, synth, type SynthSet } from './lib/workspace.ts';

/** v1's data (the CLI), the panel's extra data (v2 trains on both), and a folder added from the page. */
const SET_V1 = { studies: 3, seed: 5, size: 64 };
const SET_V2 = { studies: 2, seed: 6, size: 64 };
const SET_ADD = { studies: 1, seed: 8, size: 64 };
const ENSEMBLES = ['ensemble-safe', 'ensemble-risky'];

const stageOf = (v: VersionSummary, name: string) => v.report?.stages.find((s) => s.name === name);

/** The warning rule, from the engine's numbers: an ensemble worse than the prevalence or than the active version's. */
function needsConfirm(target: VersionSummary, active: VersionSummary): boolean {
  return ENSEMBLES.some((name) => {
    const t = stageOf(target, name);
    const a = stageOf(active, name);
    return t !== undefined && (t.oofMetric > target.report!.baseline || (a !== undefined && t.oofMetric > a.oofMetric));
  });
}

describe('model versions in Chromium against ich serve: train, compare, promote, roll back, predict', () => {
  let dir: string;
  let ws: string;
  let sets: { v1: SynthSet; v2: SynthSet; add: SynthSet };
  let served: Served;
  let browser: Browser;
  let page: Page;
  /** What v1 showed: the worklist rows and the open series' predictions, as the engine answered. */
  let v1Rows: StudyRow[];
  let v1Preds: SeriesPredictions;
  let openStudy: string;
  let openSeries: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-e2e-versions-'));
    ws = path.join(dir, 'ws');
    const presets = floorFreePresetDir(path.join(dir, 'presets'));
    sets = {
      v1: await synth(path.join(dir, 'v1'), SET_V1),
      v2: await synth(path.join(dir, 'v2'), SET_V2),
      add: await synth(path.join(dir, 'add'), SET_ADD),
    };
    // v1: the whole pipeline from the CLI, with the same named preset the app's runs use
    await ich(['pipeline', '--data', sets.v1.data, '--labels', sets.v1.labels, '--workspace', ws, '--preset', path.join(presets, 'tiny.json'),
      '--json', '--no-progress'], { ICH_SCAN_WORKERS: '1' });
    [served, browser] = await Promise.all([startServe(ws, { ICH_PRESET_DIR: presets, ICH_SCAN_WORKERS: '1' }), launchChromium()]);
    page = await openWatchedPage(browser.context, served.url);
    await page.getByTestId('study-row').nth(SET_V1.studies - 1).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const text = (id: string) => page.getByTestId(id).textContent();
  const waitText = (id: string, want: string, timeout = 15_000) => page.waitForFunction(
    ([i, w]) => document.querySelector(`[data-testid="${i}"]`)?.textContent === w, [id, want] as const, { timeout });
  const versions = () => served.api<VersionSummary[]>('listVersions');
  /** The worklist's safe/risky maxima as the page shows them, by study. */
  const shownRows = () => page.getByTestId('study-row').evaluateAll((rows) => rows.map((r) => {
    const td = r.querySelectorAll('td');
    return [(r as HTMLElement).dataset.studyUid!, td[5]?.textContent ?? '', td[6]?.textContent ?? ''];
  }));
  const fmt = (p: number | null) => (p === null ? '–' : p.toFixed(2));
  /** Waits until the page's worklist shows what the engine answers now (same studies, order and numbers). */
  const worklistMatchesEngine = async (): Promise<StudyRow[]> => {
    const rows = await served.api<StudyRow[]>('listStudies');
    const want = rows.map((r) => [r.studyUid, fmt(r.maxAnySafe), fmt(r.maxAnyRisky)]);
    const predicted = (r: StudyRow) => r.maxAnySafe !== null || r.maxAnyRisky !== null;
    await page.waitForFunction((w) => {
      const got = [...document.querySelectorAll('[data-testid="study-row"]')].map((r) => {
        const td = r.querySelectorAll('td');
        return [(r as HTMLElement).dataset.studyUid, td[5]?.textContent, td[6]?.textContent];
      });
      // rows without predictions show a Predict button in the two cells instead
      return JSON.stringify(got.map((g, i) => (w[i]?.[1] === '–' ? [g[0], '–', '–'] : g))) === JSON.stringify(w);
    }, want, { timeout: 15_000 });
    const shown = await shownRows();
    expect(shown.filter((_, i) => predicted(rows[i]!))).toEqual(want.filter((_, i) => predicted(rows[i]!)));
    return rows;
  };
  /** The strip's safe `any` row as the page shows it (3-decimal cell titles), slice by slice. */
  const stripAny = () => page.locator('[data-testid="strip-cell"][data-label="any"][data-source="safe"]').evaluateAll((els) => els.map((e) => / (-?[\d.]+)$/.exec(e.getAttribute('title') ?? '')?.[1] ?? ''));
  const apiAny = (p: SeriesPredictions) => p.slices.map((s) => s.safe![5]!.toFixed(3));
  const waitStrip = (p: SeriesPredictions, version: string) => page.waitForFunction(([want, v]) => {
    const got = [...document.querySelectorAll('[data-testid="strip-cell"][data-label="any"][data-source="safe"]')]
      .map((e) => / (-?[\d.]+)$/.exec(e.getAttribute('title') ?? '')?.[1] ?? '');
    return document.querySelector('[data-testid="strip-version"]')?.textContent === `model ${v}` && JSON.stringify(got) === JSON.stringify(want);
  }, [apiAny(p), version] as const, { timeout: 15_000 });
  /** Confirms the promote when the warning shows (it must show exactly when the rule says so). */
  const promoteWith = async (button: string, target: VersionSummary, active: VersionSummary) => {
    await page.getByTestId(button).click();
    if (needsConfirm(target, active)) {
      const warning = page.getByTestId('promote-warning');
      await warning.waitFor();
      expect(await warning.textContent()).toMatch(new RegExp(`${target.version}'s ensemble-(safe|risky) \\(0\\.\\d{4}\\) is worse than`));
      // nothing switched yet
      expect((await versions()).find((v) => v.status === 'active')?.version).toBe(active.version);
      await screenshot(page, `versions-warning-${target.version}`);
      await page.getByTestId('version-promote-confirm').click();
    } else {
      expect(await page.getByTestId('promote-warning').count()).toBe(0);
    }
    await waitText('worklist-version', `model ${target.version}`);
    expect(await page.getByTestId('promote-warning').count()).toBe(0);
  };

  it('v1 from the CLI is active: the worklist and the strip name it', async () => {
    const list = await versions();
    expect(list.map((v) => [v.version, v.status])).toEqual([['v1', 'active']]);
    expect(await text('worklist-version')).toBe('model v1');
    v1Rows = await worklistMatchesEngine();
    expect(v1Rows.every((r) => r.maxAnySafe !== null)).toBe(true);
    openStudy = v1Rows[0]!.studyUid;
    openSeries = (await served.api<SeriesSummary[]>('getSeriesList', { studyUid: openStudy }))[0]!.seriesUid;
    v1Preds = await served.api<SeriesPredictions>('getPredictions', { seriesUid: openSeries });
    expect(v1Preds.model?.modelVersion).toBe('v1');
    await page.locator(`[data-testid="study-row"][data-study-uid="${openStudy}"]`).click();
    await waitStrip(v1Preds, 'v1');
    expect(await page.getByTestId('predict-missing').count()).toBe(0);
  });

  it('a run from the panel on more data makes candidate v2: compared with v1 and the baseline, v1 stays active', async () => {
    await page.getByTestId('open-training').click();
    await page.getByTestId('training-panel').waitFor();
    expect(await page.getByTestId('version-row-v1').getAttribute('data-status')).toBe('active');
    await page.getByTestId('train-source-folder').check();
    await page.getByTestId('train-data').fill(sets.v2.data);
    await page.getByTestId('train-labels').fill(sets.v2.labels);
    await page.getByTestId('train-launch').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]')?.textContent === 'running');
    await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]')?.textContent === 'done', undefined, { timeout: 300_000 });

    const list = await versions();
    expect(list.map((v) => [v.version, v.status])).toEqual([['v2', 'candidate'], ['v1', 'active']]);
    const [v2, v1] = list as [VersionSummary, VersionSummary];
    const compare = page.getByTestId('version-compare');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="version-compare"]')?.dataset.version === 'v2');
    expect(await compare.getAttribute('data-status')).toBe('candidate');
    // one row per stage both reports have, the candidate's and the active version's metric, marks where worse
    const rows = await compare.locator('tr[data-testid^="compare-row-"]').evaluateAll((trs) => trs.map((tr) => {
      const cell = (col: string) => tr.querySelector<HTMLElement>(`td[data-col="${col}"]`);
      return { id: (tr as HTMLElement).dataset.testid, cand: cell('candidate')?.textContent, act: cell('active')?.textContent,
        worseBaseline: cell('candidate')?.dataset.worseBaseline === 'true', worseActive: cell('candidate')?.dataset.worseActive === 'true' };
    }));
    expect(rows.map((r) => r.id)).toEqual(['baseline', 'base', 'pooled-res', 'shallow', 'shallow-weighted', 'ensemble-safe', 'ensemble-risky'].map((s) => `compare-row-${s}`));
    expect(rows[0]).toMatchObject({ cand: v2.report!.baseline.toFixed(4), act: v1.report!.baseline.toFixed(4) });
    for (const r of rows.slice(1)) {
      const name = r.id!.replace('compare-row-', '');
      const [c, a] = [stageOf(v2, name)!, stageOf(v1, name)!];
      expect(r.cand!.startsWith(c.oofMetric.toFixed(4))).toBe(true);
      expect(r.act!.startsWith(a.oofMetric.toFixed(4))).toBe(true);
      expect([name, r.worseBaseline, r.worseActive]).toEqual([name, c.oofMetric > v2.report!.baseline, c.oofMetric > a.oofMetric]);
    }
    // per class for the two ensembles
    await compare.locator('summary').click();
    expect(await page.getByTestId('compare-class-ensemble-safe-any').locator('td').first().textContent())
      .toMatch(new RegExp(`^${stageOf(v2, 'ensemble-safe')!.perClass.any!.toFixed(4)}`));
    // Promote is there but not focused (the default action stays Launch)
    const promote = page.getByTestId('version-promote');
    expect(await promote.textContent()).toBe('Promote v2…');
    expect(await promote.evaluate((b) => b === document.activeElement)).toBe(false);
    await screenshot(page, 'versions-compare');

    // the candidate changes nothing yet: v1's numbers, and the run's new studies have none
    expect(await text('worklist-version')).toBe('model v1');
    const rowsNow = await worklistMatchesEngine();
    expect(rowsNow).toHaveLength(SET_V1.studies + SET_V2.studies);
    for (const r of v1Rows) expect(rowsNow.find((x) => x.studyUid === r.studyUid)).toEqual(r);
    expect(rowsNow.filter((r) => r.maxAnySafe === null)).toHaveLength(SET_V2.studies);
    expect(pageErrors(page)).toEqual([]);
  }, 330_000);

  it('promote v2 (confirmed when it is worse on an ensemble): the worklist and the strip switch to v2\'s predictions', async () => {
    const [v2, v1] = (await versions()) as [VersionSummary, VersionSummary];
    await promoteWith('version-promote', v2, v1);
    const list = await versions();
    expect(list.map((v) => [v.version, v.status])).toEqual([['v2', 'active'], ['v1', 'archived']]);
    await page.waitForFunction(() => document.querySelector('[data-testid="version-row-v2"]')?.getAttribute('data-status') === 'active');
    expect(await page.getByTestId('version-row-v1').getAttribute('data-status')).toBe('archived');

    const rows = await worklistMatchesEngine();
    // v2 predicts every study it trained on, the first three with other numbers than v1's
    expect(rows.every((r) => r.maxAnySafe !== null)).toBe(true);
    expect(v1Rows.some((r) => rows.find((x) => x.studyUid === r.studyUid)!.maxAnySafe !== r.maxAnySafe)).toBe(true);
    const v2Preds = await served.api<SeriesPredictions>('getPredictions', { seriesUid: openSeries });
    expect(v2Preds.model?.modelVersion).toBe('v2');
    expect(v2Preds.slices.map((s) => s.safe)).not.toEqual(v1Preds.slices.map((s) => s.safe));
    await page.getByRole('button', { name: 'Close the training panel' }).click();
    await waitStrip(v2Preds, 'v2');
    await screenshot(page, 'versions-promoted');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('roll back to v1 from the versions list: v1\'s exact predictions return', async () => {
    await page.getByTestId('open-training').click();
    const [v2, v1] = (await versions()) as [VersionSummary, VersionSummary];
    expect(await page.getByTestId('version-activate-v1').textContent()).toBe('Roll back…');
    await promoteWith('version-activate-v1', v1, v2);
    expect((await versions()).map((v) => [v.version, v.status])).toEqual([['v2', 'archived'], ['v1', 'active']]);
    await page.waitForFunction(() => document.querySelector('[data-testid="version-row-v1"]')?.getAttribute('data-status') === 'active');
    await screenshot(page, 'versions-rolled-back-list');
    // exactly v1's numbers, in the engine and on the page
    const rows = await worklistMatchesEngine();
    for (const r of v1Rows) expect(rows.find((x) => x.studyUid === r.studyUid)).toEqual(r);
    expect(await served.api<SeriesPredictions>('getPredictions', { seriesUid: openSeries })).toEqual(v1Preds);
    await page.getByRole('button', { name: 'Close the training panel' }).click();
    await waitStrip(v1Preds, 'v1');
    expect(await stripAny()).toEqual(apiAny(v1Preds));
    await screenshot(page, 'versions-rolled-back');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('Predict: studies without v1 predictions, one and then all; a folder added from the page is predicted by itself', async () => {
    const waitJobDone = (jobId: string) => page.waitForFunction((id) => document.querySelector(`[data-testid="job"][data-job-id="${id}"]`)?.getAttribute('data-status') === 'done',
      jobId, { timeout: 90_000 });
    const predictJobs = async () => (await served.api<JobEvent[]>('listJobs')).filter((j) => j.kind === 'predict');
    const missing = (await served.api<StudyRow[]>('listStudies')).filter((r) => r.maxAnySafe === null && r.maxAnyRisky === null);
    expect(missing).toHaveLength(SET_V2.studies);
    const [one, other] = missing as [StudyRow, StudyRow];

    // one study
    await page.getByTestId(`predict-study-${one.studyUid}`).click();
    await page.locator('[data-testid="job"][data-kind="predict"]').first().waitFor();
    const first = (await predictJobs()).at(-1)!;
    await waitJobDone(first.jobId);
    const job = page.locator(`[data-testid="job"][data-job-id="${first.jobId}"]`);
    const done = (await predictJobs()).find((j) => j.jobId === first.jobId)!;
    expect(done).toMatchObject({ status: 'done', kind: 'predict' });
    expect(done.predicted).toBe(one.sliceCount);
    expect(await job.textContent()).toContain(`predict ${done.done}/${done.total} · done · ${one.sliceCount} slices predicted`);
    let rows = await worklistMatchesEngine();
    expect(rows.find((r) => r.studyUid === one.studyUid)!.maxAnySafe).toBeTypeOf('number');
    expect(rows.find((r) => r.studyUid === other.studyUid)!.maxAnySafe).toBeNull();
    expect(await page.getByTestId(`predict-study-${one.studyUid}`).count()).toBe(0);
    expect(await page.getByTestId('predict-missing').textContent()).toBe('Predict all unpredicted (1)');

    // all the studies left
    await page.getByTestId('predict-missing').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job"][data-kind="predict"]').length === n, 2);
    const all = (await predictJobs()).at(-1)!;
    expect(all.jobId).not.toBe(first.jobId);
    await waitJobDone(all.jobId);
    rows = await worklistMatchesEngine();
    expect(rows.filter((r) => r.maxAnySafe === null)).toEqual([]);
    expect(await page.getByTestId('predict-missing').count()).toBe(0);
    await screenshot(page, 'versions-predict');

    // a folder added from the page: scanned, then predicted by the engine's own job, its progress shown the same way
    await page.getByLabel('Folder to add').fill(sets.add.data);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="job"][data-kind="predict"]').length === n, 3, { timeout: 60_000 });
    const auto = (await predictJobs()).at(-1)!;
    expect([first.jobId, all.jobId]).not.toContain(auto.jobId);
    await waitJobDone(auto.jobId);
    rows = await worklistMatchesEngine();
    expect(rows).toHaveLength(SET_V1.studies + SET_V2.studies + SET_ADD.studies);
    expect(rows.filter((r) => r.maxAnySafe === null)).toEqual([]);
    const autoDone = (await predictJobs()).find((j) => j.jobId === auto.jobId)!;
    expect(await page.locator(`[data-testid="job"][data-job-id="${auto.jobId}"]`).textContent())
      .toContain(`predict ${autoDone.done}/${autoDone.total} · done · ${autoDone.predicted} slices predicted`);
    expect(await text('worklist-version')).toBe('model v1');
    await screenshot(page, 'versions-predict-added');
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);
});
