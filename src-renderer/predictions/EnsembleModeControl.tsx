// Safe / risky / compare: which ensemble the strip and overlay show.
import { useApp } from '../store/context.tsx';
import { ENSEMBLE_MODES } from '../store/predictions-slice.ts';
import type { EnsembleMode } from '../store/types.ts';

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
