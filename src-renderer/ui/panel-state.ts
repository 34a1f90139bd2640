// Whether the slice-detail panels show the current slice. The detail loads a moment after the scroll settles
// (App's DETAIL_DELAY_MS), so for a while it belongs to the previous slice: the panels say so (dimmed, and
// data-state="stale") instead of passing old numbers off as the current slice's.
import type { SliceDetail } from '../../src-ml/api/engine.ts';
import { useApp } from '../state/context.tsx';

export type PanelState = 'empty' | 'stale' | 'current';

export function panelState(detail: SliceDetail | null, currentImageId: string | null): PanelState {
  if (!detail) return 'empty';
  return detail.imageId === currentImageId ? 'current' : 'stale';
}

export function usePanelState(detail: SliceDetail | null): { state: PanelState } {
  const current = useApp((s) => s.series?.slices[s.sliceIndex]?.imageId ?? null);
  return { state: panelState(detail, current) };
}
