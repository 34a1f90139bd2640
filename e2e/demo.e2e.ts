// `npm start` on a machine without Electron, as a newcomer runs it: the launcher says why it falls back, installs
// the bundled demo (assets/demo) into a fresh user-data folder, serves it and prints the URL. In Chromium the
// worklist shows the real GE head CT and the synthetic studies, each with the predictions the demo's
// tiny-preset models made; the top study is flagged; its slices draw with the probability strip beside them.
// The screenshot (e2e/artifacts/demo.png) is the README's desktop picture.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { startApp, type StartedApp } from './lib/npm-start.ts';
import { openViewer, pageErrors, screenshot } from './lib/viewer-page.ts';
import { REPO_ROOT } from './lib/workspace.ts';

interface DemoManifest { studies: number; images: number }

/** ../shared/dicom/head-ct-ge (no hemorrhage). */
const GE_STUDY_UID = '1.2.826.0.1.3680043.9.4245.1760717064491086528325869788156915668';

describe('npm start brings up the demo (browser fallback)', () => {
  let app: StartedApp;
  let home = '';
  let lines: string[] = [];
  let url = '';
  let workspace = '';
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // A fresh user-data folder: no last workspace, so the demo is installed and opened.
    app = await startApp('ich-e2e-demo-');
    ({ home, lines, url, workspace } = app);
    browser = await launchChromium();
    page = await openViewer(browser.context, url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('says why it falls back and installs the demo into the user-data folder', () => {
    expect(lines[0]).toMatch(/^npm start: Electron is not installed here \(.+\); opening the app in the browser through ich serve instead$/);
    expect(lines.some((l) => l.includes('installing the demo workspace'))).toBe(true);
    expect(workspace).toBe(path.join(home, 'ICH Viewer', 'demo-workspace'));
  });

  it('shows every demo study with safe and risky predictions, the top one flagged, and draws its slices', async () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'assets/demo/demo.json'), 'utf8')) as DemoManifest;
    const rows = page.getByTestId('study-row');
    await expect.poll(() => rows.count()).toBe(manifest.studies);
    // every study has both ensembles' maxima (numbers, not blanks): the demo came with its predictions
    const cells = await rows.evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    for (const text of cells) expect(text).toMatch(/[01]\.\d\d.*[01]\.\d\d/);
    // the real GE head CT is there (its PatientID), and the flagged top study is a synthetic one with bleeds
    const uids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-study-uid')));
    expect(uids).toContain(GE_STUDY_UID);
    expect(cells.some((t) => t.includes('QMNx85rKkkg'))).toBe(true);
    expect(uids[0]).not.toBe(GE_STUDY_UID);
    await rows.first().click();
    const viewport = page.getByTestId('viewport');
    await expect.poll(() => viewport.getAttribute('data-status')).toBe('ready');
    await page.getByTestId('prob-strip').waitFor();
    // jump to the slice the strip rates highest for `any` so the picture shows a bleed with its numbers
    await page.keyboard.press('End');
    await expect.poll(() => viewport.getAttribute('data-status')).toBe('ready');
    const last = Number(await viewport.getAttribute('data-slice-index'));
    expect(last).toBeGreaterThan(0);
    await page.keyboard.press('Home');
    await expect.poll(() => viewport.getAttribute('data-slice-index')).toBe('0');
    for (let i = 0; i < Math.floor(last / 2); i++) await page.keyboard.press('ArrowDown');
    await expect.poll(() => viewport.getAttribute('data-status')).toBe('ready');
    await page.getByTestId('ensemble-mode').selectOption('compare');
    await screenshot(page, 'demo');
    expect(pageErrors(page)).toEqual([]);
  });
});
