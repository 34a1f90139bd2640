// The current slice's detail (metadata and ensemble panels, the overlay's header fields), whether the
// engineering tables and the key help sheet show, and the one-line error bar.
import type { PanelsSlice, SliceContext } from './types.ts';

export function createPanelsSlice({ set, get, client, guard }: SliceContext): PanelsSlice {
  return {
    sliceDetail: null,
    error: null,
    engineering: false,
    helpOpen: false,
    async loadSliceDetail(imageId) {
      const detail = await guard(client.getSliceDetail(imageId));
      // Scrolling on before the answer came: keep only the current slice's detail.
      const s = get();
      if (detail && s.series?.slices[s.sliceIndex]?.imageId === imageId) set({ sliceDetail: detail });
    },
    setError: (message) => set({ error: message }),
    toggleEngineering: () => set({ engineering: !get().engineering }),
    toggleHelp: () => set({ helpOpen: !get().helpOpen }),
    closeHelp: () => set({ helpOpen: false }),
  };
}
