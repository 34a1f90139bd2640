// Which ensemble the strip and overlay show. The predictions themselves arrive with the series (viewer slice),
// and again when something changed them (a promote or rollback, a predict job).
import type { EnsembleMode, PredictionsSlice, SliceContext } from './types.ts';

export const ENSEMBLE_MODES: readonly EnsembleMode[] = ['safe', 'risky', 'compare'];

export function createPredictionsSlice({ set, get, client }: SliceContext): PredictionsSlice {
  return {
    predictions: null,
    ensembleMode: 'safe',
    toggleEnsembleMode(mode) {
      if (ENSEMBLE_MODES.includes(mode)) set({ ensembleMode: mode });
    },
    async reloadPredictions() {
      const seriesUid = get().series?.seriesUid;
      if (!seriesUid) return;
      const predictions = await client.getPredictions(seriesUid).catch(() => null);
      // Another series opened meanwhile: its own predictions came with it.
      if (get().series?.seriesUid !== seriesUid) return;
      set({ predictions });
      const s = get();
      const imageId = s.series?.slices[s.sliceIndex]?.imageId;
      // The members and blends of the slice detail belong to the version too.
      if (imageId && s.sliceDetail?.imageId === imageId) await get().loadSliceDetail(imageId);
    },
  };
}
