// The window presets on the number keys 1-6 (src-shared/windows.ts WINDOW_PRESETS, in key order) and the
// window each one gives on a slice.
import { resolveWindow, WINDOW_PRESETS, type VoiWindow } from '../../src-shared/windows.ts';

export type PresetNumber = 1 | 2 | 3 | 4 | 5 | 6;

/** The window of preset n; `header` takes the slice's own window, falling back to brain when it has none. */
export function presetWindow(n: PresetNumber, slice: { windowCenter: number | null; windowWidth: number | null } | undefined): VoiWindow {
  const header = { windowCenter: slice?.windowCenter != null ? [slice.windowCenter] : [], windowWidth: slice?.windowWidth != null ? [slice.windowWidth] : [] };
  return resolveWindow({ kind: 'preset', preset: WINDOW_PRESETS[n - 1]! }, header)
    ?? resolveWindow({ kind: 'preset', preset: WINDOW_PRESETS[0]! }, header)!;
}
