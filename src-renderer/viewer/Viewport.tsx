// The image area: a StackRenderer on a div, driven by the store (slice, window, zoom, pan, invert) and driving it
// back (wheel, drags, the distance tool's drags). The pointer's pixel goes to the overlay's HU probe. A press on
// the image takes the keyboard (the viewport is focusable), so no control keeps it. Carries the viewport test hooks.
import { useCallback, useContext, useEffect, useLayoutEffect, useRef, useState, type MouseEvent as ReactMouseEvent, type WheelEvent } from 'react';
import { useApp, useAppStore } from '../state/context.tsx';
import { StackRendererContext, type PixelProbe, type StackRenderer } from './stack-renderer.ts';
import { Overlay } from './Overlay.tsx';
import { SaliencyOverlay } from './SaliencyOverlay.tsx';
import { Measurements, type Draft } from './Measurements.tsx';
import { distanceMm } from './geometry.ts';

const CINE_FPS = 10;
/** HU of window per pixel of right-drag. */
const WL_PER_PX = 2;

export function Viewport() {
  const store = useAppStore();
  const createRenderer = useContext(StackRendererContext);
  const element = useRef<HTMLDivElement>(null);
  const renderer = useRef<StackRenderer | null>(null);
  const getRenderer = useCallback(() => renderer.current, []);
  const series = useApp((s) => s.series);
  const sliceIndex = useApp((s) => s.sliceIndex);
  const wc = useApp((s) => s.wc);
  const ww = useApp((s) => s.ww);
  const zoom = useApp((s) => s.zoom);
  const pan = useApp((s) => s.pan);
  const cine = useApp((s) => s.cine);
  const drawn = useApp((s) => s.drawn);
  const invert = useApp((s) => s.invert);
  const measuring = useApp((s) => s.measuring);
  const [probe, setProbe] = useState<PixelProbe | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  /** The pointer over the viewport (CSS pixels from its top-left), to probe again when the image under it changes. */
  const pointer = useRef<{ x: number; y: number } | null>(null);

  // Layout effects for the renderer, in this order (create, stack, show, view): they run right after the commit
  // whatever the input's priority, whereas React may defer passive effects of a continuous event (a wheel step)
  // until after the next paint. In Chromium the slice is then drawn 2-3 ms after the commit of a wheel step.
  useLayoutEffect(() => {
    if (!createRenderer || !element.current) return;
    const r = createRenderer(element.current);
    renderer.current = r;
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => r.resize());
    observer?.observe(element.current);
    return () => {
      observer?.disconnect();
      r.destroy();
      renderer.current = null;
    };
  }, [createRenderer]);

  useLayoutEffect(() => {
    if (!series || !renderer.current) return;
    const uid = series.seriesUid;
    renderer.current.setStack(series.slices.map((s) => ({ url: s.dicomUrl, frame: s.frame })), (n) => store.getState().setLoaded(uid, n));
  }, [series, store]);

  useLayoutEffect(() => {
    const r = renderer.current;
    if (!series || !r || series.slices.length === 0) return;
    let current = true;
    const { wc: c, ww: w, zoom: z, pan: p, invert: inv } = store.getState();
    r.show(sliceIndex, { wc: c, ww: w, zoom: z, pan: p, invert: inv }).then(
      () => { if (current) store.getState().setDrawn(series.seriesUid, sliceIndex); },
      (err: unknown) => { if (current) store.getState().setError(`slice ${sliceIndex + 1}: ${err instanceof Error ? err.message : String(err)}`); },
    );
    return () => { current = false; };
  }, [series, sliceIndex, store]);

  useLayoutEffect(() => {
    renderer.current?.setView({ wc, ww, zoom, pan, invert });
  }, [wc, ww, zoom, pan, invert]);

  const probeAt = useCallback((at: { x: number; y: number } | null) => {
    const next = at ? renderer.current?.probe?.(at.x, at.y) ?? null : null;
    setProbe((prev) => (prev?.column === next?.column && prev?.row === next?.row && prev?.hu === next?.hu ? prev : next));
  }, []);
  // A new slice (wheel, keys, cine), zoom or pan under a resting pointer: the value under it changed.
  useEffect(() => {
    if (pointer.current) probeAt(pointer.current);
  }, [drawn, zoom, pan, probeAt]);

  useEffect(() => {
    if (!cine) return;
    const t = setInterval(() => store.getState().cineStep(), 1000 / CINE_FPS);
    return () => clearInterval(t);
  }, [cine, store]);

  const onWheel = (e: WheelEvent) => {
    if (e.deltaY > 0) store.getState().nextSlice();
    else if (e.deltaY < 0) store.getState().prevSlice();
  };

  const local = (e: { clientX: number; clientY: number }, el: HTMLElement) => {
    const box = el.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };

  const onMouseMove = (e: ReactMouseEvent<HTMLDivElement>) => {
    pointer.current = local(e, e.currentTarget);
    probeAt(pointer.current);
  };
  const onMouseLeave = () => {
    pointer.current = null;
    setProbe(null);
  };

  // Left drag pans (or, with the distance tool, measures), right drag changes the window (horizontal: width,
  // vertical: level), as in OHIF and Weasis.
  const onMouseDown = (e: ReactMouseEvent<HTMLDivElement>) => {
    // The keyboard comes to the image (a select or button used before keeps it otherwise: the default action
    // that would move the focus is prevented below, so that a drag selects no text).
    e.currentTarget.focus({ preventScroll: true });
    if (e.button !== 0 && e.button !== 2) return;
    e.preventDefault();
    const button = e.button;
    const host = e.currentTarget;
    const r = renderer.current;
    const imageId = series?.slices[store.getState().sliceIndex]?.imageId;
    if (button === 0 && store.getState().measuring && r?.elementToPixel && imageId) {
      const a = local(e, host);
      const start = r.elementToPixel(a.x, a.y);
      if (!start) return;
      let line: Draft = { x0: start.x, y0: start.y, x1: start.x, y1: start.y };
      setDraft(line);
      const moveLine = (m: MouseEvent) => {
        const b = local(m, host);
        const end = r.elementToPixel?.(b.x, b.y);
        if (!end) return;
        line = { ...line, x1: end.x, y1: end.y };
        setDraft(line);
      };
      const upLine = () => {
        window.removeEventListener('mousemove', moveLine);
        window.removeEventListener('mouseup', upLine);
        setDraft(null);
        const p0 = r.pixelToElement?.(line.x0, line.y0);
        const p1 = r.pixelToElement?.(line.x1, line.y1);
        // A click without a drag draws nothing.
        if (!p0 || !p1 || Math.hypot(p1.x - p0.x, p1.y - p0.y) < 3) return;
        store.getState().addMeasurement(imageId, { ...line, mm: distanceMm(line, r.pixelSpacing?.() ?? null) });
      };
      window.addEventListener('mousemove', moveLine);
      window.addEventListener('mouseup', upLine);
      return;
    }
    let last = { x: e.clientX, y: e.clientY };
    const move = (m: MouseEvent) => {
      const dx = m.clientX - last.x;
      const dy = m.clientY - last.y;
      last = { x: m.clientX, y: m.clientY };
      const s = store.getState();
      if (button === 2) s.setWindow(s.wc + dy * WL_PER_PX, s.ww + dx * WL_PER_PX);
      else s.panBy(dx, dy);
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  const slice = series?.slices[sliceIndex];
  const ready = !!series && drawn?.seriesUid === series.seriesUid && drawn.index === sliceIndex;
  return (
    <div
      className="viewport"
      data-testid="viewport"
      data-series-uid={series?.seriesUid ?? ''}
      data-slice-index={sliceIndex}
      data-sop-uid={slice?.sopInstanceUid ?? ''}
      data-wc={wc}
      data-ww={ww}
      data-status={ready ? 'ready' : 'loading'}
      data-invert={invert ? 'true' : 'false'}
      data-tool={measuring ? 'distance' : 'pan'}
      tabIndex={0}
      aria-label="Image: arrows or wheel change the slice, ? lists the keys"
      onWheel={onWheel}
      onMouseDown={onMouseDown}
      onMouseMove={onMouseMove}
      onMouseLeave={onMouseLeave}
      onContextMenu={(e) => e.preventDefault()}
    >
      <div className="viewport-canvas" ref={element} />
      {series && <SaliencyOverlay renderer={getRenderer} />}
      {series && <Measurements renderer={getRenderer} draft={draft} />}
      {series ? <Overlay renderer={getRenderer} probe={probe} /> : <div className="viewport-empty">Select a study</div>}
    </div>
  );
}
