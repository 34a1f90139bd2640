// Display window presets (center/width in HU), shared by the CLI and the viewer, which binds them to
// the number keys 1-6 in this order. Data only: no Node or DOM imports.

export type WindowPresetId = 'brain' | 'subdural' | 'stroke' | 'bone' | 'soft' | 'header';

export interface WindowPreset {
  id: WindowPresetId;
  label: string;
  /** HU; null for `header`, whose values come from the image's own WindowCenter/WindowWidth. */
  center: number | null;
  width: number | null;
}

/** In key order: 1 brain ... 6 header. */
export const WINDOW_PRESETS: readonly WindowPreset[] = [
  { id: 'brain', label: 'Brain', center: 40, width: 80 },
  { id: 'subdural', label: 'Subdural', center: 80, width: 200 },
  { id: 'stroke', label: 'Stroke', center: 40, width: 40 },
  { id: 'bone', label: 'Bone', center: 600, width: 2800 },
  { id: 'soft', label: 'Soft tissue', center: 40, width: 400 },
  { id: 'header', label: 'Header', center: null, width: null },
];

/** A resolved window: the VOI LUT's center and width (width >= 1), in HU. */
export interface VoiWindow {
  center: number;
  width: number;
}

/** A window as asked for: a preset (resolved later for `header`) or explicit values. */
export type WindowChoice = { kind: 'preset'; preset: WindowPreset } | { kind: 'explicit'; window: VoiWindow };

export const WINDOW_ARG_HELP = `${WINDOW_PRESETS.map((p) => p.id).join('|')}|C/W (center/width in HU, e.g. 40/80)`;

const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)`;
const CENTER_WIDTH = new RegExp(`^\\s*(${NUMBER})\\s*/\\s*(${NUMBER})\\s*$`);

/**
 * Parses a window argument: a preset id (case-insensitive), or "C/W" with the center first and the
 * width second, e.g. "40/80" is center 40, width 80 (the brain window). Throws a one-line Error.
 */
export function parseWindowArg(arg: string): WindowChoice {
  const preset = WINDOW_PRESETS.find((p) => p.id === arg.trim().toLowerCase());
  if (preset) return { kind: 'preset', preset };
  const m = CENTER_WIDTH.exec(arg);
  if (!m) throw new Error(`--window "${arg}" is neither a preset (${WINDOW_PRESETS.map((p) => p.id).join(', ')}) nor center/width like 40/80`);
  const center = Number(m[1]);
  const width = Number(m[2]);
  // PS3.3 C.11.2.1.2: Window Width shall be >= 1.
  if (!(width >= 1)) throw new Error(`--window "${arg}": width ${width} must be at least 1 (the form is center/width)`);
  return { kind: 'explicit', window: { center, width } };
}

/**
 * The window to apply: a fixed preset or explicit values as they are, `header` from the first
 * WindowCenter/WindowWidth pair of the image. Null when `header` is asked for and the image has no
 * usable pair (absent, or width below 1).
 */
export function resolveWindow(choice: WindowChoice, header: { windowCenter: readonly number[]; windowWidth: readonly number[] }): VoiWindow | null {
  if (choice.kind === 'explicit') return choice.window;
  const { center, width } = choice.preset;
  if (center !== null && width !== null) return { center, width };
  const c = header.windowCenter[0];
  const w = header.windowWidth[0];
  if (c === undefined || w === undefined || !Number.isFinite(c) || !(w >= 1)) return null;
  return { center: c, width: w };
}
