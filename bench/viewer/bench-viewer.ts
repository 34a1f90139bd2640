// bench/viewer: the viewer's speed in Debian Chromium through `ich serve`, on 40-slice synthetic series at
// RSNA size (512 px), printed as JSON:
//  - selectToFirstDrawMs: click on a study row -> the slice its series opens at (its highest `any`) drawn on the
//    canvas (cornerstone's cornerstoneimagerendered for that image), for a series not in the image cache, the
//    decode workers up;
//  - firstSelectionAfterOpenMs: the same for the first study clicked after the page opened (and opened the
//    worklist's top study by itself);
//  - selectCachedMs: the same, back to a series shown before (images cached);
//  - scrollFrameMs: per ArrowDown/ArrowUp key or wheel notch, input event -> the next slice drawn, through
//    a fully loaded 40-slice series down and up; scrollWhileLoadingFrameMs: ArrowDown through the series
//    right after selecting it, while the rest still loads;
//  - inputDeliveryMs: the share of those times before the page could handle the input event (Chromium's routing).
// Times are measured inside the page (event timeStamp to performance.now() in the render event), so the
// harness's own round trips are not counted. Targets (issue 6): selection < 1 s, scroll p95 < 50 ms.
// Usage: npm run bench:viewer [-- --rounds 7 --size 512 --series 3 --dir D]   (--dir keeps the workspace for reruns)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import type { SeriesDetail, SeriesPredictions } from '../../src-ml/api/engine.ts';
import { build } from 'vite';
import { CHROMIUM_PATH, chromiumMissing, launchChromium } from '../../e2e/lib/chromium.ts';
import { startServe } from '../../e2e/lib/serve.ts';
import { E2E_SET, pipelineWorkspace, predict, REPO_ROOT, synth } from '../../e2e/lib/workspace.ts';
import { renderedIdOf } from '../../e2e/lib/viewer-page.ts';
import { writeSeries, type WrittenSeries } from './series40.ts';
import { summarize } from './stats.ts';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '7' },
  size: { type: 'string', default: '512' },
  series: { type: 'string', default: '3' },
  slices: { type: 'string', default: '40' },
  seed: { type: 'string', default: '40' },
  dir: { type: 'string' },
} });
const rounds = Number(values.rounds);
const nSeries = Math.max(2, Number(values.series));
const nSlices = Number(values.slices);
const size = Number(values.size);

const log = (line: string) => process.stderr.write(`bench:viewer: ${line}\n`);

/** In-page probes: the last input event's timeStamp and, when the awaited image is drawn, the elapsed time. */
async function instrument(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { bench: { input: number; delivered: number; want: string | null; took: number[] | null } };
    w.bench = { input: 0, delivered: 0, want: null, took: null };
    // (No named functions in here: tsx would wrap them in a __name helper the page does not have.) `delivered`:
    // how long after the input event's timestamp the page got to handle it.
    window.addEventListener('keydown', (e) => { w.bench.input = e.timeStamp; w.bench.delivered = performance.now() - e.timeStamp; }, true);
    window.addEventListener('wheel', (e) => { w.bench.input = e.timeStamp; w.bench.delivered = performance.now() - e.timeStamp; }, { capture: true, passive: true });
    window.addEventListener('click', (e) => { w.bench.input = e.timeStamp; w.bench.delivered = performance.now() - e.timeStamp; }, true);
    const host = document.querySelector('[data-testid="viewport"] .viewport-canvas')!;
    host.addEventListener('cornerstoneimagerendered', (e) => {
      const id = (e as CustomEvent<{ image: { imageId: string } }>).detail.image.imageId;
      if (w.bench.want !== null && id === w.bench.want && w.bench.took === null) w.bench.took = [performance.now() - w.bench.input, w.bench.delivered];
    });
  });
}

/** Input event -> page handler, per input kind (the browser's share of the frame time). */
const delivered: Record<'click' | 'key' | 'wheel', number[]> = { click: [], key: [], wheel: [] };

/** Arms the probe for an image, runs the input, and returns input -> drawn in ms. */
async function timed(page: Page, imageId: string, kind: keyof typeof delivered, input: () => Promise<void>): Promise<number> {
  await page.evaluate((id) => {
    const b = (window as unknown as { bench: { want: string | null; took: number[] | null } }).bench;
    b.want = id;
    b.took = null;
  }, imageId);
  await input();
  const handle = await page.waitForFunction(() => (window as unknown as { bench: { took: number[] | null } }).bench.took, null, { timeout: 30_000 });
  const [took, got] = (await handle.jsonValue()) as [number, number];
  delivered[kind].push(got);
  return took;
}

const dir = values.dir ? path.resolve(values.dir) : mkdtempSync(path.join(tmpdir(), 'ich-bench-viewer-'));
const started = Date.now();
try {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  // The renderer as it is in the working tree, built as `ich serve` serves it.
  await build({ configFile: path.join(REPO_ROOT, 'vite.renderer.config.ts'), logLevel: 'warn' });
  const workspace = path.join(dir, 'ws');
  const written = path.join(dir, 'series.json');
  if (!existsSync(written)) {
    // Real predictions, so the probability strip is drawn on every step as a user sees it: the e2e set through
    // the pipeline trains the models, then `ich predict` scores the benchmark series.
    log('training the tiny pipeline on the e2e set (about a minute)');
    await pipelineWorkspace(await synth(path.join(dir, 'train'), E2E_SET), workspace, E2E_SET);
    log(`writing ${nSeries} series of ${nSlices} slices at ${size} px and predicting them`);
    const list = writeSeries(path.join(dir, 'data'), { series: nSeries, slices: nSlices, size, seed: Number(values.seed) });
    await predict([path.join(dir, 'data')], workspace, { copies: 2, passes: 1 });
    writeFileSync(written, JSON.stringify(list));
  }
  const list = JSON.parse(readFileSync(written, 'utf8')) as WrittenSeries[];
  const [served, browser] = await Promise.all([startServe(workspace), launchChromium()]);
  try {
    const series = await Promise.all(list.map(async (w) => {
      const detail = await served.api<SeriesDetail>('getSeries', { seriesUid: w.seriesUid });
      const predictions = await served.api<SeriesPredictions>('getPredictions', { seriesUid: w.seriesUid });
      if (detail.slices.length !== nSlices) throw new Error(`series ${w.seriesUid} has ${detail.slices.length} slices, not ${nSlices}`);
      if (!predictions.slices.every((p) => p.safe && p.risky)) throw new Error(`series ${w.seriesUid} lacks predictions`);
      // The slice a study opens at: its highest `any` in the mode shown (compare: the higher of safe and risky).
      const any = predictions.slices.map((p) => Math.max(p.safe![5]!, p.risky![5]!));
      return { study: w.studyUid, detail, openIndex: any.indexOf(Math.max(...any)) };
    }));

    const page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    const open = async () => {
      await page.goto(served.url);
      await page.getByTestId('study-row').first().waitFor();
      // The heaviest strip: safe, risky and their difference, 18 rows x 40 slices.
      await page.getByTestId('ensemble-mode').selectOption('compare');
      await instrument(page);
    };
    // A click draws the slice the study opens at (its highest `any`).
    const select = (k: number) => timed(page, renderedIdOf(served.origin, series[k]!.detail, series[k]!.openIndex), 'click',
      () => page.locator(`[data-testid="study-row"][data-study-uid="${series[k]!.study}"]`).click());
    /** Home: back to the first slice, so the scrolls below run through the whole series. */
    const home = (k: number) => timed(page, renderedIdOf(served.origin, series[k]!.detail, 0), 'key', () => page.keyboard.press('Home'));
    /** The page opens the worklist's top study by itself: the series on screen once it has. */
    const opened = async () => {
      await page.locator('[data-testid="viewport"][data-status="ready"]').waitFor();
      return page.getByTestId('viewport').getAttribute('data-series-uid');
    };
    const fullyLoaded = () => page.waitForFunction(() => !document.querySelector('.overlay-loading') && document.querySelector('[data-testid="viewport"]')?.getAttribute('data-status') === 'ready');

    const afterOpen: number[] = [];
    const uncached: number[] = [];
    const cached: number[] = [];
    const whileLoading: number[] = [];
    for (let r = 0; r < rounds; r++) {
      await open();
      // The first study clicked is never the one the page opened by itself (a click on it changes nothing).
      const shown = await opened();
      const others = series.map((_, k) => k).filter((k) => series[k]!.detail.seriesUid !== shown);
      const a = others[r % others.length]!;
      const b = (a + 1) % series.length;
      afterOpen.push(await select(a));
      await fullyLoaded();
      uncached.push(await select(b));
      // Straight on while b's slices still load, from its first slice.
      if (r === 0) {
        await home(b);
        delivered.key.pop();
        for (let i = 1; i < nSlices; i++) whileLoading.push(await timed(page, renderedIdOf(served.origin, series[b]!.detail, i), 'key', () => page.keyboard.press('ArrowDown')));
      }
      await fullyLoaded();
      cached.push(await select(a));
      log(`round ${r + 1}/${rounds}: after open ${afterOpen.at(-1)!.toFixed(0)} ms, uncached ${uncached.at(-1)!.toFixed(0)} ms, cached ${cached.at(-1)!.toFixed(0)} ms`);
    }

    // Scrolling a fully loaded series: keys down and up, then wheel notches down and up.
    await fullyLoaded();
    const d = series[0]!.detail;
    if ((await page.getByTestId('viewport').getAttribute('data-series-uid')) !== d.seriesUid) await select(0);
    await fullyLoaded();
    await home(0);
    delivered.key.pop();
    const keys: number[] = [];
    const wheel: number[] = [];
    for (let i = 1; i < nSlices; i++) keys.push(await timed(page, renderedIdOf(served.origin, d, i), 'key', () => page.keyboard.press('ArrowDown')));
    for (let i = nSlices - 2; i >= 0; i--) keys.push(await timed(page, renderedIdOf(served.origin, d, i), 'key', () => page.keyboard.press('ArrowUp')));
    const box = (await page.getByTestId('viewport').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 1; i < nSlices; i++) wheel.push(await timed(page, renderedIdOf(served.origin, d, i), 'wheel', () => page.mouse.wheel(0, 100)));
    for (let i = nSlices - 2; i >= 0; i--) wheel.push(await timed(page, renderedIdOf(served.origin, d, i), 'wheel', () => page.mouse.wheel(0, -100)));

    const result = {
      setup: { series: series.length, slicesPerSeries: nSlices, size, rounds, viewport: page.viewportSize(), stripMode: 'compare' },
      selectToFirstDrawMs: summarize(uncached),
      firstSelectionAfterOpenMs: summarize(afterOpen),
      selectCachedMs: summarize(cached),
      scrollFrameMs: { ...summarize([...keys, ...wheel]), keys: summarize(keys), wheel: summarize(wheel) },
      scrollWhileLoadingFrameMs: summarize(whileLoading),
      // The part of the times above spent before the page could handle the input (Chromium's input routing).
      inputDeliveryMs: { click: summarize(delivered.click), key: summarize(delivered.key), wheel: summarize(delivered.wheel) },
      targets: { selectToFirstDrawMs: 1000, scrollFrameP95Ms: 50 },
      meetsTargets: summarize(uncached).median < 1000 && summarize([...keys, ...wheel]).p95 < 50,
      environment: {
        chromium: execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
        cpus: cpus().length,
        loadavg1m: Math.round(loadavg()[0]! * 100) / 100,
        date: new Date().toISOString(),
      },
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    await browser.close();
    await served.stop();
  }
} finally {
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
}
