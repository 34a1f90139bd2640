// Text on the image: where we are, the window, loading progress, and the current slice's labels above threshold.
import { useApp } from '../state/context.tsx';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';
import { fmtMm, fmtProb } from '../ui/format.ts';
import { WINDOW_PRESETS } from '../../src-shared/windows.ts';

export function Overlay() {
  const series = useApp((s) => s.series);
  const sliceIndex = useApp((s) => s.sliceIndex);
  const wc = useApp((s) => s.wc);
  const ww = useApp((s) => s.ww);
  const preset = useApp((s) => s.preset);
  const loaded = useApp((s) => s.loaded);
  const cine = useApp((s) => s.cine);
  const predictions = useApp((s) => s.predictions);
  const mode = useApp((s) => s.ensembleMode);
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

  return (
    <div className="overlay" aria-hidden="false">
      <div className="overlay-tl">
        <div>Slice {sliceIndex + 1} / {total}</div>
        <div>Pos {fmtMm(slice?.position ?? null)}</div>
        <div>Thick {fmtMm(slice?.thickness ?? null)}</div>
        {loaded < total && <div className="overlay-loading">{loaded} of {total} loaded</div>}
        {cine && <div>cine</div>}
      </div>
      <div className="overlay-bl">
        W {ww} / L {wc}
        {preset ? ` (${WINDOW_PRESETS[preset - 1]!.label})` : ''}
      </div>
      <ul className="overlay-tr" data-testid="overlay-findings">
        {findings.map((f) => (
          <li key={f.label} style={{ color: LABEL_COLOR[f.label] }} data-label={f.label}>
            {LABEL_SHORT[f.label]}{' '}
            {mode === 'compare' ? `S ${fmtProb(f.safe)} · R ${fmtProb(f.risky)}` : fmtProb(mode === 'safe' ? f.safe : f.risky)}
          </li>
        ))}
      </ul>
    </div>
  );
}
