// The strip's rows as data: which ensemble (or the difference) and label each row shows, per mode.
import type { EngineLabel, SeriesPredictions } from '../../src-ml/api/engine.ts';
import type { EnsembleMode } from '../state/types.ts';
import { LABELS } from '../../src-shared/labels.ts';

export type RowSource = 'safe' | 'risky' | 'diff';

export interface StripRow {
  source: RowSource;
  label: EngineLabel;
  k: number;
  /** One per slice; null where that slice has no prediction. */
  values: (number | null)[];
}

export const SOURCES_BY_MODE: Record<EnsembleMode, RowSource[]> = {
  safe: ['safe'],
  risky: ['risky'],
  compare: ['safe', 'risky', 'diff'],
};

export function stripRows(p: SeriesPredictions, mode: EnsembleMode): StripRow[] {
  const rows: StripRow[] = [];
  for (const source of SOURCES_BY_MODE[mode]) {
    LABELS.forEach((label, k) => {
      const values = p.slices.map((s) => {
        if (source !== 'diff') return s[source]?.[k] ?? null;
        const a = s.safe?.[k];
        const b = s.risky?.[k];
        return a == null || b == null ? null : b - a;
      });
      rows.push({ source, label, k, values });
    });
  }
  return rows;
}
