// The viewer in Debian Chromium through `ich serve`, on a workspace the real engine built (synthetic studies,
// the whole pipeline, stored safe/risky predictions). The engine API and the generator's truth.json are the
// references the page is checked against. Screenshots go to e2e/artifacts/.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SeriesDetail, SeriesPredictions, SeriesSummary, SliceDetail, StudyRow } from '../src-ml/api/engine.ts';
import { launchChromium, type Browser } from './lib/chromium.ts';
import { startServe, type Served } from './lib/serve.ts';
import { ich, REPO_ROOT, synth } from './lib/workspace.ts';
import {
  canvasDigest, currentStripSlices, openViewer, pageErrors, renderCount, screenshot, selectStudy, showEngineering, viewportState, waitForRender, waitForSlice,
} from './lib/viewer-page.ts';

const LABELS = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'] as const;
const ANY = 5;
const fmtProb = (p: number | null | undefined) => (p == null ? '–' : p.toFixed(2));

interface Truth {
  series: { seriesInstanceUid: string; studyInstanceUid: string; slices: string[] }[];
  slices: Record<string, { zMm: number; instanceNumber: number }>;
}

interface StudyData {
  row: StudyRow;
  series: SeriesSummary[];
  first: SeriesDetail;
  predictions: SeriesPredictions;
}

describe('viewer in Chromium against ich serve', () => {
  const workspace = inject('workspace');
  const truth = JSON.parse(readFileSync(path.join(inject('data'), 'truth.json'), 'utf8')) as Truth;
  let served: Served;
  let browser: Browser;
  let studies: StudyData[];
  /** A study whose slices' InstanceNumbers run against their positions (so file or instance order is wrong). */
  let descending: StudyData;
  let page: Page;

  beforeAll(async () => {
    [served, browser] = await Promise.all([startServe(workspace), launchChromium()]);
    const rows = await served.api<StudyRow[]>('listStudies', {});
    studies = await Promise.all(rows.map(async (row) => {
      const series = await served.api<SeriesSummary[]>('getSeriesList', { studyUid: row.studyUid });
      const first = await served.api<SeriesDetail>('getSeries', { seriesUid: series[0]!.seriesUid });
      const predictions = await served.api<SeriesPredictions>('getPredictions', { seriesUid: series[0]!.seriesUid });
      return { row, series, first, predictions };
    }));
    const desc = studies.find((s) => {
      const inst = s.first.slices.map((x) => truth.slices[x.sopInstanceUid]!.instanceNumber);
      return inst[0]! > inst[inst.length - 1]!;
    });
    if (!desc) throw new Error('the e2e set has no series whose InstanceNumber runs against the position');
    descending = desc;
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  const open = async () => {
    page = await openViewer(browser.context, served.url);
    return page;
  };

  it('refuses the page, the API and the images without the token', async () => {
    const p = await browser.context.newPage();
    const bare = await p.goto(`${served.origin}/`);
    expect(bare!.status()).toBe(403);
    expect(await p.locator('body').innerText()).toMatch(/token/);
    const wrong = await p.goto(`${served.origin}/?token=${'0'.repeat(served.token.length)}`);
    expect(wrong!.status()).toBe(403);
    // From a page of the same origin without the token, the API and DICOM bytes are refused too.
    const fromPage = await p.evaluate(async (dicom) => {
      const api = await fetch('/api/listStudies', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      const img = await fetch(dicom);
      return [api.status, img.status];
    }, studies[0]!.first.slices[0]!.dicomUrl.replace(/\?token=.*$/, ''));
    expect(fromPage).toEqual([403, 403]);
    const ok = await p.goto(served.url);
    expect(ok!.status()).toBe(200);
    await p.getByTestId('study-row').first().waitFor();
    await p.close();
  });

  it('lists every study once, highest `any` first, with both ensembles\' maxima', async () => {
    await open();
    const info = await served.api<{ counts: { studies: number } }>('info');
    // The reference: each study's highest `any` over its slices' stored predictions, from getPredictions.
    const top = new Map<string, { safe: number; risky: number }>();
    for (const s of studies) {
      const all = await Promise.all(s.series.map((x) => served.api<SeriesPredictions>('getPredictions', { seriesUid: x.seriesUid })));
      const slices = all.flatMap((p) => p.slices);
      expect(slices.every((x) => x.safe && x.risky), `predictions for every slice of ${s.row.studyUid}`).toBe(true);
      top.set(s.row.studyUid, { safe: Math.max(...slices.map((x) => x.safe![ANY]!)), risky: Math.max(...slices.map((x) => x.risky![ANY]!)) });
    }
    const rows = await page.getByTestId('study-row').evaluateAll((els) => els.map((e) => ({
      uid: (e as HTMLElement).dataset.studyUid!, cells: [...e.querySelectorAll('td')].map((td) => td.textContent ?? ''),
    })));
    expect(rows).toHaveLength(info.counts.studies);
    expect(new Set(rows.map((r) => r.uid))).toEqual(new Set(top.keys()));
    const priority = rows.map((r) => Math.max(top.get(r.uid)!.safe, top.get(r.uid)!.risky));
    for (let i = 1; i < priority.length; i++) expect(priority[i]!, `row ${i + 1} after row ${i}`).toBeLessThanOrEqual(priority[i - 1]!);
    for (const r of rows) {
      // columns: flag, patient, date, series, slices, safe, risky
      expect(r.cells.slice(5)).toEqual([fmtProb(top.get(r.uid)!.safe), fmtProb(top.get(r.uid)!.risky)]);
    }
    await screenshot(page, 'worklist');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('shows the slices in position order (the generator\'s z), not file or InstanceNumber order', async () => {
    await open();
    for (const s of [descending, studies.find((x) => x !== descending)!]) {
      const expected = [...s.first.slices.map((x) => x.sopInstanceUid)].sort((a, b) => truth.slices[a]!.zMm - truth.slices[b]!.zMm);
      expect(s.first.slices.map((x) => x.sopInstanceUid), 'the API order').toEqual(expected);
      await selectStudy(page, served.origin, s.row.studyUid, s.first);
      const shown: string[] = [(await viewportState(page)).sopUid];
      for (let i = 1; i < s.first.slices.length; i++) {
        await page.keyboard.press('ArrowDown');
        await waitForSlice(page, served.origin, s.first, i);
        shown.push((await viewportState(page)).sopUid);
      }
      expect(shown).toEqual(expected);
      // One more ArrowDown stays on the last slice.
      await page.keyboard.press('ArrowDown');
      expect((await viewportState(page)).sliceIndex).toBe(s.first.slices.length - 1);
    }
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('the probability strip follows the wheel, the keys and a click', async () => {
    await open();
    const s = studies[0]!;
    const n = s.first.slices.length;
    await selectStudy(page, served.origin, s.row.studyUid, s.first);
    await page.getByTestId('prob-strip').and(page.locator('[data-state="ready"]')).waitFor();
    expect(await page.getByTestId('strip-cell').count()).toBe(6 * n);
    const expectStripAt = async (index: number) => {
      expect(await currentStripSlices(page)).toEqual(Array(6).fill(String(index)));
      const current = page.getByTestId('strip-current');
      expect(await current.locator('thead th').first().innerText()).toBe(`slice ${index + 1}`);
      const safe = await current.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[0]!.textContent));
      expect(safe).toEqual(s.predictions.slices[index]!.safe!.map(fmtProb));
    };
    await expectStripAt(0);

    const box = (await page.getByTestId('viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 1; i <= 3; i++) {
      await page.mouse.wheel(0, 100);
      await waitForSlice(page, served.origin, s.first, i);
      await expectStripAt(i);
    }
    await page.mouse.wheel(0, -100);
    await waitForSlice(page, served.origin, s.first, 2);
    await expectStripAt(2);
    await page.keyboard.press('ArrowUp');
    await waitForSlice(page, served.origin, s.first, 1);
    await expectStripAt(1);
    await page.keyboard.press('End');
    await waitForSlice(page, served.origin, s.first, n - 1);
    await expectStripAt(n - 1);
    await page.keyboard.press('Home');
    await waitForSlice(page, served.origin, s.first, 0);
    await expectStripAt(0);

    const target = Math.floor(n / 2);
    await page.locator(`[data-testid="strip-cell"][data-slice="${target}"][data-label="any"]`).click();
    await waitForSlice(page, served.origin, s.first, target);
    await expectStripAt(target);
    expect(await page.getByTestId('overlay-findings').count()).toBe(1);
    expect(await page.locator('.overlay-tl').innerText()).toContain(`Slice ${target + 1} / ${n}`);
    await screenshot(page, 'strip-click');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('a window preset key changes data-wc/data-ww and the pixels on the canvas', async () => {
    await open();
    const s = studies[0]!;
    await selectStudy(page, served.origin, s.row.studyUid, s.first);
    const index = Math.floor(s.first.slices.length / 2);
    await page.keyboard.press('End');
    await page.locator(`[data-testid="strip-cell"][data-slice="${index}"][data-label="any"]`).click();
    await waitForSlice(page, served.origin, s.first, index, { wc: 40, ww: 80 });
    const brain = await canvasDigest(page);
    expect(await viewportState(page)).toMatchObject({ wc: 40, ww: 80 });

    await page.keyboard.press('4');
    await waitForSlice(page, served.origin, s.first, index, { wc: 600, ww: 2800 });
    expect(await viewportState(page)).toMatchObject({ wc: 600, ww: 2800 });
    const bone = await canvasDigest(page);
    expect(bone.hash).not.toBe(brain.hash);
    // At 40/80 everything from 80 HU up (the whole skull) is pure white and everything from 0 HU down black; at
    // 600/2800 only 2000 HU and up is white and -800 HU and down black.
    expect(brain.white).toBeGreaterThan(0.005);
    expect(bone.white).toBeLessThan(brain.white / 4);
    expect(bone.black).toBeLessThanOrEqual(brain.black);
    await screenshot(page, 'preset-bone');

    await page.keyboard.press('2');
    await waitForSlice(page, served.origin, s.first, index, { wc: 80, ww: 200 });
    expect((await canvasDigest(page)).hash).not.toBe(brain.hash);

    // Key 6: the slice's own header window, from the index.
    const header = s.first.slices[index]!;
    await page.keyboard.press('6');
    await waitForSlice(page, served.origin, s.first, index, { wc: header.windowCenter!, ww: header.windowWidth! });

    // Back to brain: the very same pixels as before.
    await page.keyboard.press('1');
    await waitForSlice(page, served.origin, s.first, index, { wc: 40, ww: 80 });
    expect(await canvasDigest(page)).toEqual(brain);

    // Zoom in redraws the image larger (more of the canvas covered by the head); `=` fits it again, pixel for pixel.
    let before = await renderCount(page);
    await page.keyboard.press('z');
    await waitForRender(page, before);
    const zoomed = await canvasDigest(page);
    expect(zoomed.hash).not.toBe(brain.hash);
    expect(zoomed.black).toBeLessThan(brain.black);
    before = await renderCount(page);
    await page.keyboard.press('=');
    await waitForRender(page, before);
    expect(await canvasDigest(page)).toEqual(brain);

    // Right-drag changes the window by hand: the preset is dropped, the pixels change.
    const box = (await page.getByTestId('viewport').boundingBox())!;
    before = await renderCount(page);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down({ button: 'right' });
    await page.mouse.move(box.x + box.width / 2 + 50, box.y + box.height / 2 + 20, { steps: 5 });
    await page.mouse.up({ button: 'right' });
    await waitForRender(page, before);
    const dragged = await viewportState(page);
    expect(dragged.ww).toBe(80 + 2 * 50);
    expect(dragged.wc).toBe(40 + 2 * 20);
    await page.waitForFunction((w) => document.querySelector<HTMLElement>('[data-testid="viewport"] .viewport-canvas')?.dataset.renderedWw === String(w), dragged.ww);
    expect((await canvasDigest(page)).hash).not.toBe(brain.hash);
    expect(await page.locator('.presets button.selected').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('safe / risky / compare switch the strip between the ensembles and their difference', async () => {
    await open();
    const s = studies[0]!;
    const n = s.first.slices.length;
    await selectStudy(page, served.origin, s.row.studyUid, s.first);
    const cells = () => page.getByTestId('strip-cell').evaluateAll((els) => els.map((e) => {
      const d = (e as HTMLElement).dataset;
      return { source: d.source!, label: d.label!, slice: Number(d.slice), value: Number(/ (-?[\d.]+)$/.exec(e.getAttribute('title') ?? '')?.[1]), bg: (e as HTMLElement).style.background };
    }));
    const expectValues = (got: Awaited<ReturnType<typeof cells>>) => {
      for (const c of got) {
        const p = s.predictions.slices[c.slice]!;
        const k = LABELS.indexOf(c.label as (typeof LABELS)[number]);
        const want = c.source === 'diff' ? p.risky![k]! - p.safe![k]! : p[c.source as 'safe' | 'risky']![k]!;
        expect(c.value, `${c.source} ${c.label} slice ${c.slice}`).toBe(Number(want.toFixed(3)));
      }
    };
    const mode = page.getByTestId('ensemble-mode');
    const strip = page.getByTestId('prob-strip');

    const safe = await cells();
    expect(await strip.getAttribute('data-mode')).toBe('safe');
    expect(safe).toHaveLength(6 * n);
    expect(new Set(safe.map((c) => c.source))).toEqual(new Set(['safe']));
    expectValues(safe);

    await mode.selectOption('risky');
    await page.locator('[data-testid="prob-strip"][data-mode="risky"]').waitFor();
    const risky = await cells();
    expect(risky).toHaveLength(6 * n);
    expect(new Set(risky.map((c) => c.source))).toEqual(new Set(['risky']));
    expectValues(risky);
    // Where the two ensembles differ visibly (the heat colours are rounded to whole degrees and percents), so
    // do the colours; where they agree exactly, the colours agree. Exactly means the stored values, not the
    // 3-decimal titles: two values with the same title can still straddle a whole-degree hue boundary.
    risky.forEach((c, i) => {
      const p = s.predictions.slices[c.slice]!;
      const k = LABELS.indexOf(c.label as (typeof LABELS)[number]);
      const d = Math.abs(p.risky![k]! - p.safe![k]!);
      if (d >= 0.02) expect(c.bg, `${c.label} slice ${c.slice}`).not.toBe(safe[i]!.bg);
      if (d === 0) expect(c.bg, `${c.label} slice ${c.slice}`).toBe(safe[i]!.bg);
    });

    await mode.selectOption('compare');
    await page.locator('[data-testid="prob-strip"][data-mode="compare"]').waitFor();
    const compare = await cells();
    expect(compare).toHaveLength(18 * n);
    expect(compare.map((c) => c.source).filter((v, i, a) => a.indexOf(v) === i)).toEqual(['safe', 'risky', 'diff']);
    expectValues(compare);
    await page.locator(`[data-testid="strip-cell"][data-slice="${Math.floor(n / 2)}"][data-label="any"][data-source="safe"]`).click();
    await waitForSlice(page, served.origin, s.first, Math.floor(n / 2));
    const imageId = s.first.slices[Math.floor(n / 2)]!.imageId;
    await showEngineering(page);
    for (const id of ['metadata-panel', 'ensemble-panel']) await page.locator(`[data-testid="${id}"][data-state="current"][data-image-id="${imageId}"]`).waitFor();
    await screenshot(page, 'viewer-compare');

    await mode.selectOption('safe');
    await page.locator('[data-testid="prob-strip"][data-mode="safe"]').waitFor();
    expect(await cells()).toEqual(safe);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('the metadata and ensemble panels show the current slice', async () => {
    await open();
    const s = studies[1]!;
    await selectStudy(page, served.origin, s.row.studyUid, s.first);
    // The member, blend and feature tables are engineering detail, behind their toggle.
    await showEngineering(page);
    const metadata = page.getByTestId('metadata-panel');
    const ensemble = page.getByTestId('ensemble-panel');
    const field = (name: string) => metadata.locator('table.kv').first().locator('tr').filter({ has: page.locator(`th:text-is("${name}")`) }).locator('td');

    for (const index of [3, 4]) {
      if (index === 3) {
        await page.locator(`[data-testid="strip-cell"][data-slice="3"][data-label="any"]`).click();
      } else {
        // From slice 3's detail to slice 4's, the panel must pass through "stale" (old numbers, marked as such).
        await page.evaluate(() => {
          const el = document.querySelector<HTMLElement>('[data-testid="metadata-panel"]')!;
          const seen: string[] = [];
          (window as unknown as { panelStates: string[] }).panelStates = seen;
          new MutationObserver(() => seen.push(`${el.dataset.state}:${el.dataset.imageId}`)).observe(el, { attributes: true, attributeFilter: ['data-state', 'data-image-id'] });
        });
        await page.keyboard.press('ArrowDown');
      }
      await waitForSlice(page, served.origin, s.first, index);
      const slice = s.first.slices[index]!;
      const detail = await served.api<SliceDetail>('getSliceDetail', { imageId: slice.imageId });
      // The panels load after the scroll settles; until then they say they are stale.
      for (const id of ['metadata-panel', 'ensemble-panel']) {
        await page.locator(`[data-testid="${id}"][data-state="current"][data-image-id="${slice.imageId}"]`).waitFor();
      }
      // Every header field of the index, as the engine has it for this slice.
      const shown = await metadata.locator('table.kv').first().locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]));
      expect(shown).toEqual(Object.entries(detail.fields).map(([k, v]) => [k, v == null ? '–' : String(v)]));
      expect(Number(await field('ImagePositionPatient_2').innerText())).toBeCloseTo(truth.slices[slice.sopInstanceUid]!.zMm, 2);
      if (detail.metadataFeatures) {
        expect(await metadata.getByTestId('metadata-features').locator('tbody tr').count())
          .toBe(detail.metadataFeatures.names.length + detail.metadataFeatures.categorical.names.length);
      }

      const members = await ensemble.getByTestId('ensemble-member').evaluateAll((trs) => trs.map((tr) => ({
        name: (tr as HTMLElement).dataset.member, probs: [...tr.querySelectorAll('td')].slice(1, 7).map((td) => td.textContent!.replace(/[↑↓]$/, '')),
      })));
      expect(detail.members.length).toBeGreaterThan(0);
      expect(members).toEqual(detail.members.map((m) => ({ name: m.name, probs: m.probs.map(fmtProb) })));
      const totals = await ensemble.locator('tr.total').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 7).map((td) => td.textContent)));
      expect(totals).toEqual([detail.safe!.map(fmtProb), detail.risky!.map(fmtProb)]);
      // ... and they are the strip's numbers for this slice.
      expect(detail.safe).toEqual(s.predictions.slices[index]!.safe);
      if (index === 4) {
        const seen = await page.evaluate(() => (window as unknown as { panelStates: string[] }).panelStates);
        expect(seen).toEqual([`stale:${s.first.slices[3]!.imageId}`, `current:${slice.imageId}`]);
      }
    }
    await screenshot(page, 'panels');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });
});

describe('adding a folder from the page', () => {
  let served: Served;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-e2e-add-'));
    [served, browser] = await Promise.all([startServe(path.join(dir, 'empty-ws')), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('indexes it with a progress bar fed over the WebSocket, then lists and shows the new study', async () => {
    const set = await synth(path.join(dir, 'data'), { studies: 1, seed: 5, size: 64 });
    const truth = JSON.parse(readFileSync(path.join(set.data, 'truth.json'), 'utf8')) as Truth;
    const page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(served.url);
    await page.getByText('No studies yet').waitFor();
    expect(await page.getByTestId('study-row').count()).toBe(0);

    await page.getByLabel('Folder to add').fill(set.data);
    await page.getByRole('button', { name: 'Add folder' }).click();
    const job = page.locator('[data-testid="job"][data-status="done"]');
    await job.waitFor({ timeout: 30_000 });
    const n = truth.series[0]!.slices.length;
    expect(await job.innerText()).toMatch(/^scan (\d+)\/\1 · done/);
    expect((await served.api<{ counts: { slices: number } }>('info')).counts.slices).toBe(n);
    const row = page.locator(`[data-testid="study-row"][data-study-uid="${truth.series[0]!.studyInstanceUid}"]`);
    await row.waitFor();

    const series = await served.api<SeriesDetail>('getSeries', { seriesUid: truth.series[0]!.seriesInstanceUid });
    await row.click();
    await waitForSlice(page, served.origin, series, 0);
    // No models in this workspace: the strip says so instead of drawing empty rows.
    expect(await page.getByTestId('prob-strip').getAttribute('data-state')).toBe('empty');
    await screenshot(page, 'add-folder');
    await page.close();
  });
});

describe('real DICOM from ../shared/dicom', () => {
  const shared = path.join(REPO_ROOT, '../shared/dicom');
  // A real head CT (28 slices), multi-frame files in JPEG lossless, JPEG-LS, JPEG baseline and RLE, single-frame
  // JPEG-LS in fragments, and a JPEG 2000 file: the codecs run in the loader's decode worker under the host's CSP.
  const folders = ['head-ct-ge', 'transfer-syntaxes/dicomparser/encapsulated', 'transfer-syntaxes/cornerstone/CT1_J2KR'].map((f) => path.join(shared, f));
  let served: Served;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ich-e2e-real-'));
    await ich(['scan', ...folders, '--workspace', path.join(dir, 'ws'), '--no-progress'], { ICH_SCAN_WORKERS: '1' });
    [served, browser] = await Promise.all([startServe(path.join(dir, 'ws')), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws every slice of every series, each frame of a multi-frame file its own', async () => {
    const page = await openViewer(browser.context, served.url);
    const rows = await served.api<StudyRow[]>('listStudies', {});
    let multiFrame = 0;
    for (const row of rows) {
      await page.locator(`[data-testid="study-row"][data-study-uid="${row.studyUid}"]`).click();
      const list = await served.api<SeriesSummary[]>('getSeriesList', { studyUid: row.studyUid });
      // Each study opens at the brain window; bone (key 4) is wide enough that different images give different
      // canvases, and the study's other series keep it.
      await page.locator(`[data-testid="viewport"][data-series-uid="${list[0]!.seriesUid}"]`).waitFor();
      await page.keyboard.press('4');
      for (const [k, summary] of list.entries()) {
        if (k > 0) await page.keyboard.press('PageDown');
        const series = await served.api<SeriesDetail>('getSeries', { seriesUid: summary.seriesUid });
        const seen: { stats: string; hash: number }[] = [];
        for (let i = 0; i < series.slices.length; i++) {
          if (i > 0) await page.keyboard.press('ArrowDown');
          await waitForSlice(page, served.origin, series, i, { wc: 600, ww: 2800 });
          const f = (await served.api<SliceDetail>('getSliceDetail', { imageId: series.slices[i]!.imageId })).fields;
          seen.push({ stats: [f.PxlMin, f.PxlMax, f.PxlMean, f.PxlStd].join(' '), hash: (await canvasDigest(page)).hash });
        }
        if (series.slices.some((s) => s.frame !== null)) multiFrame++;
        // Slices whose pixels differ (the engine's own decode says so) must look different on the canvas.
        for (let i = 0; i < seen.length; i++) {
          for (let j = i + 1; j < seen.length; j++) {
            if (seen[i]!.stats !== seen[j]!.stats) expect(seen[i]!.hash, `${series.seriesUid}: slices ${i} and ${j}`).not.toBe(seen[j]!.hash);
          }
        }
      }
    }
    expect(multiFrame).toBeGreaterThan(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  }, 120_000);
});
