// The current slice's six probabilities beside the image: safe, risky, their difference and the threshold,
// values at or above it marked.
import { useApp } from '../state/context.tsx';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';
import { fmtDiff, fmtProb } from '../ui/format.ts';

export function SliceNumbers() {
  const predictions = useApp((s) => s.predictions);
  const sliceIndex = useApp((s) => s.sliceIndex);
  if (!predictions || !predictions.slices.some((p) => p.safe || p.risky)) return null;
  const current = predictions.slices[sliceIndex];
  return (
    <section className="panel slice-numbers">
      <table className="strip-now" data-testid="strip-current">
        <thead>
          <tr><th>slice {sliceIndex + 1}</th><th>safe</th><th>risky</th><th>Δ</th><th>thr</th></tr>
        </thead>
        <tbody>
          {LABELS.map((label, k) => {
            const s = current?.safe?.[k] ?? null;
            const r = current?.risky?.[k] ?? null;
            const t = predictions.thresholds[k] ?? 0.5;
            return (
              <tr key={label} data-label={label}>
                <th style={{ color: LABEL_COLOR[label] }} title={label}>{LABEL_SHORT[label]}</th>
                <td className={s !== null && s >= t ? 'above' : ''}>{fmtProb(s)}</td>
                <td className={r !== null && r >= t ? 'above' : ''}>{fmtProb(r)}</td>
                <td>{s === null || r === null ? '–' : fmtDiff(r - s)}</td>
                <td>{t}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted slice-source">{current?.oof ? 'out-of-fold prediction (validation)' : 'test prediction'}</p>
    </section>
  );
}
