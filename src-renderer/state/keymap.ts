// Hotkeys as data: each key names one store intent, the same function a button or a test calls.
import type { AppState } from './types.ts';

export const KEYMAP: Readonly<Record<string, (s: AppState) => unknown>> = {
  ArrowDown: (s) => s.nextSlice(),
  ArrowUp: (s) => s.prevSlice(),
  PageDown: (s) => s.nextSeries(),
  PageUp: (s) => s.prevSeries(),
  Home: (s) => s.firstSlice(),
  End: (s) => s.lastSlice(),
  '1': (s) => s.setPreset(1),
  '2': (s) => s.setPreset(2),
  '3': (s) => s.setPreset(3),
  '4': (s) => s.setPreset(4),
  '5': (s) => s.setPreset(5),
  '6': (s) => s.setPreset(6),
  c: (s) => s.toggleCine(),
  z: (s) => s.zoomIn(),
  '+': (s) => s.zoomIn(),
  '-': (s) => s.zoomOut(),
  '=': (s) => s.fit(),
  t: (s) => s.toggleTraining(),
  h: (s) => s.toggleSaliency(),
};

/** Runs the intent bound to a key; false when the key is not bound (the event is left alone). */
export function runKey(state: AppState, key: string): boolean {
  const intent = KEYMAP[key];
  if (!intent) return false;
  void intent(state);
  return true;
}
