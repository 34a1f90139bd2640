// The reading room on the demo workspace (`ich demo install`, served by `ich serve`) in Chromium at 1280x720, as
// a radiologist opens it (issue 17): the app opens on the worklist's top study at its highest-`any` slice; in
// compare mode the image takes at least 40% of the window and no panel clips or scrolls sideways (at 1920x1080
// too); after using the ensemble control a click on the image gives Up/Down back to the slices; n / Shift+N go
// to the next / previous flagged slice; hovering the image shows the HU under the pointer, the value the
// engine's own decoder gives for that pixel; the overlay names patient, study and series, the orientation from
// ImageOrientationPatient, a scale bar and the zoom; Space, i, r, f, ?, the window reset per study, and the
// distance tool. Screenshots: e2e/artifacts/reading-*.png.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail, StudyRow } from '../src-ml/api/engine.ts';
import { parseDicomBytes } from '../src-ml/dicom/parse.ts';
import { decodeFrameStored, initCodecsFor, storedToHu } from '../src-ml/dicom/pixels.ts';
import { readSliceHeader } from '../src-ml/dicom/header.ts';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { startServe, type Served } from './lib/serve.ts';
import { ich } from './lib/workspace.ts';
import { openWatchedPage, pageErrors, screenshot, viewportState, waitForSlice } from './lib/viewer-page.ts';

const ANY = 5;
const W = 1280;
const H = 720;

interface Opened {
  row: StudyRow;
  series: SeriesDetail;
  predictions: SeriesPredictions;
}

/** The slice a series opens at: the first of its highest `any` in the mode shown (safe by default). */
const openIndexOf = (p: SeriesPredictions, mode: 'safe' | 'risky' | 'compare' = 'safe'): number => {
  const any = p.slices.map((s) => (mode === 'safe' ? s.safe![ANY]! : mode === 'risky' ? s.risky![ANY]! : Math.max(s.safe![ANY]!, s.risky![ANY]!)));
  return any.indexOf(Math.max(...any));
};

/** Slices whose `any` (safe) is at or above the threshold, in order. */
const flaggedOf = (p: SeriesPredictions): number[] =>
  p.slices.flatMap((s, i) => (s.safe![ANY]! >= p.thresholds[ANY]! ? [i] : []));

/** Panels wider inside than their box (they would clip or scroll sideways): class, scroll and client width. */
function sidewaysOverflow(page: Page) {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('.topbar, .left, .center, .right, .prob-strip, .right .panel, .worklist table')) {
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className || el.tagName}: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    // Every worklist cell inside the worklist panel (the last column, risky, included) and none cut off by an ellipsis.
    const left = document.querySelector<HTMLElement>('.left')!.getBoundingClientRect();
    for (const td of document.querySelectorAll<HTMLElement>('[data-testid="study-row"] td')) {
      const r = td.getBoundingClientRect();
      if (r.right > left.right + 0.5) out.push(`worklist cell "${td.textContent}" ends at ${r.right} > ${left.right}`);
    }
    for (const td of document.querySelectorAll<HTMLElement>('[data-testid="study-row"] td:nth-child(n+3)')) {
      if (td.scrollWidth > td.clientWidth + 1) out.push(`worklist cell "${td.textContent}" cut off (${td.scrollWidth} > ${td.clientWidth})`);
    }
    for (const td of document.querySelectorAll<HTMLElement>('[data-testid="strip-current"] td, [data-testid="strip-current"] th')) {
      const r = td.getBoundingClientRect();
      const right = document.querySelector<HTMLElement>('.right')!.getBoundingClientRect();
      if (r.right > right.right + 0.5) out.push(`slice numbers cell "${td.textContent}" ends at ${r.right} > ${right.right}`);
    }
    return out;
  });
}

/** Box areas of the viewport and the other regions, in CSS pixels. */
function areas(page: Page) {
  return page.evaluate(() => {
    const area = (sel: string) => {
      const r = document.querySelector(sel)?.getBoundingClientRect();
      return r ? r.width * r.height : 0;
    };
    return { viewport: area('[data-testid="viewport"]'), left: area('.left'), right: area('.right'), strip: area('.prob-strip'), topbar: area('.topbar') };
  });
}

describe('the reading room on the demo at 1280x720', () => {
  let dir: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let top: Opened;
  let origin: string;
  const viewport = () => page.getByTestId('viewport');
  const sliceIndex = async () => Number(await viewport().getAttribute('data-slice-index'));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-e2e-reading-'));
    const ws = path.join(dir, 'ws');
    await ich(['demo', 'install', '--workspace', ws]);
    [served, browser] = await Promise.all([startServe(ws), launchChromium({ width: W, height: H })]);
    origin = served.origin;
    const [row] = await served.api<StudyRow[]>('listStudies', {});
    const [first] = await served.api<SeriesSummary[]>('getSeriesList', { studyUid: row!.studyUid });
    const series = await served.api<SeriesDetail>('getSeries', { seriesUid: first!.seriesUid });
    const predictions = await served.api<SeriesPredictions>('getPredictions', { seriesUid: first!.seriesUid });
    top = { row: row!, series, predictions };
    page = await openWatchedPage(browser.context, served.url);
    // A loaded machine (the engine, the browser and the decode workers on two cores) may take a while the first time.
    page.setDefaultTimeout(30_000);
    await page.getByTestId('study-row').first().waitFor({ timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the top study of the worklist, at its highest-`any` slice', async () => {
    const best = openIndexOf(top.predictions);
    await waitForSlice(page, origin, top.series, best);
    const selected = page.locator('[data-testid="study-row"][aria-selected="true"]');
    expect(await selected.getAttribute('data-study-uid')).toBe(top.row.studyUid);
    expect(await page.getByTestId('study-row').first().getAttribute('data-study-uid')).toBe(top.row.studyUid);
    // It is a slice with a bleed: flagged, and the strip's current column is that slice.
    expect(top.predictions.slices[best]!.safe![ANY]!).toBeGreaterThanOrEqual(top.predictions.thresholds[ANY]!);
    expect(best).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="strip-cell"][data-current="true"]').evaluateAll((els) => [...new Set(els.map((e) => (e as HTMLElement).dataset.slice))]))
      .toEqual([String(best)]);
    process.stdout.write(`reading e2e: opened ${top.row.studyUid} at slice ${best + 1} of ${top.series.slices.length} (any ${top.predictions.slices[best]!.safe![ANY]!.toFixed(3)})\n`);
    expect(pageErrors(page)).toEqual([]);
  });

  it('in compare mode the image takes at least 40% of the window; no panel clips or scrolls sideways (1280x720 and 1920x1080)', async () => {
    await page.getByTestId('ensemble-mode').selectOption('compare');
    await page.locator('[data-testid="prob-strip"][data-mode="compare"]').waitFor();
    // Six rows (one per label), safe and risky and their difference in each.
    expect(await page.locator('[data-testid="threshold-tick"]').count()).toBe(6);
    expect(await page.getByTestId('strip-cell').count()).toBe(3 * 6 * top.series.slices.length);
    await page.locator('.overlay-loading').waitFor({ state: 'detached', timeout: 30_000 });
    await page.mouse.move(1, 1);
    for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForFunction(([ww, hh]) => window.innerWidth === ww && window.innerHeight === hh, [w, h] as const);
      const a = await areas(page);
      const fraction = a.viewport / (w * h);
      process.stdout.write(`reading e2e: compare mode at ${w}x${h}: viewport ${(100 * fraction).toFixed(1)}% of the window (${JSON.stringify(a)})\n`);
      expect(fraction).toBeGreaterThanOrEqual(0.4);
      // The image is the largest element.
      for (const [k, v] of Object.entries(a)) if (k !== 'viewport') expect(a.viewport, k).toBeGreaterThan(v);
      expect(await sidewaysOverflow(page)).toEqual([]);
      await screenshot(page, `reading-compare-${w}x${h}`);
    }
    await page.setViewportSize({ width: W, height: H });
    await page.waitForFunction(([ww, hh]) => window.innerWidth === ww && window.innerHeight === hh, [W, H] as const);
    expect(pageErrors(page)).toEqual([]);
  });

  it('after using the ensemble control, a click on the image gives Up/Down (and the number keys) back to the viewport', async () => {
    const mode = page.getByTestId('ensemble-mode');
    // As a reader uses it: the control takes the keyboard, and keeps it after the choice.
    await mode.focus();
    await mode.selectOption('risky');
    await page.locator('[data-testid="prob-strip"][data-mode="risky"]').waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('ensemble-mode');
    await viewport().click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('viewport');
    const at = await sliceIndex();
    const down = Math.min(at + 1, top.series.slices.length - 1);
    await page.keyboard.press('ArrowDown');
    await waitForSlice(page, origin, top.series, down);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await waitForSlice(page, origin, top.series, Math.max(0, down - 2));
    expect(await page.locator('[data-testid="prob-strip"]').getAttribute('data-mode')).toBe('risky');
    expect(await mode.inputValue()).toBe('risky');
    await page.keyboard.press('2');
    await waitForSlice(page, origin, top.series, Math.max(0, down - 2), { wc: 80, ww: 200 });
    await page.keyboard.press('1');
    await mode.selectOption('safe');
    await viewport().click();
    expect(pageErrors(page)).toEqual([]);
  });

  it('n / Shift+N go to the next / previous slice whose `any` is at or above its threshold', async () => {
    const flagged = flaggedOf(top.predictions);
    expect(flagged.length).toBeGreaterThan(1);
    await page.keyboard.press('Home');
    await waitForSlice(page, origin, top.series, 0);
    expect(flagged[0]).toBeGreaterThan(0);
    await page.keyboard.press('n');
    await waitForSlice(page, origin, top.series, flagged[0]!);
    await page.keyboard.press('n');
    await waitForSlice(page, origin, top.series, flagged[1]!);
    await page.keyboard.press('Shift+N');
    await waitForSlice(page, origin, top.series, flagged[0]!);
    // None before the first: Shift+N stays; none after the last: n stays.
    await page.keyboard.press('Shift+N');
    expect(await sliceIndex()).toBe(flagged[0]);
    await page.keyboard.press('End');
    await waitForSlice(page, origin, top.series, top.series.slices.length - 1);
    await page.keyboard.press('Shift+N');
    await waitForSlice(page, origin, top.series, flagged.at(-1)!);
    await page.keyboard.press('n');
    expect(await sliceIndex()).toBe(flagged.at(-1));
    expect(pageErrors(page)).toEqual([]);
  });

  it('hovering the image shows the HU under the pointer: the engine decoder\'s value for that pixel', async () => {
    const index = await sliceIndex();
    await waitForSlice(page, origin, top.series, index);
    const slice = top.series.slices[index]!;
    // The reference: the slice's file through the engine's own DICOM reader (stored values through slope and intercept).
    const bytes = new Uint8Array(await (await fetch(new URL(slice.dicomUrl, origin))).arrayBuffer());
    const parsed = parseDicomBytes(bytes);
    await initCodecsFor(parsed.transferSyntaxUid);
    const header = readSliceHeader(parsed.dataSet, (slice.frame ?? 1) - 1);
    const hu = storedToHu(decodeFrameStored(parsed, (slice.frame ?? 1) - 1), header.rescaleSlope, header.rescaleIntercept);
    const columns = top.series.columns!;
    const rows = top.series.rows!;

    const box = (await viewport().boundingBox())!;
    const probe = page.getByTestId('hu-probe');
    const checkAt = async (x: number, y: number) => {
      await page.mouse.move(box.x + x, box.y + y);
      await probe.waitFor();
      await expect.poll(async () => (await probe.getAttribute('data-column')) !== null).toBe(true);
      const [c, r] = [Number(await probe.getAttribute('data-column')), Number(await probe.getAttribute('data-row'))];
      const text = await probe.innerText();
      expect(text).toMatch(/^-?\d+ HU$/);
      expect(text).toBe(`${Math.round(hu[r * columns + c]!)} HU`);
      return { c, r, text };
    };
    // The image is fitted and centred: the middle of the viewport is the middle of the image.
    const mid = await checkAt(box.width / 2, box.height / 2);
    expect(Math.abs(mid.c - columns / 2)).toBeLessThanOrEqual(1);
    expect(Math.abs(mid.r - rows / 2)).toBeLessThanOrEqual(1);
    // A pixel in the air at the image's top-left corner: about -1000 HU, another value.
    const scale = Math.min(box.width / columns, box.height / rows);
    const corner = await checkAt(box.width / 2 - (columns / 2 - 2.5) * scale, box.height / 2 - (rows / 2 - 2.5) * scale);
    expect([corner.c, corner.r]).toEqual([2, 2]);
    expect(Number(corner.text.split(' ')[0])).toBeLessThan(-900);
    process.stdout.write(`reading e2e: hu-probe ${mid.text} at (${mid.c}, ${mid.r}), ${corner.text} at (2, 2) of slice ${index + 1}\n`);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await screenshot(page, 'reading-hu-probe');
    // Off the image the probe goes.
    await page.mouse.move(1, 1);
    await probe.waitFor({ state: 'detached' });
    expect(pageErrors(page)).toEqual([]);
  });

  it('the overlay: patient, age, sex, study date and time, series; orientation markers; scale bar and zoom', async () => {
    const index = await sliceIndex();
    const detail = await served.api<SliceDetail>('getSliceDetail', { imageId: top.series.slices[index]!.imageId });
    const patient = page.getByTestId('overlay-patient');
    await patient.waitFor();
    const lines = await patient.locator('div').allInnerTexts();
    const h = detail.header;
    expect(lines[0]).toBe(h['0010,0010'] || h['0010,0020']);
    expect(lines[1]).toMatch(/age .+ · sex .+/);
    const date = h['0008,0020']!;
    expect(lines[2]).toBe(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)} ${h['0008,0030']!.slice(0, 2)}:${h['0008,0030']!.slice(2, 4)}`);
    expect(lines[3]).toContain(`#${h['0020,0011']}`);
    // Axial, rows along +x and columns along +y (ImageOrientationPatient 1\0\0\0\1\0): R left, L right, A up, P down.
    expect(h['0020,0037']).toBe('1\\0\\0\\0\\1\\0');
    const markers = await page.getByTestId('orientation-marker').evaluateAll((els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.side, e.textContent])));
    expect(markers).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });

    // Zoom: screen pixels per image pixel (fit: the viewport's height over the rows); the scale bar: a round
    // length at that zoom and the header's pixel spacing.
    const box = (await viewport().boundingBox())!;
    const fit = Math.min(box.width / top.series.columns!, box.height / top.series.rows!);
    const zoom = page.getByTestId('zoom-level');
    expect(Number(await zoom.getAttribute('data-zoom'))).toBeCloseTo(fit, 2);
    expect(await zoom.innerText()).toBe(`Zoom ${Math.round(fit * 100)}%`);
    const spacing = Number(h['0028,0030']!.split('\\')[1]);
    const bar = page.getByTestId('scale-bar');
    const barOf = async () => ({ mm: Number(await bar.getAttribute('data-mm')), px: Number(await bar.getAttribute('data-px')) });
    const b1 = await barOf();
    expect(b1.px).toBeCloseTo((b1.mm * fit) / spacing, 0);
    const line = await bar.locator('.scale-line').boundingBox();
    expect(line!.width).toBeCloseTo(b1.px, 0);
    await page.keyboard.press('z');
    await expect.poll(async () => Number(await zoom.getAttribute('data-zoom'))).toBeCloseTo(fit * 1.25, 2);
    const b2 = await barOf();
    expect(b2.px).toBeCloseTo((b2.mm * fit * 1.25) / spacing, 0);
    await page.keyboard.press('f');
    await expect.poll(async () => Number(await zoom.getAttribute('data-zoom'))).toBeCloseTo(fit, 2);
    await screenshot(page, 'reading-overlay');
    expect(pageErrors(page)).toEqual([]);
  });

  it('Space cine, i invert, r reset, f fit; ? opens the help sheet built from the key map', async () => {
    const canvas = page.locator('[data-testid="viewport"] .viewport-canvas');
    const before = await sliceIndex();
    await page.keyboard.press(' ');
    await expect.poll(sliceIndex, { timeout: 5_000 }).not.toBe(before);
    await page.keyboard.press(' ');
    const stopped = await sliceIndex();
    await page.waitForTimeout(300);
    expect(await sliceIndex()).toBe(stopped);

    await page.keyboard.press('i');
    await expect.poll(() => viewport().getAttribute('data-invert')).toBe('true');
    expect(await page.locator('.overlay-bl').innerText()).toContain('inverted');
    await page.keyboard.press('4');
    await page.keyboard.press('z');
    await page.keyboard.press('r');
    await expect.poll(() => viewport().getAttribute('data-invert')).toBe('false');
    await expect.poll(async () => (await viewportState(page)).renderedWw).toBe(80);
    expect(await canvas.getAttribute('data-rendered-wc')).toBe('40');

    await page.keyboard.press('?');
    const sheet = page.getByTestId('help-sheet');
    await sheet.waitFor();
    const bindings = await page.getByTestId('help-binding').evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.keys, r.textContent]));
    // Keys as the sheet names them (data-keys: the names, space-separated).
    for (const key of ['n', 'Shift+N', '↓', '↑', 'Space', 'i', 'r', 'f', '?', 'h', ']', '[', '1', 'm']) {
      expect(bindings.some(([k]) => k!.split(' ').includes(key)), `a binding for "${key}"`).toBe(true);
    }
    expect(await sheet.innerText()).toContain('Shift+N');
    await screenshot(page, 'reading-help');
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    expect(pageErrors(page)).toEqual([]);
  });

  it('each new study starts at the brain window unless it is locked; ] / [ step through the worklist', async () => {
    const rows = await served.api<StudyRow[]>('listStudies', {});
    await page.keyboard.press('4');
    await expect.poll(() => viewport().getAttribute('data-ww')).toBe('2800');
    await page.keyboard.press(']');
    await expect.poll(() => page.locator('[data-testid="study-row"][aria-selected="true"]').getAttribute('data-study-uid')).toBe(rows[1]!.studyUid);
    await expect.poll(() => viewport().getAttribute('data-ww')).toBe('80');
    // Locked: the next study keeps the window.
    await page.keyboard.press('4');
    await page.getByTestId('window-lock').click();
    await viewport().click();
    await page.keyboard.press('[');
    await expect.poll(() => page.locator('[data-testid="study-row"][aria-selected="true"]').getAttribute('data-study-uid')).toBe(rows[0]!.studyUid);
    await waitForSlice(page, origin, top.series, openIndexOf(top.predictions), { wc: 600, ww: 2800 });
    await page.getByTestId('window-lock').click();
    await viewport().click();
    await page.keyboard.press('1');
    expect(pageErrors(page)).toEqual([]);
  });

  it('the distance tool measures in mm', async () => {
    await page.keyboard.press('m');
    await expect.poll(() => viewport().getAttribute('data-tool')).toBe('distance');
    const box = (await viewport().boundingBox())!;
    const zoomPx = Number(await page.getByTestId('zoom-level').getAttribute('data-zoom'));
    const index = await sliceIndex();
    const detail = await served.api<SliceDetail>('getSliceDetail', { imageId: top.series.slices[index]!.imageId });
    const spacing = Number(detail.header['0028,0030']!.split('\\')[1]);
    const [x0, y0] = [box.x + box.width / 2 - 100, box.y + box.height / 2];
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x0 + 200, y0, { steps: 5 });
    await page.mouse.up();
    const m = page.getByTestId('measurement');
    await m.waitFor();
    const mm = Number(await m.getAttribute('data-mm'));
    expect(mm).toBeCloseTo((200 / zoomPx) * spacing, 0);
    expect(await m.locator('text').textContent()).toBe(`${mm.toFixed(1)} mm`);
    process.stdout.write(`reading e2e: a 200 px line at zoom ${zoomPx.toFixed(3)} measures ${mm.toFixed(2)} mm\n`);
    await screenshot(page, 'reading-distance');
    await page.keyboard.press('Delete');
    await m.waitFor({ state: 'detached' });
    await page.keyboard.press('m');
    expect(pageErrors(page)).toEqual([]);
  });
  it('key images: the top study\'s highest-`any` slices as thumbnails beside the worklist; a click opens that slice', async () => {
    const keys = top.row.keyImages ?? [];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.map((k) => k.pAny)).toEqual([...keys.map((k) => k.pAny)].sort((a, b) => b - a));
    await expect.poll(() => page.locator('[data-testid="study-row"][aria-selected="true"]').getAttribute('data-study-uid')).toBe(top.row.studyUid);
    const strip = page.getByTestId('key-images');
    await strip.waitFor();
    expect(await strip.locator('[data-testid="key-image"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.imageId)))
      .toEqual(keys.map((k) => k.imageId));
    // Each thumbnail is drawn (its own small canvas, cornerstone's cached image).
    await expect.poll(() => strip.locator('[data-testid="key-thumb"][data-status="ready"]').count()).toBe(keys.length);
    expect(await strip.locator('[data-testid="key-thumb"] canvas').count()).toBe(keys.length);
    const target = keys[keys.length - 1]!;
    const series = await served.api<SeriesDetail>('getSeries', { seriesUid: target.seriesUid });
    const index = series.slices.findIndex((x) => x.imageId === target.imageId);
    expect(index).toBeGreaterThanOrEqual(0);
    await strip.locator(`[data-testid="key-image"][data-image-id="${target.imageId}"]`).click();
    await waitForSlice(page, origin, series, index);
    expect(await strip.locator(`[data-testid="key-image"][data-image-id="${target.imageId}"]`).getAttribute('class')).toBe('selected');
    await screenshot(page, 'reading-key-images');
    expect(pageErrors(page)).toEqual([]);
  });

  it('the model card of the demo\'s version: per-class sensitivity and specificity at the threshold, a reliability diagram', async () => {
    const card = page.getByTestId('model-card');
    await card.waitFor();
    expect(await card.getByTestId('model-calibration-missing').count()).toBe(0);
    const details = card.getByTestId('model-calibration');
    await details.locator('summary').click();
    const rows = details.getByTestId('model-sens-spec').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(6);
    // Every cell a number (a fraction at the threshold), for safe and risky.
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(1).map((td) => td.textContent ?? '')));
    for (const row of cells) for (const c of row) expect(c).toMatch(/^(\d+(\.\d+)?|–)$/);
    expect(await details.getByTestId('reliability-bin').count()).toBeGreaterThan(4);
    // Opened, the table and the plot stay inside the card (nothing cut off at 1280x720).
    const box = await card.boundingBox();
    for (const part of [details.getByTestId('model-sens-spec'), details.getByTestId('reliability')]) {
      const b = (await part.boundingBox())!;
      expect(b.x + b.width).toBeLessThanOrEqual(box!.x + box!.width + 1);
    }
    expect(await sidewaysOverflow(page)).toEqual([]);
    await screenshot(page, 'reading-model-card');
    expect(pageErrors(page)).toEqual([]);
  });
});
