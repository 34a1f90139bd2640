// The current slice's header fields and the metadata features the shallow NN saw (raw and scaled).
import { memo } from 'react';
import type { SliceDetail } from '../../src-ml/api/engine.ts';
import { useApp } from '../state/context.tsx';
import { usePanelState } from '../ui/panel-state.ts';

const fmt = (v: number | null | undefined) => (v == null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(4));

export function MetadataPanel() {
  const detail = useApp((s) => s.sliceDetail);
  const state = usePanelState(detail);
  return (
    <section className={`panel ${state.state}`} data-testid="metadata-panel" data-state={state.state} data-image-id={detail?.imageId ?? ''}>
      <h3>Metadata</h3>
      {!detail && <p className="muted">No slice selected.</p>}
      {detail && <MetadataBody detail={detail} />}
    </section>
  );
}

/** Hundreds of rows: memoized, so it re-renders when the detail changes, not on every scroll step. */
const MetadataBody = memo(function MetadataBody({ detail }: { detail: SliceDetail }) {
  const features = detail.metadataFeatures;
  return (
    <>
      <h4>Fields</h4>
      <table className="kv">
        <tbody>
          {Object.entries(detail.fields).map(([k, v]) => (
            <tr key={k}><th>{k}</th><td>{v ?? '–'}</td></tr>
          ))}
        </tbody>
      </table>
      <h4>Model features</h4>
      {features ? (
        <table className="kv" data-testid="metadata-features">
          <thead><tr><th>feature</th><th>raw</th><th>scaled</th></tr></thead>
          <tbody>
            {features.names.map((name, i) => (
              <tr key={name}><th>{name}</th><td>{fmt(features.raw[i])}</td><td>{fmt(features.scaled[i])}</td></tr>
            ))}
            {features.categorical.names.map((name, i) => (
              <tr key={`cat-${name}`}><th>{name}</th><td colSpan={2}>{features.categorical.values[i] ?? '–'} (category)</td></tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No feature statistics in this workspace (train the shallow NN).</p>
      )}
      <details>
        <summary>DICOM header ({Object.keys(detail.header).length})</summary>
        <table className="kv">
          <tbody>
            {Object.entries(detail.header).map(([tag, v]) => (
              <tr key={tag}><th>{tag}</th><td>{v}</td></tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
});
