// Six labels x N slices as a heat strip, one column per slice in slice order, synced with the viewport:
// the current column is marked, a click jumps there. Below: the current slice's numbers and the model version.
import { useApp } from '../state/context.tsx';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';
import { diverging, fmtProb, heat } from '../ui/format.ts';
import { stripRows, type RowSource } from './strip-rows.ts';

const SOURCE_NAME: Record<RowSource, string> = { safe: 'safe', risky: 'risky', diff: 'risky − safe' };

export function ProbabilityStrip() {
  const predictions = useApp((s) => s.predictions);
  const mode = useApp((s) => s.ensembleMode);
  const sliceIndex = useApp((s) => s.sliceIndex);
  const jumpToSlice = useApp((s) => s.jumpToSlice);
  const active = useApp((s) => s.activeVersion);
  const studyUid = useApp((s) => s.series?.studyUid ?? null);
  const predict = useApp((s) => s.predictStudies);

  // The engine answers with null per slice when the workspace has no fitted ensemble yet.
  if (!predictions || !predictions.slices.some((p) => p.safe || p.risky)) {
    return (
      <section className="prob-strip" data-testid="prob-strip" data-state="empty">
        <p className="muted">
          No predictions for this series
          {active ? <> from <span data-testid="strip-version" data-version={active}>model {active}</span></> : ' (no model version yet: train one)'}.
          {active && studyUid && (
            <> <button type="button" data-testid="strip-predict" onClick={() => void predict([studyUid])}>Predict this study</button></>
          )}
        </p>
        <p className="ruo">Research use only. Not a medical device.</p>
      </section>
    );
  }
  const n = predictions.slices.length;
  const rows = stripRows(predictions, mode);
  const current = predictions.slices[sliceIndex];
  const model = predictions.model;
  // The version these predictions come from (an engine from before versions does not say: the active one).
  const shown = model?.modelVersion ?? active;

  return (
    <section className="prob-strip" data-testid="prob-strip" data-state="ready" data-mode={mode}>
      <div className="strip-grid" style={{ gridTemplateColumns: `7rem repeat(${n}, minmax(2px, 1fr))` }} role="grid" aria-label="Probabilities per slice">
        {rows.map((row) => {
          const threshold = predictions.thresholds[row.k] ?? 0.5;
          return [
            <div key={`${row.source}-${row.label}-h`} className="strip-head" role="rowheader" title={`${SOURCE_NAME[row.source]} ${row.label}, threshold ${threshold}`}>
              <span style={{ color: LABEL_COLOR[row.label] }}>{LABEL_SHORT[row.label]}</span>
              {mode === 'compare' && <span className="muted"> {row.source}</span>}
              {/* Threshold tick on a 0-1 scale, so the heat colours can be read against it. */}
              {row.source !== 'diff' && (
                <span className="tick-scale" data-testid="threshold-tick" data-label={row.label}>
                  <span className="tick" style={{ left: `${threshold * 100}%` }} />
                </span>
              )}
            </div>,
            ...row.values.map((v, i) => (
              <div
                key={`${row.source}-${row.label}-${i}`}
                className={`strip-cell${i === sliceIndex ? ' current' : ''}${row.source !== 'diff' && v !== null && v >= threshold ? ' above' : ''}`}
                data-testid="strip-cell"
                data-slice={i}
                data-label={row.label}
                data-source={row.source}
                data-current={i === sliceIndex ? 'true' : undefined}
                style={{ background: v === null ? 'transparent' : row.source === 'diff' ? diverging(v) : heat(v) }}
                title={`slice ${i + 1} · ${SOURCE_NAME[row.source]} ${row.label} ${v === null ? '–' : v.toFixed(3)}`}
                onClick={() => jumpToSlice(i)}
              />
            )),
          ];
        })}
      </div>
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
                <th style={{ color: LABEL_COLOR[label] }}>{label}</th>
                <td className={s !== null && s >= t ? 'above' : ''}>{fmtProb(s)}</td>
                <td className={r !== null && r >= t ? 'above' : ''}>{fmtProb(r)}</td>
                <td>{s === null || r === null ? '–' : (r - s).toFixed(2)}</td>
                <td>{t}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="model">
        {shown && <><span className="strip-version" data-testid="strip-version" data-version={shown}>model {shown}</span> · </>}
        {model ? `${model.name} · ensemble ${model.version} · trained ${model.trainedAt}` : 'model unknown'}
        {current?.oof ? ' · out-of-fold prediction' : ''}
      </p>
      <p className="ruo">Research use only. Not a medical device.</p>
    </section>
  );
}
