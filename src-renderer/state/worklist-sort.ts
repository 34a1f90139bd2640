// The worklist's order: the engine's priority (flagged first, then highest `any`, then newest) unless the reader
// sorted by a column; and which studies the reader has opened (read), kept in the browser's storage.
import type { StudyRow } from '../../src-ml/api/engine.ts';

export type StudySortKey = 'patient' | 'date' | 'series' | 'slices' | 'safe' | 'risky';

/** Where a column sorts first: names A-Z, the rest highest (newest) first. */
export const FIRST_DIR: Record<StudySortKey, 1 | -1> = { patient: 1, date: -1, series: -1, slices: -1, safe: -1, risky: -1 };

const valueOf = (s: StudyRow, key: StudySortKey): string | number | null => {
  switch (key) {
    case 'patient': return (s.patientName || s.patientId).toLowerCase();
    case 'date': return s.studyDate ? `${s.studyDate} ${s.studyTime ?? ''}`.trim() : null;
    case 'series': return s.seriesCount;
    case 'slices': return s.sliceCount;
    case 'safe': return s.maxAnySafe;
    case 'risky': return s.maxAnyRisky;
  }
};

/** The rows sorted by a column (missing values last either way; ties keep the engine's order); null: as given. */
export function sortStudies(rows: readonly StudyRow[], key: StudySortKey | null, dir: 1 | -1): StudyRow[] {
  if (!key) return [...rows];
  return rows.map((row, i) => ({ row, i, v: valueOf(row, key) })).sort((a, b) => {
    if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
    const c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return c !== 0 ? c * dir : a.i - b.i;
  }).map((x) => x.row);
}

const READ_KEY = 'ich-viewer.read-studies';

/** The studies marked read in this browser (none where there is no storage). */
export function loadRead(): Record<string, true> {
  try {
    const raw = globalThis.localStorage?.getItem(READ_KEY);
    const list = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(list) ? Object.fromEntries(list.filter((x): x is string => typeof x === 'string').map((uid) => [uid, true] as const)) : {};
  } catch {
    return {};
  }
}

export function saveRead(read: Record<string, true>): void {
  try {
    globalThis.localStorage?.setItem(READ_KEY, JSON.stringify(Object.keys(read)));
  } catch {
    // no storage (private mode, a test): read marks last for the page
  }
}
