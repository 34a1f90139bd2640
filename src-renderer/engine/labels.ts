// The label order of the engine contract, as data the renderer owns: the renderer imports only types from
// src-ml/api, so the list is repeated here and pinned to the contract's type (a test checks it matches).
import type { EngineLabel } from '../../src-ml/api/engine.ts';

export const LABELS: readonly EngineLabel[] = ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'];

/** Short names for narrow strip rows and overlays. */
export const LABEL_SHORT: Record<EngineLabel, string> = {
  epidural: 'EDH',
  intraparenchymal: 'IPH',
  intraventricular: 'IVH',
  subarachnoid: 'SAH',
  subdural: 'SDH',
  any: 'ANY',
};

/** One colour per label for the overlay and the strip's row headers. */
export const LABEL_COLOR: Record<EngineLabel, string> = {
  epidural: '#ff7f0e',
  intraparenchymal: '#d62728',
  intraventricular: '#9467bd',
  subarachnoid: '#2ca02c',
  subdural: '#17becf',
  any: '#ffd700',
};

export const DEFAULT_THRESHOLD = 0.5;
