// The displayed series: slice navigation (flagged slices too), window (reset to brain per study unless locked),
// cine, zoom, pan and invert, and what the renderer reports back.
import type { SliceContext, ViewerSlice } from './types.ts';
import { presetWindow } from './windows.ts';
import { flaggedFrom, openSliceIndex } from './flags.ts';

const ZOOM_STEP = 1.25;
const ZOOM_MIN = 0.25;
const ZOOM_MAX = 16;

export function createViewerSlice({ set, get, client, guard }: SliceContext): ViewerSlice {
  let seriesRequest = 0;
  const count = () => get().series?.slices.length ?? 0;
  const clampIndex = (i: number) => Math.max(0, Math.min(count() - 1, Math.round(i)));
  const go = (i: number) => {
    if (count() === 0) return;
    const next = clampIndex(i);
    if (next !== get().sliceIndex) set({ sliceIndex: next });
  };
  const stepSeries = async (delta: number) => {
    const { seriesList, series } = get();
    const at = seriesList.findIndex((s) => s.seriesUid === series?.seriesUid);
    const target = seriesList[at + delta];
    if (at >= 0 && target) await get().selectSeries(target.seriesUid);
  };

  return {
    series: null,
    sliceIndex: 0,
    wc: 40,
    ww: 80,
    preset: 1,
    loaded: 0,
    drawn: null,
    cine: false,
    zoom: 1,
    pan: { x: 0, y: 0 },
    invert: false,
    windowLocked: false,
    measuring: false,
    measurements: {},

    async selectSeries(seriesUid, opts) {
      const n = ++seriesRequest;
      const [detail, predictions] = await Promise.all([
        guard(client.getSeries(seriesUid)),
        // A workspace without predictions still shows images.
        client.getPredictions(seriesUid).catch(() => null),
      ]);
      if (!detail || n !== seriesRequest) return;
      // A new study starts at brain unless the reader locked the window; within a study the window stays (the
      // radiologist chose it), re-resolving `header` per series.
      const reset = opts?.newStudy === true && !get().windowLocked;
      const preset = reset ? 1 : get().preset;
      const w = preset ? presetWindow(preset, detail.slices[0]) : null;
      const voi = w ? { preset, wc: w.center, ww: w.width } : { wc: get().wc, ww: get().ww };
      // Open where the bleed is most likely: the highest `any` of the ensemble shown (slice 0 without predictions).
      const sliceIndex = Math.min(openSliceIndex(predictions, get().ensembleMode), Math.max(0, detail.slices.length - 1));
      set({ series: detail, predictions, sliceIndex, loaded: 0, drawn: null, cine: false, zoom: 1, pan: { x: 0, y: 0 }, sliceDetail: null, ...voi });
    },

    nextSlice: () => go(get().sliceIndex + 1),
    prevSlice: () => go(get().sliceIndex - 1),
    firstSlice: () => go(0),
    lastSlice: () => go(count() - 1),
    jumpToSlice: (index) => go(index),
    cineStep: () => {
      const n = count();
      if (n > 0) set({ sliceIndex: (get().sliceIndex + 1) % n });
    },
    nextFlagged() {
      const s = get();
      const i = flaggedFrom(s.predictions, s.ensembleMode, s.sliceIndex, 1);
      if (i !== null) go(i);
    },
    prevFlagged() {
      const s = get();
      const i = flaggedFrom(s.predictions, s.ensembleMode, s.sliceIndex, -1);
      if (i !== null) go(i);
    },
    nextSeries: () => stepSeries(1),
    prevSeries: () => stepSeries(-1),

    setPreset(n) {
      const s = get();
      const w = presetWindow(n, s.series?.slices[s.sliceIndex]);
      set({ preset: n, wc: w.center, ww: w.width });
    },
    setWindow(wc, ww) {
      // PS3.3 C.11.2.1.2: width at least 1.
      set({ preset: null, wc: Math.round(wc), ww: Math.max(1, Math.round(ww)) });
    },

    toggleCine: () => set({ cine: !get().cine && count() > 1 }),
    zoomIn: () => set({ zoom: Math.min(ZOOM_MAX, get().zoom * ZOOM_STEP) }),
    zoomOut: () => set({ zoom: Math.max(ZOOM_MIN, get().zoom / ZOOM_STEP) }),
    fit: () => set({ zoom: 1, pan: { x: 0, y: 0 } }),
    toggleInvert: () => set({ invert: !get().invert }),
    toggleWindowLock: () => set({ windowLocked: !get().windowLocked }),
    toggleMeasure: () => set({ measuring: !get().measuring }),
    addMeasurement(imageId, m) {
      set({ measurements: { ...get().measurements, [imageId]: [...(get().measurements[imageId] ?? []), m] } });
    },
    clearMeasurements() {
      const s = get();
      const imageId = s.series?.slices[s.sliceIndex]?.imageId;
      if (!imageId || !s.measurements[imageId]) return;
      const { [imageId]: _gone, ...rest } = s.measurements;
      set({ measurements: rest });
    },
    resetView() {
      // Fit, no pan, not inverted, the brain window: the view a study opens with.
      const s = get();
      const w = presetWindow(1, s.series?.slices[s.sliceIndex]);
      set({ zoom: 1, pan: { x: 0, y: 0 }, invert: false, preset: 1, wc: w.center, ww: w.width });
    },
    panBy: (dx, dy) => set({ pan: { x: get().pan.x + dx, y: get().pan.y + dy } }),

    setLoaded(seriesUid, loaded) {
      if (get().series?.seriesUid === seriesUid) set({ loaded });
    },
    setDrawn(seriesUid, index) {
      set({ drawn: { seriesUid, index } });
    },
  };
}
