// Reading and driving the viewer page through its stable test hooks. Every wait is on a real event or
// attribute: the viewport's data-status/data-slice-index/data-sop-uid, and the data-rendered-* attributes the
// cornerstone renderer writes on its element after each drawn frame (cornerstoneimagerendered).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { SeriesDetail } from '../../src-ml/api/engine.ts';
import { REPO_ROOT } from './workspace.ts';

export const ARTIFACTS = path.join(REPO_ROOT, 'e2e/artifacts');

export interface ViewportState {
  seriesUid: string;
  sliceIndex: number;
  sopUid: string;
  wc: number;
  ww: number;
  status: string;
  /** From the renderer: the image and window of the last frame drawn on the canvas. */
  renderedImage: string;
  renderedWc: number;
  renderedWw: number;
}

export async function openViewer(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Console errors too: CSP violations, failed loads (a 404 for a worker or wasm file) and React errors land there.
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  (page as Page & { errors?: string[] }).errors = errors;
  await page.goto(url);
  await page.getByTestId('study-row').first().waitFor();
  return page;
}

/** Uncaught errors and console errors of the page so far. */
export const pageErrors = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];

/**
 * A new page at `url` that records its uncaught errors and console errors for pageErrors; `expected`
 * matches console errors a test provokes on purpose (a refused request's HTTP 400, say).
 */
export async function openWatchedPage(context: BrowserContext, url: string, expected?: RegExp): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected?.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  (page as Page & { errors?: string[] }).errors = errors;
  await page.goto(url);
  return page;
}

export function viewportState(page: Page): Promise<ViewportState> {
  return page.getByTestId('viewport').evaluate((el: HTMLElement) => {
    const canvasHost = el.querySelector<HTMLElement>('.viewport-canvas');
    const d = el.dataset;
    const r = canvasHost?.dataset ?? {};
    return {
      seriesUid: d.seriesUid ?? '', sliceIndex: Number(d.sliceIndex), sopUid: d.sopUid ?? '', wc: Number(d.wc), ww: Number(d.ww),
      status: d.status ?? '', renderedImage: r.renderedImage ?? '', renderedWc: Number(r.renderedWc), renderedWw: Number(r.renderedWw),
    };
  });
}

/**
 * The cornerstone image id the renderer uses for a slice of the API's series: the wado loader's `wadouri:` URL,
 * with `frame=<index from 0>` last for a frame of a multi-frame file.
 */
export function renderedIdOf(origin: string, series: SeriesDetail, index: number): string {
  const s = series.slices[index]!;
  const href = new URL(s.dicomUrl, origin).href;
  return s.frame == null ? `wadouri:${href}` : `wadouri:${href}${href.includes('?') ? '&' : '?'}frame=${s.frame - 1}`;
}

/**
 * Waits until the viewport shows slice `index` of the series and the canvas holds that slice's image
 * (optionally drawn with window wc/ww).
 */
export async function waitForSlice(page: Page, origin: string, series: SeriesDetail, index: number, voi?: { wc: number; ww: number }): Promise<void> {
  const want = { series: series.seriesUid, index, sop: series.slices[index]!.sopInstanceUid, image: renderedIdOf(origin, series, index), voi: voi ?? null };
  try {
    await page.waitForFunction((w) => {
      const el = document.querySelector<HTMLElement>('[data-testid="viewport"]');
      const r = el?.querySelector<HTMLElement>('.viewport-canvas')?.dataset;
      if (!el || !r) return false;
      const d = el.dataset;
      return d.seriesUid === w.series && d.sliceIndex === String(w.index) && d.sopUid === w.sop && d.status === 'ready'
        && r.renderedImage === w.image
        && (!w.voi || (r.renderedWc === String(w.voi.wc) && r.renderedWw === String(w.voi.ww)));
    }, want, { timeout: 15_000 });
  } catch (err) {
    const got = await viewportState(page).catch(() => null);
    throw new Error(`viewport never showed slice ${index} of ${series.seriesUid}${voi ? ` at ${voi.wc}/${voi.ww}` : ''}; it shows ${JSON.stringify(got)} (${(err as Error).message.split('\n')[0]})`);
  }
}

/** How many frames the renderer has drawn so far (every redraw: new slice, window, zoom, pan). */
export function renderCount(page: Page): Promise<number> {
  return page.locator('[data-testid="viewport"] .viewport-canvas').evaluate((el: HTMLElement) => Number(el.dataset.renderCount ?? 0));
}

/** Waits until the renderer has drawn a frame after the `after`-th one. */
export async function waitForRender(page: Page, after: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('[data-testid="viewport"] .viewport-canvas')?.dataset.renderCount ?? 0) > n, after);
}

/**
 * Clicks the study's worklist row, waits for its first series on the canvas (a study opens at its highest-`any`
 * slice; the top study is open already when the page starts), then goes to the first slice (Home) and waits
 * for it.
 */
export async function selectStudy(page: Page, origin: string, studyUid: string, series: SeriesDetail): Promise<void> {
  await page.locator(`[data-testid="study-row"][data-study-uid="${studyUid}"]`).click();
  await page.locator(`[data-testid="viewport"][data-series-uid="${series.seriesUid}"][data-status="ready"]`).waitFor({ timeout: 15_000 });
  await page.keyboard.press('Home');
  await waitForSlice(page, origin, series, 0);
}

/** Turns the engineering tables (members, blend weights, metadata features) on. */
export async function showEngineering(page: Page): Promise<void> {
  const toggle = page.getByTestId('engineering-toggle');
  if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
  await page.getByTestId('ensemble-panel').waitFor();
}

export interface CanvasDigest {
  width: number;
  height: number;
  /** FNV-1a over every RGBA byte. */
  hash: number;
  /** Mean of the red channel (grey images: the mean grey level). */
  mean: number;
  /** Fractions of the pixels that are pure white and pure black. */
  white: number;
  black: number;
}

export function canvasDigest(page: Page): Promise<CanvasDigest> {
  return page.locator('[data-testid="viewport"] canvas').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let h = 0x811c9dc5;
    let sum = 0;
    let white = 0;
    let black = 0;
    for (let i = 0; i < data.length; i++) {
      h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
      if ((i & 3) === 0) {
        sum += data[i]!;
        if (data[i] === 255) white++;
        else if (data[i] === 0) black++;
      }
    }
    const n = data.length / 4;
    return { width: c.width, height: c.height, hash: h, mean: sum / n, white: white / n, black: black / n };
  });
}

/** The strip cells marked current: their slice numbers. */
export function currentStripSlices(page: Page): Promise<string[]> {
  return page.locator('[data-testid="strip-cell"][data-current="true"]').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.slice ?? ''));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
