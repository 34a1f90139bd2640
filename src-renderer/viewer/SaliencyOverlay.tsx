// The saliency overlay (key H): the engine's map of where the base CNNs look for one label on the current slice,
// drawn as a translucent heat map on a canvas over the image, placed through the renderer's pixel-to-element
// mapping (so it follows zoom, pan and resizes, aligned with the image's pixel grid), with a legend that says
// what it is and a chooser for the label (default: the slice's top label).
import { useEffect, useMemo, useRef, type CSSProperties } from 'react';
import type { SaliencyMap } from '../../src-ml/api/engine.ts';
import { LABELS, LABEL_SHORT, type Label } from '../../src-shared/labels.ts';
import { useApp, useAppStore } from '../state/context.tsx';
import { saliencyTarget } from '../state/saliency-slice.ts';
import type { StackRenderer } from './stack-renderer.ts';

export const SALIENCY_METHOD_NAME: Readonly<Record<SaliencyMap['method'], string>> = {
  'grad-cam': 'Grad-CAM',
  smoothgrad: 'SmoothGrad',
};

/** Below this value the map is transparent; above it opacity rises to MAX_ALPHA at FLOOR + 0.4 (the image stays readable under it). */
const FLOOR = 0.3;
const MAX_ALPHA = 0.5;

/** The jet colour scale (blue, cyan, yellow, red) at t in 0..1. */
export function jet(t: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
}

/** RGBA of one map value: transparent up to FLOOR, then jet over FLOOR..1 with rising opacity. */
export function heatRgba(v: number): [number, number, number, number] {
  if (!(v > FLOOR)) return [0, 0, 0, 0];
  const t = (v - FLOOR) / (1 - FLOOR);
  return [...jet(t), Math.round(255 * MAX_ALPHA * Math.min(1, (v - FLOOR) / 0.4))];
}

const LEGEND_GRADIENT = `linear-gradient(90deg, ${[0, 0.25, 0.5, 0.75, 1].map((t) => `rgb(${jet(t).join(',')}) ${t * 100}%`).join(', ')})`;

const STYLE: Record<string, CSSProperties> = {
  layer: { position: 'absolute', inset: 0, pointerEvents: 'none' },
  canvas: { position: 'absolute', inset: 0, width: '100%', height: '100%' },
  legend: {
    position: 'absolute', right: '.5rem', bottom: '3.6rem', whiteSpace: 'nowrap', padding: '.25rem .4rem', pointerEvents: 'auto',
    background: 'rgba(0, 0, 0, .6)', border: '1px solid #444', borderRadius: 3, fontSize: 11, color: '#ddd', textAlign: 'right',
  },
  bar: { height: 6, margin: '.2rem 0 .1rem', background: LEGEND_GRADIENT },
  scale: { display: 'flex', justifyContent: 'space-between', fontSize: 10, color: '#aaa' },
  select: { fontSize: 11, marginLeft: '.3rem' },
};

/** The map's pixels as a small canvas (one pixel per map cell); the overlay scales it onto the image. */
function heatCanvas(map: SaliencyMap): HTMLCanvasElement | null {
  const c = document.createElement('canvas');
  c.width = map.width;
  c.height = map.height;
  const ctx = c.getContext('2d');
  if (!ctx) return null;
  const img = ctx.createImageData(map.width, map.height);
  map.values.forEach((v, i) => img.data.set(heatRgba(v), i * 4));
  ctx.putImageData(img, 0, 0);
  return c;
}

export function SaliencyOverlay({ renderer }: { renderer: () => StackRenderer | null }) {
  const store = useAppStore();
  const on = useApp((s) => s.saliencyOn);
  const map = useApp((s) => s.saliency);
  const status = useApp((s) => s.saliencyStatus);
  const error = useApp((s) => s.saliencyError);
  const chosen = useApp((s) => s.saliencyLabel);
  const imageId = useApp((s) => saliencyTarget(s)?.imageId ?? null);
  const label = useApp((s) => saliencyTarget(s)?.label ?? null);
  const series = useApp((s) => s.series);
  const version = useApp((s) => s.activeVersion);
  const zoom = useApp((s) => s.zoom);
  const pan = useApp((s) => s.pan);
  const drawn = useApp((s) => s.drawn);
  const topLabel = useApp((s) => (s.saliencyOn ? saliencyTarget({ ...s, saliencyLabel: null })?.label ?? null : null));
  const canvas = useRef<HTMLCanvasElement>(null);
  const layer = useRef<HTMLDivElement>(null);

  // The current slice's map (cached in the store per version, slice and label), whenever one of them changes.
  useEffect(() => {
    if (on && imageId && label) void store.getState().loadSaliency();
  }, [on, imageId, label, version, store]);

  const current = on && map && map.imageId === imageId && map.label === label ? map : null;
  // Only a renderer that places image points can carry the overlay (the jsdom tests' fake one cannot).
  const placeable = !!renderer()?.pixelToElement;
  const heat = useMemo(() => (current && placeable ? heatCanvas(current) : null), [current, placeable]);

  // Drawn after the viewport applied the view (a passive effect runs after every layout effect of the commit).
  useEffect(() => {
    const el = canvas.current;
    const host = layer.current;
    if (!el || !host) return;
    const draw = () => {
      const r = renderer();
      const ctx = heat && r?.pixelToElement && series ? el.getContext('2d') : null;
      host.dataset.drawn = 'false';
      if (!ctx || !heat || !series || !r?.pixelToElement) return;
      const dpr = window.devicePixelRatio || 1;
      const w = Math.round(host.clientWidth * dpr);
      const h = Math.round(host.clientHeight * dpr);
      if (el.width !== w || el.height !== h) {
        el.width = w;
        el.height = h;
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, w, h);
      const { rows, columns } = series;
      if (!rows || !columns) return;
      const p00 = r.pixelToElement(0, 0);
      const p10 = r.pixelToElement(columns, 0);
      const p01 = r.pixelToElement(0, rows);
      if (!p00 || !p10 || !p01) return;
      // Map cell (i, j) covers image pixels [j, j + 1) * columns / width by [i, i + 1) * rows / height.
      ctx.setTransform(
        (dpr * (p10.x - p00.x)) / heat.width, (dpr * (p10.y - p00.y)) / heat.width,
        (dpr * (p01.x - p00.x)) / heat.height, (dpr * (p01.y - p00.y)) / heat.height,
        dpr * p00.x, dpr * p00.y,
      );
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(heat, 0, 0);
      host.dataset.drawn = 'true';
    };
    const frame = requestAnimationFrame(draw);
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => requestAnimationFrame(draw));
    observer?.observe(host);
    return () => {
      cancelAnimationFrame(frame);
      observer?.disconnect();
      const ctx = heat ? el.getContext('2d') : null;
      ctx?.clearRect(0, 0, el.width, el.height);
    };
  }, [heat, renderer, series, zoom, pan, drawn]);

  if (!on) return null;
  const what = label ? `${label} (${LABEL_SHORT[label]})` : '';
  const title = current
    ? `${SALIENCY_METHOD_NAME[current.method]}, ${current.label}, model ${current.version}`
    : status === 'error' ? `Saliency unavailable: ${error ?? ''}` : `Saliency: computing ${what}…`;
  return (
    <div
      ref={layer}
      className="saliency"
      style={STYLE.layer}
      data-testid="saliency-overlay"
      data-state={current ? 'ready' : status === 'error' ? 'error' : 'loading'}
      data-label={label ?? ''}
      data-image-id={current?.imageId ?? ''}
      data-method={current?.method ?? ''}
      data-version={current?.version ?? ''}
    >
      <canvas ref={canvas} style={STYLE.canvas} />
      <div
        className="saliency-legend"
        data-testid="saliency-legend"
        style={STYLE.legend}
        title={current ? `Where the model's ${current.models.length} base CNN(s) look for ${current.label} on this slice (${SALIENCY_METHOD_NAME[current.method]}, averaged over ${current.models.join(', ')}); not a segmentation` : undefined}
        onMouseDown={(e) => e.stopPropagation()}
        onWheel={(e) => e.stopPropagation()}
      >
        <div>{title}</div>
        {current && (
          <>
            <div style={STYLE.bar} />
            <div style={STYLE.scale}><span>low</span><span>attention</span><span>high</span></div>
          </>
        )}
        <label>
          label
          <select
            data-testid="saliency-label"
            style={STYLE.select}
            value={chosen ?? ''}
            onChange={(e) => {
              store.getState().setSaliencyLabel((e.target.value || null) as Label | null);
              // Back to the viewer's keys (arrows, H) at once.
              e.currentTarget.blur();
            }}
          >
            <option value="">top: {topLabel ? LABEL_SHORT[topLabel] : '-'}</option>
            {LABELS.map((l) => <option key={l} value={l}>{LABEL_SHORT[l]} {l}</option>)}
          </select>
        </label>
      </div>
    </div>
  );
}
