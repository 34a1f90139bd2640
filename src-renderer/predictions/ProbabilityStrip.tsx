// Six labels x N slices as a heat strip, one column per slice in slice order, synced with the viewport: the
// current column is marked, a click jumps there. In compare mode still six rows: each cell holds safe above and
// risky below, their difference as a mark between them. Below: the model version (the current slice's numbers
// are SliceNumbers, beside the image).
import { useApp } from '../state/context.tsx';
import { LABELS, LABEL_COLOR, LABEL_SHORT } from '../../src-shared/labels.ts';
import { diverging, heat } from '../ui/format.ts';
import { stripRows, type RowSource, type StripRow } from './strip-rows.ts';

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
  // Compare: one row per label, each slice's column split in safe (top) and risky (bottom) with their difference
  // as a mark between them; safe or risky alone: one row per label.
  const byLabel = LABELS.map((label) => rows.filter((r) => r.label === label));

  const cell = (row: StripRow, v: number | null, i: number, threshold: number) => (
    <div
      key={row.source}
      className={`strip-cell strip-${row.source}${i === sliceIndex ? ' current' : ''}${row.source !== 'diff' && v !== null && v >= threshold ? ' above' : ''}`}
      data-testid="strip-cell"
      data-slice={i}
      data-label={row.label}
      data-source={row.source}
      data-current={i === sliceIndex ? 'true' : undefined}
      style={{ background: v === null ? 'transparent' : row.source === 'diff' ? diverging(v) : heat(v) }}
      title={`slice ${i + 1} · ${SOURCE_NAME[row.source]} ${row.label} ${v === null ? '–' : v.toFixed(3)}`}
    />
  );

  return (
    <section className="prob-strip" data-testid="prob-strip" data-state="ready" data-mode={mode}>
      <div className={`strip-grid${mode === 'compare' ? ' strip-compare' : ''}`} style={{ gridTemplateColumns: `5.2rem repeat(${n}, minmax(2px, 1fr))` }} role="grid" aria-label="Probabilities per slice">
        {byLabel.map((group, k) => {
          const label = LABELS[k]!;
          const threshold = predictions.thresholds[k] ?? 0.5;
          return [
            <div key={`${label}-h`} className="strip-head" role="rowheader"
              title={`${mode === 'compare' ? 'safe (top), risky − safe (mark), risky (bottom)' : mode} ${label}, threshold ${threshold}`}>
              <span style={{ color: LABEL_COLOR[label] }}>{LABEL_SHORT[label]}</span>
              {/* Threshold tick on a 0-1 scale, so the heat colours can be read against it. */}
              <span className="tick-scale" data-testid="threshold-tick" data-label={label}>
                <span className="tick" style={{ left: `${threshold * 100}%` }} />
              </span>
            </div>,
            ...predictions.slices.map((_, i) => (
              <div key={`${label}-${i}`} className={`strip-col${i === sliceIndex ? ' current' : ''}`} onClick={() => jumpToSlice(i)}>
                {group.map((row) => cell(row, row.values[i] ?? null, i, threshold))}
              </div>
            )),
          ];
        })}
      </div>
      <p className="model">
        {shown && <><span className="strip-version" data-testid="strip-version" data-version={shown}>model {shown}</span> · </>}
        {model ? `${model.name} · ensemble ${model.version} · trained ${model.trainedAt}` : 'model unknown'}
        {current?.oof ? ' · out-of-fold prediction' : ''}
        {mode === 'compare' && <span className="muted"> · each cell: safe above, risky below, the mark between them risky − safe (red: risky higher)</span>}
        <span className="ruo"> · Research use only. Not a medical device.</span>
      </p>
    </section>
  );
}
