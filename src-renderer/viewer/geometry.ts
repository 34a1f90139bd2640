// The image's geometry for the overlay: orientation markers from ImageOrientationPatient, distances in mm from the
// pixel spacing, and a scale bar of a round length. Pure functions, so they are tested without a browser.

/** The patient directions (DICOM LPS: +x left, +y posterior, +z head) a screen direction points to. */
export interface Orientation {
  /** Letters at the image's left, right, top and bottom edges, e.g. R L A P for an axial slice. */
  left: string;
  right: string;
  top: string;
  bottom: string;
}

/** Below this share a cosine adds no second letter (an oblique gantry of a few degrees stays "A"). */
const OBLIQUE = 0.25;

/** The letters of one direction cosine vector, strongest first (e.g. "PI" for a tilted column). */
export function directionLetters(v: readonly number[]): string {
  const axes = [
    { c: v[0] ?? 0, pos: 'L', neg: 'R' },
    { c: v[1] ?? 0, pos: 'P', neg: 'A' },
    { c: v[2] ?? 0, pos: 'S', neg: 'I' },
  ].sort((a, b) => Math.abs(b.c) - Math.abs(a.c));
  return axes.filter((a, i) => i === 0 || Math.abs(a.c) >= OBLIQUE).filter((a) => Math.abs(a.c) > 1e-6).map((a) => (a.c > 0 ? a.pos : a.neg)).join('');
}

const opposite = (letters: string): string => letters.replace(/[LRAPSI]/g, (c) => ({ L: 'R', R: 'L', A: 'P', P: 'A', S: 'I', I: 'S' })[c]!);

/**
 * Orientation markers from ImageOrientationPatient (the header's "r1\\r2\\r3\\c1\\c2\\c3": the row cosines point
 * along increasing column, to the screen's right; the column cosines along increasing row, down). Null when
 * the value is missing or not six numbers.
 */
export function orientationOf(iop: string | null | undefined): Orientation | null {
  if (!iop) return null;
  const v = iop.split('\\').map((x) => Number(x.trim()));
  if (v.length !== 6 || v.some((x) => !Number.isFinite(x))) return null;
  const right = directionLetters(v.slice(0, 3));
  const bottom = directionLetters(v.slice(3, 6));
  if (!right || !bottom) return null;
  return { left: opposite(right), right, top: opposite(bottom), bottom };
}

/** PixelSpacing "row\\column" (mm between rows, then between columns); null unless two positive numbers. */
export function pixelSpacingOf(value: string | null | undefined): { row: number; column: number } | null {
  const v = (value ?? '').split('\\').map((x) => Number(x.trim()));
  return v.length === 2 && v.every((x) => Number.isFinite(x) && x > 0) ? { row: v[0]!, column: v[1]! } : null;
}

/** A line between two image points (pixel coordinates). */
export interface Segment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The segment's length in mm (x runs along columns, y along rows); null without a pixel spacing. */
export function distanceMm(s: Segment, spacing: { row: number; column: number } | null): number | null {
  if (!spacing) return null;
  return Math.hypot((s.x1 - s.x0) * spacing.column, (s.y1 - s.y0) * spacing.row);
}

const ROUND_MM = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/**
 * A scale bar: the longest round length (1, 2, 5, 10 ... mm) that fits in `maxPx` screen pixels at `pxPerMm`,
 * and its length on screen; null when not even 1 mm fits or the scale is unknown.
 */
export function scaleBar(pxPerMm: number, maxPx: number): { mm: number; px: number } | null {
  if (!(pxPerMm > 0) || !Number.isFinite(pxPerMm)) return null;
  let best: number | null = null;
  for (const mm of ROUND_MM) if (mm * pxPerMm <= maxPx) best = mm;
  return best === null ? null : { mm: best, px: best * pxPerMm };
}

/** "12.3 mm" (one decimal), or pixels when there is no spacing. */
export const fmtLength = (mm: number | null, s: Segment): string =>
  mm === null ? `${Math.hypot(s.x1 - s.x0, s.y1 - s.y0).toFixed(1)} px` : `${mm.toFixed(1)} mm`;
