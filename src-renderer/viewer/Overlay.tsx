// Text on the image, as reading viewers put it: the patient and study (top left, from the slice's header), where
// we are in the series, the labels above threshold (top right), orientation markers at the edges (from
// ImageOrientationPatient), the HU under the pointer and the window (bottom left), a scale bar and the zoom
// (bottom right).
import { memo, useEffect, useRef, useState } from 'react';
import { useApp } from '../state/context.tsx';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';
import { fmtMm, fmtProb } from '../ui/format.ts';
import { WINDOW_PRESETS } from '../../src-shared/windows.ts';
import type { PixelProbe, StackRenderer } from './stack-renderer.ts';
import { orientationOf, pixelSpacingOf, scaleBar } from './geometry.ts';
import { brokenIntercept, patientInfo } from './patient-info.ts';

/** The scale bar's longest length on screen, CSS pixels. */
const SCALE_MAX_PX = 110;

export const Overlay = memo(function Overlay({ renderer, probe }: { renderer?: () => StackRenderer | null; probe?: PixelProbe | null }) {
  const series = useApp((s) => s.series);
  const sliceIndex = useApp((s) => s.sliceIndex);
  const wc = useApp((s) => s.wc);
  const ww = useApp((s) => s.ww);
  const preset = useApp((s) => s.preset);
  const locked = useApp((s) => s.windowLocked);
  const invert = useApp((s) => s.invert);
  const loaded = useApp((s) => s.loaded);
  const cine = useApp((s) => s.cine);
  const measuring = useApp((s) => s.measuring);
  const predictions = useApp((s) => s.predictions);
  const mode = useApp((s) => s.ensembleMode);
  // The header of a slice of this series (series-level fields: the same on every slice); the detail of the slice
  // shown arrives once the scroll settles, and until then the previous slice's serves.
  const header = useApp((s) => (s.sliceDetail && s.sliceDetail.seriesUid === s.series?.seriesUid ? s.sliceDetail.header : null));
  if (!series) return null;
  const slice = series.slices[sliceIndex];
  const total = series.slices.length;
  const pred = predictions?.slices[sliceIndex];
  const thresholds = predictions?.thresholds ?? [];
  const findings = LABELS.map((label, k) => {
    const safe = pred?.safe?.[k] ?? null;
    const risky = pred?.risky?.[k] ?? null;
    const t = thresholds[k] ?? 0.5;
    const shown = mode === 'safe' ? safe : mode === 'risky' ? risky : Math.max(safe ?? -1, risky ?? -1);
    return { label, k, safe, risky, above: shown !== null && shown >= t };
  }).filter((f) => f.above);
  const info = header ? patientInfo(header) : null;
  const orientation = orientationOf(header?.['0020,0037']);

  return (
    <div className="overlay" aria-hidden="false">
      <div className="overlay-tl">
        {info && (
          <div className="overlay-patient" data-testid="overlay-patient">
            <div className="overlay-strong" data-field="patient">{info.patient}</div>
            <div data-field="id-age-sex">{info.patientId && info.patientId !== info.patient ? `${info.patientId} · ` : ''}age {info.age} · sex {info.sex}</div>
            <div data-field="study-date">{info.studyDateTime}</div>
            <div data-field="series">{info.series}</div>
          </div>
        )}
        {header && brokenIntercept(header) && (
          <div className="intercept-warning" data-testid="intercept-warning"
            title={`PixelRepresentation ${header['0028,0103']} (unsigned) with RescaleIntercept ${header['0028,1052']}: the known broken-intercept header, whose HU are off by about 1000 (wrapping at 4096) and whose brain window looks blown out. The image and the HU probe use the header's values as written: the same HU the model read. Training leaves such images out (zero sample weight).`}>
            ⚠ Broken-intercept header (unsigned, intercept {header['0028,1052']}): HU as written, as the model read them
          </div>
        )}
        <div>Slice {sliceIndex + 1} / {total}</div>
        <div>Pos {fmtMm(slice?.position ?? null)} · Thick {fmtMm(slice?.thickness ?? null)}</div>
        {loaded < total && <div className="overlay-loading">{loaded} of {total} loaded</div>}
        {cine && <div>cine</div>}
      </div>
      {orientation && (['left', 'right', 'top', 'bottom'] as const).map((side) => (
        <div key={side} className={`orient orient-${side}`} data-testid="orientation-marker" data-side={side}>{orientation[side]}</div>
      ))}
      <div className="overlay-bl">
        {probe && (
          <div className="hu-probe" data-testid="hu-probe" data-column={probe.column} data-row={probe.row} title={`pixel (${probe.column}, ${probe.row})`}>
            {Math.round(probe.hu)} HU
          </div>
        )}
        <div>
          W {ww} / L {wc}
          {preset ? ` (${WINDOW_PRESETS[preset - 1]!.label})` : ''}
          {locked ? ' · locked' : ''}
          {invert ? ' · inverted' : ''}
        </div>
      </div>
      <ul className="overlay-tr" data-testid="overlay-findings">
        {findings.map((f) => (
          <li key={f.label} style={{ color: LABEL_COLOR[f.label] }} data-label={f.label}>
            {LABEL_SHORT[f.label]}{' '}
            {mode === 'compare' ? `S ${fmtProb(f.safe)} · R ${fmtProb(f.risky)}` : fmtProb(mode === 'safe' ? f.safe : f.risky)}
          </li>
        ))}
      </ul>
      <div className="overlay-br">
        {measuring && <div className="overlay-tool" data-testid="tool-indicator">distance tool (m): drag to measure, Del clears</div>}
        <Scale renderer={renderer} headerSpacing={header?.['0028,0030'] ?? null} />
      </div>
    </div>
  );
});

/**
 * The scale bar and zoom: both need the image's size on screen, which only the renderer knows once it has
 * applied the view, so they are measured after each draw, zoom, pan and resize.
 */
function Scale({ renderer, headerSpacing }: { renderer?: () => StackRenderer | null; headerSpacing: string | null }) {
  const zoom = useApp((s) => s.zoom);
  const pan = useApp((s) => s.pan);
  const drawn = useApp((s) => s.drawn);
  const host = useRef<HTMLDivElement>(null);
  const [m, setM] = useState<{ pxPerImagePx: number; pxPerMm: number | null } | null>(null);

  useEffect(() => {
    const measure = () => {
      const r = renderer?.();
      const p0 = r?.pixelToElement?.(0, 0);
      const p1 = r?.pixelToElement?.(1, 0);
      if (!r || !p0 || !p1) return setM(null);
      const perPx = Math.hypot(p1.x - p0.x, p1.y - p0.y);
      const spacing = r.pixelSpacing?.() ?? pixelSpacingOf(headerSpacing);
      const next = { pxPerImagePx: perPx, pxPerMm: spacing ? perPx / spacing.column : null };
      setM((prev) => (prev && prev.pxPerImagePx === next.pxPerImagePx && prev.pxPerMm === next.pxPerMm ? prev : next));
    };
    const frame = requestAnimationFrame(measure);
    const el = host.current?.closest('.viewport');
    const observer = el && typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => requestAnimationFrame(measure)) : null;
    if (el) observer?.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      observer?.disconnect();
    };
  }, [renderer, headerSpacing, zoom, pan, drawn]);

  const bar = m?.pxPerMm ? scaleBar(m.pxPerMm, SCALE_MAX_PX) : null;
  return (
    <div ref={host} className="scale">
      {bar && (
        <div className="scale-bar" data-testid="scale-bar" data-mm={bar.mm} data-px={bar.px.toFixed(1)}>
          <span className="scale-line" style={{ width: `${bar.px}px` }} />
          <span>{bar.mm >= 10 && bar.mm % 10 === 0 ? `${bar.mm / 10} cm` : `${bar.mm} mm`}</span>
        </div>
      )}
      {m && <div data-testid="zoom-level" data-zoom={m.pxPerImagePx.toFixed(4)}>Zoom {Math.round(m.pxPerImagePx * 100)}%</div>}
    </div>
  );
}
