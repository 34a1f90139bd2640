// Which ensemble the strip and overlay show. The predictions themselves arrive with the series (viewer slice).
import type { EnsembleMode, PredictionsSlice, SliceContext } from './types.ts';

export const ENSEMBLE_MODES: readonly EnsembleMode[] = ['safe', 'risky', 'compare'];

export function createPredictionsSlice({ set }: SliceContext): PredictionsSlice {
  return {
    predictions: null,
    ensembleMode: 'safe',
    toggleEnsembleMode(mode) {
      if (ENSEMBLE_MODES.includes(mode)) set({ ensembleMode: mode });
    },
  };
}
