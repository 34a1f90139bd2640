// Key H on the demo at 1280x720, opened as demo.e2e.ts opens it (`npm start` in a fresh user-data folder, the
// browser fallback): the top study at its highest-`any` slice; H shows the saliency overlay (the engine's map from
// the demo version's base CNNs, for the slice's top label) and changes the viewport's pixels, inside the image
// only; the legend names the method, the label and the model version; the label chooser asks for another map;
// H again gives back the very same picture. Screenshots: e2e/artifacts/saliency-*.png (viewport before and after,
// the reading view at 1280x720 and 1920x1080; docs/saliency.png, the README's picture, is a copy of
// saliency-reading-1280x720.png).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaliencyMap, SeriesDetail, SeriesPredictions, StudyRow } from '../src-ml/api/engine.ts';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { startApp, type StartedApp } from './lib/npm-start.ts';
import { ARTIFACTS, openViewer, pageErrors, screenshot, waitForSlice } from './lib/viewer-page.ts';

/** The viewport element's pixels as the page shows them (image, overlay text, saliency canvas). */
async function viewportShot(page: Page, name: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  const png = decode(await page.getByTestId('viewport').screenshot({ path: file }));
  return { width: png.width, height: png.height, data: png.data as Uint8Array };
}

/** Pixels that differ between two shots of one size, and their bounding box. */
function diff(a: { width: number; height: number; data: Uint8Array }, b: { width: number; data: Uint8Array }) {
  const ch = a.data.length / (a.width * a.height);
  let n = 0;
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (let p = 0; p < a.width * a.height; p++) {
    let same = true;
    for (let c = 0; c < 3; c++) if (a.data[p * ch + c] !== b.data[p * ch + c]) same = false;
    if (same) continue;
    n++;
    const x = p % a.width;
    const y = Math.floor(p / a.width);
    box.x0 = Math.min(box.x0, x);
    box.y0 = Math.min(box.y0, y);
    box.x1 = Math.max(box.x1, x);
    box.y1 = Math.max(box.y1, y);
  }
  return { n, box };
}

describe('H shows where the model looks (demo, 1280x720)', () => {
  let app: StartedApp;
  let url = '';
  let browser: Browser;
  let page: Page;
  let api: <T>(method: string, body?: unknown) => Promise<T>;

  beforeAll(async () => {
    app = await startApp('ich-e2e-saliency-');
    url = app.url;
    const u = new URL(url);
    const token = u.searchParams.get('token') ?? '';
    api = async <T>(method: string, body: unknown = {}): Promise<T> => {
      const res = await fetch(new URL(`/api/${method}`, u.origin), {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'x-ich-token': token }, body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    browser = await launchChromium({ width: 1280, height: 720 });
    page = await openViewer(browser.context, url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('H overlays the map of the top label on the top study\'s most suspicious slice, with its legend; H again takes it off', async () => {
    const [top] = await api<StudyRow[]>('listStudies');
    const [first] = await api<{ seriesUid: string }[]>('getSeriesList', { studyUid: top!.studyUid });
    const series = await api<SeriesDetail>('getSeries', { seriesUid: first!.seriesUid });
    const preds = await api<SeriesPredictions>('getPredictions', { seriesUid: first!.seriesUid });
    const anyOf = (i: number) => preds.slices[i]?.safe?.[5] ?? -1;
    const best = preds.slices.reduce((b, _, i) => (anyOf(i) > anyOf(b) ? i : b), 0);

    // The top study at its highest-`any` slice (the app may open there by itself; going there by keys is the same).
    const viewport = page.getByTestId('viewport');
    if ((await viewport.getAttribute('data-series-uid')) !== series.seriesUid) await page.locator(`[data-testid="study-row"][data-study-uid="${top!.studyUid}"]`).click();
    await expect.poll(() => viewport.getAttribute('data-series-uid')).toBe(series.seriesUid);
    await viewport.click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Home');
    for (let i = 0; i < best; i++) await page.keyboard.press('ArrowDown');
    await waitForSlice(page, new URL(url).origin, series, best);
    // Every slice loaded: the overlay's "x of y loaded" line is gone, so only the saliency can change the pixels.
    await page.locator('.overlay-loading').waitFor({ state: 'detached', timeout: 30_000 });
    await page.mouse.move(1, 1);
    const before = await viewportShot(page, 'saliency-viewport-before');

    await page.keyboard.press('h');
    const overlay = page.getByTestId('saliency-overlay');
    await overlay.waitFor();
    await expect.poll(() => overlay.getAttribute('data-drawn'), { timeout: 30_000 }).toBe('true');
    const label = (await overlay.getAttribute('data-label'))!;
    const imageId = series.slices[best]!.imageId;
    expect(await overlay.getAttribute('data-image-id')).toBe(imageId);
    // The engine's own map for that slice and label (from its cache now): the version and method the legend names.
    const map = await api<SaliencyMap>('getSaliency', { imageId, label });
    expect(map.cached).toBe(true);
    expect(map.version).toBe('v1');
    const methodName = map.method === 'grad-cam' ? 'Grad-CAM' : 'SmoothGrad';
    expect(await page.getByTestId('saliency-legend').innerText()).toContain(`${methodName}, ${label}, model v1`);
    // The top label: the slice's highest subtype in the safe ensemble the page shows by default.
    const safe = preds.slices[best]!.safe!;
    const subtypes = preds.labels.slice(0, 5);
    expect(label).toBe(subtypes[safe.slice(0, 5).indexOf(Math.max(...safe.slice(0, 5)))]);

    const after = await viewportShot(page, 'saliency-viewport-after');
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    const changed = diff(before, after);
    expect(changed.n).toBeGreaterThan(0);
    // A visible share of the viewport changes (the heat map over the head, and the legend).
    process.stdout.write(`saliency e2e: ${label} on ${imageId}, ${map.method}, ${changed.n} viewport pixels changed in ${JSON.stringify(changed.box)} of ${after.width}x${after.height}\n`);
    expect(changed.n).toBeGreaterThan(0.01 * after.width * after.height);
    await screenshot(page, 'saliency-reading-1280x720');

    // Another label from the chooser: another map, another picture.
    const other = label === 'intraparenchymal' ? 'subdural' : 'intraparenchymal';
    await page.getByTestId('saliency-label').selectOption(other);
    await expect.poll(() => overlay.getAttribute('data-label')).toBe(other);
    await expect.poll(() => overlay.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    await expect.poll(() => overlay.getAttribute('data-drawn')).toBe('true');
    await page.mouse.move(1, 1);
    const otherShot = await viewportShot(page, 'saliency-viewport-other-label');
    expect(diff(after, otherShot).n).toBeGreaterThan(0);
    // The chooser gave the keyboard back: H hides the overlay, and the picture is the one before.
    await page.getByTestId('saliency-label').selectOption('');
    await expect.poll(() => overlay.getAttribute('data-label')).toBe(label);
    await page.keyboard.press('h');
    await overlay.waitFor({ state: 'detached' });
    const off = await viewportShot(page, 'saliency-viewport-off');
    expect(diff(before, off).n).toBe(0);

    // The same reading view at 1920x1080.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.keyboard.press('h');
    await expect.poll(() => page.getByTestId('saliency-overlay').getAttribute('data-drawn'), { timeout: 30_000 }).toBe('true');
    await screenshot(page, 'saliency-reading-1920x1080');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);
});
