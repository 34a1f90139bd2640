import { describe, expect, it, vi } from 'vitest';
import { createAppStore } from './store.ts';
import { fakeClient, versionOf } from '../test/fixtures.ts';
import { KEY_BINDINGS, KEYMAP, runKey } from './keymap.ts';
import type { AppState } from './types.ts';
import { SCAN_REFRESH_MS } from './training-slice.ts';

/** Runs a key whose intent is async (a study or series change) and waits for it. */
async function runKeyAsync(state: AppState, key: string) {
  await KEYMAP[key]!(state);
}

async function storeWithStudy() {
  const client = fakeClient();
  const store = createAppStore(client);
  await store.getState().loadStudies();
  await store.getState().selectStudy('1.2.9');
  return { client, store, s: () => store.getState() };
}

describe('store intents', () => {
  it('the worklist opens its top study by itself, at the first series\' highest-`any` slice', async () => {
    const client = fakeClient();
    const store = createAppStore(client);
    await store.getState().loadStudies();
    const s = store.getState();
    expect(s.selectedStudyUid).toBe('1.2.9');
    expect(s.seriesList.map((x) => x.seriesUid)).toEqual(['1.2.9.1', '1.2.9.2']);
    expect(s.series?.seriesUid).toBe('1.2.9.1');
    // The fixture's any: 0.1 0.1 0.85 0.1 (safe).
    expect(s.sliceIndex).toBe(2);
    expect(s.predictions?.slices).toHaveLength(4);
    // A later worklist load (a filter, a finished job) leaves the study open.
    await store.getState().selectStudy('1.2.1');
    await store.getState().loadStudies();
    expect(store.getState().selectedStudyUid).toBe('1.2.1');
  });

  it('a click on the study already open changes nothing; another study opens at its highest `any`', async () => {
    const { s, client } = await storeWithStudy();
    s().jumpToSlice(0);
    const calls = client.calls.length;
    await s().selectStudy('1.2.9');
    expect(client.calls.length).toBe(calls);
    expect(s().sliceIndex).toBe(0);
    await s().selectStudy('1.2.1');
    expect(s().series?.seriesUid).toBe('1.2.1.1');
    expect(s().sliceIndex).toBe(2);
  });

  it('a series without predictions opens at slice 0', async () => {
    const client = fakeClient();
    client.getPredictions = () => Promise.reject(new Error('no predictions'));
    const store = createAppStore(client);
    await store.getState().loadStudies();
    expect(store.getState().series?.seriesUid).toBe('1.2.9.1');
    expect(store.getState().sliceIndex).toBe(0);
  });

  it('n / Shift+N go to the next / previous slice whose `any` is at or above its threshold, in the mode shown', async () => {
    const { s, store } = await storeWithStudy();
    const p = s().predictions!;
    // any (safe / risky): 0.1/0.2, 0.6/0.4, 0.1/0.7, 0.9/0.95
    const any = [[0.1, 0.2], [0.6, 0.4], [0.1, 0.7], [0.9, 0.95]];
    store.setState({ predictions: { ...p, slices: p.slices.map((x, i) => ({ ...x, safe: [...x.safe!.slice(0, 5), any[i]![0]!], risky: [...x.risky!.slice(0, 5), any[i]![1]!] })) } });
    s().firstSlice();
    expect(runKey(s(), 'n')).toBe(true);
    expect(s().sliceIndex).toBe(1);
    runKey(s(), 'n');
    expect(s().sliceIndex).toBe(3);
    runKey(s(), 'n'); // none after: stays
    expect(s().sliceIndex).toBe(3);
    runKey(s(), 'N');
    expect(s().sliceIndex).toBe(1);
    runKey(s(), 'N');
    expect(s().sliceIndex).toBe(1);
    s().toggleEnsembleMode('risky');
    s().firstSlice();
    runKey(s(), 'n');
    expect(s().sliceIndex).toBe(2);
    s().toggleEnsembleMode('compare');
    runKey(s(), 'N');
    expect(s().sliceIndex).toBe(1);
  });

  it('] / [ open the next / previous study of the worklist', async () => {
    const { s } = await storeWithStudy();
    await runKeyAsync(s(), ']');
    expect(s().selectedStudyUid).toBe('1.2.1');
    expect(s().series?.seriesUid).toBe('1.2.1.1');
    await runKeyAsync(s(), ']'); // the last one: stays
    expect(s().selectedStudyUid).toBe('1.2.1');
    await runKeyAsync(s(), '[');
    expect(s().selectedStudyUid).toBe('1.2.9');
  });

  it('each new study starts at the brain window unless the reader locked it; series of one study keep it', async () => {
    const { s } = await storeWithStudy();
    s().setPreset(4);
    await s().nextSeries();
    expect([s().ww, s().wc, s().preset]).toEqual([2800, 600, 4]);
    await s().selectStudy('1.2.1');
    expect([s().ww, s().wc, s().preset]).toEqual([80, 40, 1]);
    s().setPreset(2);
    runKey(s(), 'l');
    expect(s().windowLocked).toBe(true);
    await s().selectStudy('1.2.9');
    expect([s().ww, s().wc, s().preset]).toEqual([200, 80, 2]);
    s().setWindow(55, 120);
    await s().selectStudy('1.2.1');
    expect([s().ww, s().wc, s().preset]).toEqual([120, 55, null]);
  });

  it('i inverts, f fits, r resets zoom, pan, invert and window', async () => {
    const { s } = await storeWithStudy();
    runKey(s(), 'i');
    expect(s().invert).toBe(true);
    s().zoomIn();
    s().panBy(5, 5);
    runKey(s(), 'f');
    expect([s().zoom, s().pan, s().invert]).toEqual([1, { x: 0, y: 0 }, true]);
    s().zoomIn();
    s().setPreset(4);
    runKey(s(), 'r');
    expect([s().zoom, s().pan, s().invert, s().preset, s().ww, s().wc]).toEqual([1, { x: 0, y: 0 }, false, 1, 80, 40]);
    runKey(s(), ' ');
    expect(s().cine).toBe(true);
  });

  it('the distance tool keeps lines per slice; Delete removes the current slice\'s', async () => {
    const { s } = await storeWithStudy();
    runKey(s(), 'm');
    expect(s().measuring).toBe(true);
    const id = s().series!.slices[s().sliceIndex]!.imageId;
    s().addMeasurement(id, { x0: 0, y0: 0, x1: 3, y1: 4, mm: 5 });
    s().addMeasurement(id, { x0: 1, y0: 1, x1: 2, y1: 2, mm: null });
    expect(s().measurements[id]).toHaveLength(2);
    s().nextSlice();
    runKey(s(), 'Delete');
    expect(s().measurements[id]).toHaveLength(2);
    s().prevSlice();
    runKey(s(), 'Delete');
    expect(s().measurements[id]).toBeUndefined();
  });

  it('slice navigation stays within the series', async () => {
    const { s } = await storeWithStudy();
    s().firstSlice();
    s().prevSlice();
    expect(s().sliceIndex).toBe(0);
    s().nextSlice();
    s().nextSlice();
    expect(s().sliceIndex).toBe(2);
    s().lastSlice();
    expect(s().sliceIndex).toBe(3);
    s().nextSlice();
    expect(s().sliceIndex).toBe(3);
    s().firstSlice();
    expect(s().sliceIndex).toBe(0);
    s().jumpToSlice(99);
    expect(s().sliceIndex).toBe(3);
    s().jumpToSlice(-5);
    expect(s().sliceIndex).toBe(0);
    s().lastSlice();
    s().cineStep();
    expect(s().sliceIndex).toBe(0); // cine wraps
  });

  it('series switching moves within the study and stops at its ends', async () => {
    const { s } = await storeWithStudy();
    s().jumpToSlice(2);
    await s().nextSeries();
    expect(s().series?.seriesUid).toBe('1.2.9.2');
    expect(s().sliceIndex).toBe(2); // its highest `any`
    await s().nextSeries();
    expect(s().series?.seriesUid).toBe('1.2.9.2');
    await s().prevSeries();
    expect(s().series?.seriesUid).toBe('1.2.9.1');
    await s().prevSeries();
    expect(s().series?.seriesUid).toBe('1.2.9.1');
  });

  it('presets 1-6 give brain, subdural, stroke, bone, soft tissue and the header window', async () => {
    const { s } = await storeWithStudy();
    const got = ([1, 2, 3, 4, 5, 6] as const).map((n) => {
      s().setPreset(n);
      return [s().ww, s().wc, s().preset];
    });
    // W/L notation: width / level. The fixture's header window is 90/35.
    expect(got).toEqual([[80, 40, 1], [200, 80, 2], [40, 40, 3], [2800, 600, 4], [400, 40, 5], [90, 35, 6]]);
  });

  it('number keys run the presets; arrows, Home/End and PgUp/PgDn navigate', async () => {
    const { s } = await storeWithStudy();
    s().firstSlice();
    expect(runKey(s(), '4')).toBe(true);
    expect([s().ww, s().wc]).toEqual([2800, 600]);
    runKey(s(), 'ArrowDown');
    runKey(s(), 'ArrowDown');
    runKey(s(), 'ArrowUp');
    expect(s().sliceIndex).toBe(1);
    runKey(s(), 'End');
    expect(s().sliceIndex).toBe(3);
    runKey(s(), 'Home');
    expect(s().sliceIndex).toBe(0);
    expect(runKey(s(), 'q')).toBe(false);
  });

  it('a manual window clears the preset and keeps width >= 1', async () => {
    const { s } = await storeWithStudy();
    s().setWindow(50.4, -20);
    expect([s().wc, s().ww, s().preset]).toEqual([50, 1, null]);
  });

  it('ensemble mode takes safe, risky and compare only', () => {
    const store = createAppStore(fakeClient());
    const s = () => store.getState();
    expect(s().ensembleMode).toBe('safe');
    s().toggleEnsembleMode('risky');
    expect(s().ensembleMode).toBe('risky');
    s().toggleEnsembleMode('compare');
    expect(s().ensembleMode).toBe('compare');
    s().toggleEnsembleMode('bogus' as never);
    expect(s().ensembleMode).toBe('compare');
  });

  it('zoom, pan and fit', async () => {
    const { s } = await storeWithStudy();
    s().zoomIn();
    s().panBy(10, -4);
    expect(s().zoom).toBeGreaterThan(1);
    expect(s().pan).toEqual({ x: 10, y: -4 });
    s().fit();
    expect([s().zoom, s().pan]).toEqual([1, { x: 0, y: 0 }]);
  });

  it('an engine failure becomes the one-line error', async () => {
    const { s } = await storeWithStudy();
    await s().selectSeries('9.9.9');
    expect(s().error).toBe('getSeries: no series 9.9.9');
    expect(s().series?.seriesUid).toBe('1.2.9.1');
  });

  it('a finished scan job reloads the worklist', async () => {
    const { s, client } = await storeWithStudy();
    const base = { type: 'job', jobId: 'j1', kind: 'scan', stage: 'scan', total: 10 } as const;
    s().onJobEvent({ ...base, done: 3, status: 'running' });
    expect(s().jobs).toHaveLength(1);
    const before = client.calls.filter((c) => c.method === 'listStudies').length;
    s().onJobEvent({ ...base, done: 10, status: 'done' });
    expect(s().jobs).toEqual([{ ...base, done: 10, status: 'done' }]);
    expect(client.calls.filter((c) => c.method === 'listStudies').length).toBe(before + 1);
  });

  it('a running scan job reloads the worklist while it indexes, at most every SCAN_REFRESH_MS', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(1_000_000);
      const { s, client } = await storeWithStudy();
      const count = () => client.calls.filter((c) => c.method === 'listStudies').length;
      const base = { type: 'job', jobId: 'j9', kind: 'scan', stage: 'scan', total: 100 } as const;
      const start = count();
      s().onJobEvent({ ...base, done: 0, status: 'running' });
      expect(count()).toBe(start);
      s().onJobEvent({ ...base, done: 10, status: 'running' });
      expect(count()).toBe(start + 1);
      s().onJobEvent({ ...base, done: 20, status: 'running' });
      expect(count()).toBe(start + 1);
      vi.setSystemTime(1_000_000 + SCAN_REFRESH_MS);
      s().onJobEvent({ ...base, done: 30, status: 'running' });
      expect(count()).toBe(start + 2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a finished predict job reloads the worklist and the open series\' predictions', async () => {
    const { s, client } = await storeWithStudy();
    const base = { type: 'job', jobId: 'predict-3', kind: 'predict', stage: 'predict', total: 10 } as const;
    s().onJobEvent({ ...base, done: 0, status: 'running' });
    const count = (m: string) => client.calls.filter((c) => c.method === m).length;
    const [studies, preds] = [count('listStudies'), count('getPredictions')];
    s().onJobEvent({ ...base, done: 10, status: 'done', predicted: 10 });
    expect(count('listStudies')).toBe(studies + 1);
    await vi.waitFor(() => expect(count('getPredictions')).toBe(preds + 1));
    expect(client.calls.filter((c) => c.method === 'getPredictions').at(-1)!.arg).toBe('1.2.9.1');
    // a replayed finished job (a reconnect) does not
    s().onJobEvent({ ...base, jobId: 'predict-0', done: 10, status: 'done' });
    expect(count('listStudies')).toBe(studies + 1);
  });
});

describe('the key map', () => {
  it('is data: every key once, each binding labelled and grouped', () => {
    const keys = KEY_BINDINGS.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
    for (const b of KEY_BINDINGS) expect(b.label.length).toBeGreaterThan(3);
    for (const k of ['ArrowDown', 'ArrowUp', 'n', 'N', ' ', 'i', 'r', 'f', '?', 'h', ']', '[', '1', '6', 'm']) expect(keys).toContain(k);
  });
});

describe('model versions in the store', () => {
  async function withVersions() {
    const r = await storeWithStudy();
    r.client.versions.push(versionOf('v2', 'candidate', { safe: 0.12 }), versionOf('v1', 'active', { safe: 0.1 }));
    await Promise.all([r.s().loadVersions(), r.s().loadActiveVersion()]);
    return r;
  }
  const count = (client: ReturnType<typeof fakeClient>, m: string) => client.calls.filter((c) => c.method === m).length;

  it('the active version comes from info() and the list', async () => {
    const { s } = await withVersions();
    expect(s().activeVersion).toBe('v1');
    expect(s().versions.map((v) => [v.version, v.status])).toEqual([['v2', 'candidate'], ['v1', 'active']]);
  });

  it('promote: worse than the active version waits for confirmPromote; then the worklist, open series and list refresh', async () => {
    const { s, client } = await withVersions();
    await s().askPromote('v2', 'list');
    expect(s().promoteAsk).toEqual({ version: 'v2', from: 'list', reasons: ["v2's ensemble-safe (0.1200) is worse than active v1's (0.1000)", "v2's ensemble-risky (0.1200) is worse than active v1's (0.1000)"] });
    expect(count(client, 'promoteVersion')).toBe(0);
    s().cancelPromote();
    expect(s().promoteAsk).toBeNull();
    await s().askPromote('v2', 'compare');
    const [studies, preds] = [count(client, 'listStudies'), count(client, 'getPredictions')];
    await s().confirmPromote();
    expect(client.calls.filter((c) => c.method === 'promoteVersion').map((c) => c.arg)).toEqual(['v2']);
    expect(s().activeVersion).toBe('v2');
    expect(s().predictions?.model?.modelVersion).toBe('v2');
    expect(s().versions.map((v) => v.status)).toEqual(['active', 'archived']);
    expect([count(client, 'listStudies'), count(client, 'getPredictions')]).toEqual([studies + 1, preds + 1]);
    // the engine's event for that same promote: only the list again
    s().onVersionsEvent({ type: 'versions', active: 'v2' });
    expect([count(client, 'listStudies'), count(client, 'getPredictions')]).toEqual([studies + 1, preds + 1]);
  });

  it('rollback to a better archived version goes at once; the active version is never "promoted" again', async () => {
    const { s, client } = await withVersions();
    client.versions.splice(0, 2, versionOf('v2', 'active', { safe: 0.12 }), versionOf('v1', 'archived', { safe: 0.1 }));
    await s().loadVersions();
    await s().askPromote('v2', 'list');
    expect(count(client, 'promoteVersion')).toBe(0);
    await s().askPromote('v1', 'list');
    expect(s().promoteAsk).toBeNull();
    expect(s().activeVersion).toBe('v1');
    expect(client.calls.filter((c) => c.method === 'promoteVersion').map((c) => c.arg)).toEqual(['v1']);
  });

  it('a versions event from elsewhere switches the active version and refreshes what shows predictions', async () => {
    const { s, client } = await withVersions();
    const [studies, preds, lists] = [count(client, 'listStudies'), count(client, 'getPredictions'), count(client, 'listVersions')];
    client.versions[0]!.status = 'active';
    client.versions[1]!.status = 'archived';
    s().onVersionsEvent({ type: 'versions', active: 'v2' });
    expect(s().activeVersion).toBe('v2');
    await vi.waitFor(() => expect([count(client, 'listStudies'), count(client, 'getPredictions'), count(client, 'listVersions')]).toEqual([studies + 1, preds + 1, lists + 1]));
    expect(s().activeVersion).toBe('v2');
    await vi.waitFor(() => expect(s().predictions?.model?.modelVersion).toBe('v2'));
  });
});
