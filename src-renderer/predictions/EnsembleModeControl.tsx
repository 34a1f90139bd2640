// Safe / risky / compare: which ensemble the strip and overlay show.
import { useApp } from '../state/context.tsx';
import { ENSEMBLE_MODES } from '../state/predictions-slice.ts';
import type { EnsembleMode } from '../state/types.ts';

export function EnsembleModeControl() {
  const mode = useApp((s) => s.ensembleMode);
  const toggle = useApp((s) => s.toggleEnsembleMode);
  return (
    <label className="ensemble-mode">
      Ensemble{' '}
      <select data-testid="ensemble-mode" value={mode} onChange={(e) => toggle(e.target.value as EnsembleMode)}>
        {ENSEMBLE_MODES.map((m) => <option key={m} value={m}>{m}</option>)}
      </select>
    </label>
  );
}
