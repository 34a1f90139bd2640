// One zustand store made of the slices (worklist, viewer, predictions, panels, training, versions, saliency), bound to one EngineClient.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EngineClient } from '../../src-ml/api/engine.ts';
import type { AppState, SliceContext } from './types.ts';
import { createWorklistSlice } from './worklist-slice.ts';
import { createViewerSlice } from './viewer-slice.ts';
import { createPredictionsSlice } from './predictions-slice.ts';
import { createPanelsSlice } from './panels-slice.ts';
import { createTrainingSlice } from './training-slice.ts';
import { createVersionsSlice } from './versions-slice.ts';
import { createSaliencySlice } from './saliency-slice.ts';

export type AppStore = StoreApi<AppState>;

const oneLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export function createAppStore(client: EngineClient): AppStore {
  return createStore<AppState>()((set, get) => {
    const guard: SliceContext['guard'] = async (p) => {
      try {
        return await p;
      } catch (err) {
        set({ error: oneLine(err) });
        return undefined;
      }
    };
    const ctx: SliceContext = { set, get, client, guard };
    return { ...createWorklistSlice(ctx), ...createViewerSlice(ctx), ...createPredictionsSlice(ctx), ...createPanelsSlice(ctx), ...createTrainingSlice(ctx), ...createVersionsSlice(ctx), ...createSaliencySlice(ctx) };
  });
}
