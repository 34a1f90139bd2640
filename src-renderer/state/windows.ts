// Window presets as data, bound to keys 1-6 in this order. The numbers are src-ml/api/windows.ts
// WINDOW_PRESETS (a test keeps the two equal); repeated because the renderer imports only types from the engine.
import type { WindowPreset } from '../../src-ml/api/windows.ts';

export const PRESETS: readonly WindowPreset[] = [
  { id: 'brain', label: 'Brain', center: 40, width: 80 },
  { id: 'subdural', label: 'Subdural', center: 80, width: 200 },
  { id: 'stroke', label: 'Stroke', center: 40, width: 40 },
  { id: 'bone', label: 'Bone', center: 600, width: 2800 },
  { id: 'soft', label: 'Soft tissue', center: 40, width: 400 },
  { id: 'header', label: 'Header', center: null, width: null },
];

export type PresetNumber = 1 | 2 | 3 | 4 | 5 | 6;

export interface Voi {
  wc: number;
  ww: number;
}

/** The window of preset n; `header` takes the slice's own window, falling back to brain when it has none. */
export function presetWindow(n: PresetNumber, slice: { windowCenter: number | null; windowWidth: number | null } | undefined): Voi {
  const p = PRESETS[n - 1]!;
  if (p.center !== null && p.width !== null) return { wc: p.center, ww: p.width };
  const wc = slice?.windowCenter;
  const ww = slice?.windowWidth;
  if (wc != null && ww != null && Number.isFinite(wc) && ww >= 1) return { wc, ww };
  return { wc: PRESETS[0]!.center!, ww: PRESETS[0]!.width! };
}
