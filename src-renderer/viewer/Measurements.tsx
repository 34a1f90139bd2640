// The distance tool's lines on the current slice (key m turns the tool on; a drag on the image draws one), each
// with its length in mm from the pixel spacing: subdural thickness, midline shift. Lines are kept in image pixel
// coordinates, so they follow zoom, pan and resizes.
import { useEffect, useReducer } from 'react';
import { useApp } from '../state/context.tsx';
import type { StackRenderer } from './stack-renderer.ts';
import { distanceMm, fmtLength, type Segment } from './geometry.ts';

/** The line being drawn (image pixel coordinates). */
export type Draft = Segment;

export function Measurements({ renderer, draft }: { renderer: () => StackRenderer | null; draft: Draft | null }) {
  const imageId = useApp((s) => s.series?.slices[s.sliceIndex]?.imageId ?? null);
  const lines = useApp((s) => (imageId ? s.measurements[imageId] : undefined));
  const zoom = useApp((s) => s.zoom);
  const pan = useApp((s) => s.pan);
  const drawn = useApp((s) => s.drawn);
  // Where an image point lands on screen is known after the viewport applied the view (its layout effects):
  // draw again then, and when the element is resized.
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const frame = requestAnimationFrame(redraw);
    return () => cancelAnimationFrame(frame);
  }, [zoom, pan, drawn, lines]);
  useEffect(() => {
    const onResize = () => redraw();
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);

  const r = renderer();
  if (!r?.pixelToElement || (!lines?.length && !draft)) return null;
  const all = [...(lines ?? []).map((l) => ({ ...l, draft: false })), ...(draft ? [{ ...draft, mm: distanceMm(draft, r.pixelSpacing?.() ?? null), draft: true }] : [])];
  return (
    <svg className="measurements" data-testid="measurements" data-count={lines?.length ?? 0}>
      {all.map((l, i) => {
        const a = r.pixelToElement!(l.x0, l.y0);
        const b = r.pixelToElement!(l.x1, l.y1);
        if (!a || !b) return null;
        const text = fmtLength(l.mm, l);
        return (
          <g key={i} className={l.draft ? 'draft' : ''} data-testid={l.draft ? undefined : 'measurement'} data-mm={l.mm?.toFixed(2)}>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
            <circle cx={a.x} cy={a.y} r={2.5} />
            <circle cx={b.x} cy={b.y} r={2.5} />
            <text x={b.x + 6} y={b.y - 6}>{text}</text>
          </g>
        );
      })}
    </svg>
  );
}
