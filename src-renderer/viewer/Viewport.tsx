// The image area: a StackRenderer on a div, driven by the store (slice, window, zoom, pan) and driving it
// back (wheel, drags). Carries the viewport test hooks.
import { useCallback, useContext, useEffect, useLayoutEffect, useRef, type MouseEvent as ReactMouseEvent, type WheelEvent } from 'react';
import { useApp, useAppStore } from '../state/context.tsx';
import { StackRendererContext, type StackRenderer } from './stack-renderer.ts';
import { Overlay } from './Overlay.tsx';
import { SaliencyOverlay } from './SaliencyOverlay.tsx';

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
    const { wc: c, ww: w, zoom: z, pan: p } = store.getState();
    r.show(sliceIndex, { wc: c, ww: w, zoom: z, pan: p }).then(
      () => { if (current) store.getState().setDrawn(series.seriesUid, sliceIndex); },
      (err: unknown) => { if (current) store.getState().setError(`slice ${sliceIndex + 1}: ${err instanceof Error ? err.message : String(err)}`); },
    );
    return () => { current = false; };
  }, [series, sliceIndex, store]);

  useLayoutEffect(() => {
    renderer.current?.setView({ wc, ww, zoom, pan });
  }, [wc, ww, zoom, pan]);

  useEffect(() => {
    if (!cine) return;
    const t = setInterval(() => store.getState().cineStep(), 1000 / CINE_FPS);
    return () => clearInterval(t);
  }, [cine, store]);

  const onWheel = (e: WheelEvent) => {
    if (e.deltaY > 0) store.getState().nextSlice();
    else if (e.deltaY < 0) store.getState().prevSlice();
  };

  // Left drag pans, right drag changes the window (horizontal: width, vertical: level), as in OHIF and Weasis.
  const onMouseDown = (e: ReactMouseEvent) => {
    if (e.button !== 0 && e.button !== 2) return;
    e.preventDefault();
    const button = e.button;
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
      onWheel={onWheel}
      onMouseDown={onMouseDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      <div className="viewport-canvas" ref={element} />
      {series && <SaliencyOverlay renderer={getRenderer} />}
      {series ? <Overlay /> : <div className="viewport-empty">Select a study</div>}
    </div>
  );
}
