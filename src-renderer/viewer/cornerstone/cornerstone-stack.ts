// The StackRenderer on cornerstone-core + cornerstone-wado-image-loader: the only module that imports them
// (the loader cannot even be imported under jsdom). Images load over `wadouri:` from the host's /dicom URLs.
import cornerstone, { type CsImage, type CsViewport } from 'cornerstone-core';
import cornerstoneWADOImageLoader from 'cornerstone-wado-image-loader';
import dicomParser from 'dicom-parser';
import type { CreateStackRenderer, StackImage, StackRenderer, ViewState } from '../stack-renderer.ts';

/** Enough for a few 512x512 series; past it cornerstone evicts the oldest images. */
const CACHE_BYTES = 768 * 1024 * 1024;
/** Parallel fetches while prefetching a stack: the decode workers are the bottleneck past this. */
const PREFETCH_CONCURRENCY = 6;
/** cornerstone-core's EVENTS.IMAGE_RENDERED. */
const RENDERED_EVENT = 'cornerstoneimagerendered';

let initialized = false;
function initOnce(): void {
  if (initialized) return;
  initialized = true;
  cornerstoneWADOImageLoader.external.cornerstone = cornerstone;
  cornerstoneWADOImageLoader.external.dicomParser = dicomParser;
  cornerstoneWADOImageLoader.webWorkerManager.initialize({
    maxWebWorkers: Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)),
    startWebWorkersOnDemand: true,
    taskConfiguration: { decodeTask: { initializeCodecsOnStartup: false } },
  });
  cornerstone.imageCache.setMaximumSizeBytes(CACHE_BYTES);
}

/**
 * The loader's image id for a slice. A frame of a multi-frame file is `frame=<index from 0>` at the end of the
 * URL: the loader cuts it off to key its cache by file, so all frames come from one fetch and one parse.
 */
export function toImageId(image: StackImage, base = window.location.href): string {
  const href = new URL(image.url, base).href;
  return image.frame === null ? `wadouri:${href}` : `wadouri:${href}${href.includes('?') ? '&' : '?'}frame=${image.frame - 1}`;
}

const oneLine = (err: unknown): string => {
  if (err instanceof Error) return err.message.split('\n')[0]!;
  // The loader rejects with objects like { error: XMLHttpRequest } or a string.
  if (typeof err === 'object' && err !== null && 'error' in err) {
    const inner = (err as { error: unknown }).error;
    if (inner instanceof XMLHttpRequest) return `HTTP ${inner.status} loading the image`;
    return String(inner);
  }
  return String(err);
};

/** What cornerstone's `cornerstoneimagerendered` event carries (the part we read). */
interface RenderedDetail {
  image: CsImage;
  viewport: CsViewport;
}

export const createCornerstoneStack: CreateStackRenderer = (element) => {
  initOnce();
  cornerstone.enable(element);
  let ids: string[] = [];
  let generation = 0;
  let shown: CsImage | null = null;
  let lastView: ViewState | null = null;
  let renders = 0;
  /** show() calls so far: one whose image arrives after a newer call's must not draw over it. */
  let shows = 0;
  /** The show() waiting for its image to reach the canvas; a newer show() settles the older one. */
  let pending: { id: string; done: () => void } | null = null;

  // cornerstone draws on the next animation frame after displayImage/setViewport. Each drawn frame is
  // recorded on the element (which image, which window, a counter), so tests and the benchmark can wait on
  // what is really on the canvas; show() resolves only once its image has been drawn.
  const onRendered = (e: Event) => {
    const { image, viewport } = (e as CustomEvent<RenderedDetail>).detail;
    element.dataset.renderedImage = image.imageId;
    element.dataset.renderedWc = String(viewport.voi.windowCenter);
    element.dataset.renderedWw = String(viewport.voi.windowWidth);
    element.dataset.renderCount = String(++renders);
    if (pending && pending.id === image.imageId) {
      const p = pending;
      pending = null;
      p.done();
    }
  };
  element.addEventListener(RENDERED_EVENT, onRendered);

  /** Fit first, then our zoom and pan on top, so zoom 1 is always "fit" whatever the element size. */
  const apply = (image: CsImage, view: ViewState) => {
    const fit = cornerstone.getDefaultViewportForImage(element, image);
    cornerstone.setViewport(element, {
      scale: fit.scale * view.zoom,
      translation: { x: view.pan.x / (fit.scale * view.zoom), y: view.pan.y / (fit.scale * view.zoom) },
      voi: { windowCenter: view.wc, windowWidth: view.ww },
      invert: view.invert === true,
    });
  };

  const renderer: StackRenderer = {
    setStack(images, onLoaded) {
      const gen = ++generation;
      ids = images.map((i) => toImageId(i));
      shown = null;
      let next = 0;
      let loaded = 0;
      onLoaded(0);
      // Prefetch the whole stack in slice order so scrolling hits the cache ("x of y loaded").
      const worker = async () => {
        while (gen === generation && next < ids.length) {
          const id = ids[next++]!;
          try {
            await cornerstone.loadAndCacheImage(id);
          } catch {
            // shown as an error when that slice is displayed
          }
          if (gen !== generation) return;
          onLoaded(++loaded);
        }
      };
      for (let i = 0; i < PREFETCH_CONCURRENCY; i++) void worker();
    },

    async show(index, view) {
      const id = ids[index];
      if (!id) throw new Error(`no slice ${index + 1}`);
      const call = ++shows;
      let image: CsImage;
      try {
        image = await cornerstone.loadAndCacheImage(id);
      } catch (err) {
        throw new Error(oneLine(err));
      }
      // Another stack, or a newer show() (fast scrolling while the stack loads: a slice still being fetched can
      // arrive after a later one that was already cached), leaves the canvas to the newer call.
      if (ids[index] !== id || call !== shows) return;
      const v = lastView ?? view;
      pending?.done();
      const drawn = new Promise<void>((resolve) => { pending = { id, done: resolve }; });
      cornerstone.displayImage(element, image);
      shown = image;
      apply(image, v);
      await drawn;
    },

    setView(view) {
      lastView = view;
      if (shown) apply(shown, view);
    },

    resize() {
      cornerstone.resize(element, false);
      if (shown && lastView) apply(shown, lastView);
    },

    pixelToElement(x, y) {
      // The canvas is the element's size in CSS pixels (cornerstone sizes it to clientWidth x clientHeight).
      return shown ? cornerstone.pixelToCanvas(element, { x, y }) : null;
    },

    elementToPixel(x, y) {
      return shown ? cornerstone.canvasToPixel(element, { x, y }) : null;
    },

    probe(x, y) {
      if (!shown) return null;
      const p = cornerstone.canvasToPixel(element, { x, y });
      const column = Math.floor(p.x);
      const row = Math.floor(p.y);
      if (shown.color || column < 0 || row < 0 || column >= shown.columns || row >= shown.rows) return null;
      const stored = shown.getPixelData()[row * shown.columns + column];
      if (stored === undefined) return null;
      const hu = shown.preScale?.scaled ? stored : stored * shown.slope + shown.intercept;
      return { column, row, hu };
    },

    pixelSpacing() {
      const row = shown?.rowPixelSpacing;
      const column = shown?.columnPixelSpacing;
      return row && column ? { row, column } : null;
    },

    destroy() {
      generation++;
      element.removeEventListener(RENDERED_EVENT, onRendered);
      pending?.done();
      pending = null;
      cornerstone.disable(element);
    },
  };
  return renderer;
};
