// Hotkeys as data (as OHIF keeps them): each binding names its keys, a label and a group for the help sheet
// (key ?), and the store intent it runs, the same function a button or a test calls.
import type { AppState } from './types.ts';
import type { PresetNumber } from './windows.ts';
import { WINDOW_PRESETS } from '../../src-shared/windows.ts';

export type KeyGroup = 'Slices' | 'Studies and series' | 'Window' | 'View' | 'Panels';

export interface KeyBinding {
  /** KeyboardEvent.key values (Shift is in the key itself: 'N' is Shift+N). */
  keys: readonly string[];
  label: string;
  group: KeyGroup;
  run: (s: AppState) => unknown;
}

export const KEY_GROUPS: readonly KeyGroup[] = ['Slices', 'Studies and series', 'Window', 'View', 'Panels'];

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { keys: ['ArrowDown'], label: 'Next slice (also the wheel)', group: 'Slices', run: (s) => s.nextSlice() },
  { keys: ['ArrowUp'], label: 'Previous slice', group: 'Slices', run: (s) => s.prevSlice() },
  { keys: ['Home'], label: 'First slice', group: 'Slices', run: (s) => s.firstSlice() },
  { keys: ['End'], label: 'Last slice', group: 'Slices', run: (s) => s.lastSlice() },
  { keys: ['n'], label: 'Next flagged slice (any at or above its threshold)', group: 'Slices', run: (s) => s.nextFlagged() },
  { keys: ['N'], label: 'Previous flagged slice', group: 'Slices', run: (s) => s.prevFlagged() },
  { keys: [' ', 'c'], label: 'Cine on / off', group: 'Slices', run: (s) => s.toggleCine() },
  { keys: [']'], label: 'Next study in the worklist', group: 'Studies and series', run: (s) => s.nextStudy() },
  { keys: ['['], label: 'Previous study in the worklist', group: 'Studies and series', run: (s) => s.prevStudy() },
  { keys: ['u'], label: 'Mark the open study unread (opening one marks it read)', group: 'Studies and series', run: (s) => s.toggleRead() },
  { keys: ['PageDown'], label: 'Next series', group: 'Studies and series', run: (s) => s.nextSeries() },
  { keys: ['PageUp'], label: 'Previous series', group: 'Studies and series', run: (s) => s.prevSeries() },
  // 1-6: the window presets in key order, labelled from the presets themselves (W / L).
  ...WINDOW_PRESETS.map((p, i): KeyBinding => ({
    keys: [String(i + 1)],
    label: p.width === null ? `${p.label}: the slice's own header window` : `${p.label} window (${p.width} / ${p.center})`,
    group: 'Window',
    run: (s) => s.setPreset((i + 1) as PresetNumber),
  })),
  { keys: ['l'], label: 'Lock the window for the next studies (else each study starts at brain)', group: 'Window', run: (s) => s.toggleWindowLock() },
  { keys: ['i'], label: 'Invert grey scale', group: 'View', run: (s) => s.toggleInvert() },
  { keys: ['z', '+'], label: 'Zoom in', group: 'View', run: (s) => s.zoomIn() },
  { keys: ['-'], label: 'Zoom out', group: 'View', run: (s) => s.zoomOut() },
  { keys: ['f', '='], label: 'Fit to the viewport', group: 'View', run: (s) => s.fit() },
  { keys: ['r'], label: 'Reset: fit, not inverted, brain window', group: 'View', run: (s) => s.resetView() },
  { keys: ['m'], label: 'Distance tool on / off (drag on the image; length in mm)', group: 'View', run: (s) => s.toggleMeasure() },
  { keys: ['Delete', 'Backspace'], label: "Remove this slice's distances", group: 'View', run: (s) => s.clearMeasurements() },
  { keys: ['h'], label: 'Saliency overlay: where the model looks', group: 'View', run: (s) => s.toggleSaliency() },
  { keys: ['t'], label: 'Training panel', group: 'Panels', run: (s) => s.toggleTraining() },
  { keys: ['e'], label: 'Engineering tables (members, blend weights, features)', group: 'Panels', run: (s) => s.toggleEngineering() },
  { keys: ['?'], label: 'This help', group: 'Panels', run: (s) => s.toggleHelp() },
];

/** Key -> intent, from the bindings. */
export const KEYMAP: Readonly<Record<string, (s: AppState) => unknown>> = Object.fromEntries(
  KEY_BINDINGS.flatMap((b) => b.keys.map((k) => [k, b.run] as const)),
);

const KEY_NAMES: Readonly<Record<string, string>> = {
  ' ': 'Space', Delete: 'Del', Backspace: '⌫', ArrowDown: '↓', ArrowUp: '↑', PageDown: 'PgDn', PageUp: 'PgUp', N: 'Shift+N',
};

/** How the help sheet writes a key. */
export const keyName = (key: string): string => KEY_NAMES[key] ?? key;

/** Runs the intent bound to a key; false when the key is not bound (the event is left alone). */
export function runKey(state: AppState, key: string): boolean {
  const intent = KEYMAP[key];
  if (!intent) return false;
  void intent(state);
  return true;
}
