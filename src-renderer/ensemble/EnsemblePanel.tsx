// For the current slice: every member model's six probabilities, where consistency bounding moved `any`,
// which ensembles kept it, and the per-class blend weights of safe and risky.
import { memo } from 'react';
import type { SliceDetail } from '../../src-ml/api/engine.ts';
import { useApp } from '../state/context.tsx';
import { usePanelState } from '../ui/panel-state.ts';
import { LABELS, LABEL_SHORT } from '../../src-shared/labels.ts';
import { fmtProb } from '../ui/format.ts';

export function EnsemblePanel() {
  const detail = useApp((s) => s.sliceDetail);
  const state = usePanelState(detail);
  return (
    <section className={`panel ${state.state}`} data-testid="ensemble-panel" data-state={state.state} data-image-id={detail?.imageId ?? ''}>
      <h3>Ensemble</h3>
      {!detail && <p className="muted">No slice selected.</p>}
      {detail && <EnsembleBody detail={detail} />}
    </section>
  );
}

/** Memoized: re-renders when the detail changes, not on every scroll step. */
const EnsembleBody = memo(function EnsembleBody({ detail }: { detail: SliceDetail }) {
  return (
    <>
      <table className="grid">
        <thead>
          <tr><th>model</th><th>grp</th>{LABELS.map((l) => <th key={l}>{LABEL_SHORT[l]}</th>)}<th>in</th></tr>
        </thead>
        <tbody>
          {detail.members.map((m) => (
            <tr key={m.name} data-testid="ensemble-member" data-member={m.name}>
              <th>{m.name}</th>
              <td>{m.group ?? '–'}</td>
              {LABELS.map((l, k) => {
                const bounded = l === 'any' && (m.bounded.anyRaised || m.bounded.anyLowered);
                return (
                  <td key={l} className={bounded ? 'bounded' : ''} data-bounded={bounded ? (m.bounded.anyRaised ? 'raised' : 'lowered') : undefined}
                    title={bounded ? (m.bounded.anyRaised ? 'any raised to the top subtype by bounding' : 'any lowered by bounding') : undefined}>
                    {fmtProb(m.probs[k])}{bounded ? (m.bounded.anyRaised ? '↑' : '↓') : ''}
                  </td>
                );
              })}
              <td>{m.keptIn.join(', ') || '–'}</td>
            </tr>
          ))}
          <tr className="total"><th>safe</th><td />{LABELS.map((l, k) => <td key={l}>{fmtProb(detail.safe?.[k])}</td>)}<td /></tr>
          <tr className="total"><th>risky</th><td />{LABELS.map((l, k) => <td key={l}>{fmtProb(detail.risky?.[k])}</td>)}<td /></tr>
        </tbody>
      </table>
      <h4>Blend weights (A / B)</h4>
      <table className="grid" data-testid="blend-weights">
        <thead><tr><th />{LABELS.map((l) => <th key={l}>{LABEL_SHORT[l]}</th>)}</tr></thead>
        <tbody>
          {(['safe', 'risky'] as const).map((e) => (
            <tr key={e}>
              <th>{e}</th>
              {LABELS.map((l, k) => {
                const w = detail.blend[e]?.[k];
                return <td key={l}>{w ? `${w[0].toFixed(2)} / ${w[1].toFixed(2)}` : '–'}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
});
