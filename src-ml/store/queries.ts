// Read side of the index: counts, image ids, series in slice order with their warnings (the one slice
// ordering every reader shares: scan report, predictor, viewer), and problems, optionally limited to the
// files of one scan. Slice order is derived from the stored geometry on every read.
import { orderSlices } from '../dicom/geometry.ts';
import type { ScanProblem, ScanReport, ScanSeries } from '../api/scan.ts';
import type { ProblemKind } from '../dicom/errors.ts';
import type { Workspace } from './workspace.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

function triple(v: (number | null)[]): number[] | undefined {
  return v.every((x) => x !== null) ? (v as number[]) : undefined;
}

/** One slice of a series as the index holds it, in slice order (orderedSeriesSlices). */
export interface OrderedSlice {
  imageId: string;
  fileId: number;
  /** Frame of a multi-frame file, or null. */
  frame: number | null;
  sopInstanceUid: string;
  instanceNumber: number | null;
  thickness: number | null;
  windowCenter: number | null;
  windowWidth: number | null;
  rows: number | null;
  columns: number | null;
  studyUid: string;
  modality: string;
  /** studies.patient_id, else the slice's PatientID, else ''. */
  patientId: string;
  /** Location along the series normal (mm); null when the series falls back to InstanceNumber order. */
  position: number | null;
}

export interface OrderedSeries {
  slices: OrderedSlice[];
  /** The ordering's warnings, then the distinct warnings recorded for the slices' files. */
  warnings: string[];
}

/**
 * The one place slices are put in order: by position along the series normal (dicom/geometry orderSlices),
 * derived from the stored geometry on every read. Returns a reader (one prepared statement for many series);
 * an unknown series has no slices.
 */
export function orderedSeriesSlicesReader(ws: Workspace): (seriesUid: string) => OrderedSeries {
  const stmt = ws.db.prepare(`
    SELECT i.image_id, i.file_id, i.frame, i.SOPInstanceUID sop, i.InstanceNumber inst, i.SliceThickness thick,
      i.WindowCenter_0 wc, i.WindowWidth_0 ww, i.Rows nrows, i.Columns ncols, i.study_uid, i.Modality modality, i.warnings,
      COALESCE(st.patient_id, i.PatientID, '') patient_id,
      i.ImagePositionPatient_0 p0, i.ImagePositionPatient_1 p1, i.ImagePositionPatient_2 p2,
      i.ImageOrientationPatient_0 o0, i.ImageOrientationPatient_1 o1, i.ImageOrientationPatient_2 o2,
      i.ImageOrientationPatient_3 o3, i.ImageOrientationPatient_4 o4, i.ImageOrientationPatient_5 o5
    FROM instances i LEFT JOIN studies st ON st.study_uid = i.study_uid
    WHERE i.series_uid = ?`);
  return (seriesUid) => {
    const rows = stmt.all(seriesUid) as Record<string, unknown>[];
    const order = orderSlices(rows.map((r) => ({
      id: str(r.image_id),
      position: triple([num(r.p0), num(r.p1), num(r.p2)]),
      orientation: triple([num(r.o0), num(r.o1), num(r.o2), num(r.o3), num(r.o4), num(r.o5)]),
      instanceNumber: num(r.inst) ?? undefined,
    })));
    const byId = new Map(rows.map((r) => [str(r.image_id), r]));
    const fileWarnings = new Set<string>();
    for (const r of rows) for (const w of JSON.parse(str(r.warnings) || '[]') as string[]) fileWarnings.add(w);
    const slices = order.order.map((id, index): OrderedSlice => {
      const r = byId.get(id)!;
      return {
        imageId: id, fileId: Number(r.file_id), frame: num(r.frame), sopInstanceUid: str(r.sop), instanceNumber: num(r.inst),
        thickness: num(r.thick), windowCenter: num(r.wc), windowWidth: num(r.ww), rows: num(r.nrows), columns: num(r.ncols),
        studyUid: str(r.study_uid), modality: str(r.modality), patientId: str(r.patient_id), position: order.location[index] ?? null,
      };
    });
    return { slices, warnings: [...order.warnings, ...fileWarnings] };
  };
}

/** The slices of one series in slice order (see orderedSeriesSlicesReader). */
export function orderedSeriesSlices(ws: Workspace, seriesUid: string): OrderedSeries {
  return orderedSeriesSlicesReader(ws)(seriesUid);
}

/** Limits a query to files under a set of paths, through a temp table (scopes can hold 750k paths). */
function withScope<T>(ws: Workspace, paths: string[] | undefined, fn: (join: string) => T): T {
  if (!paths) return fn('');
  ws.db.exec('CREATE TEMP TABLE IF NOT EXISTS scope (path TEXT PRIMARY KEY); DELETE FROM scope;');
  const ins = ws.db.prepare('INSERT OR IGNORE INTO scope (path) VALUES (?)');
  ws.db.exec('BEGIN');
  for (const p of paths) ins.run(p);
  ws.db.exec('COMMIT');
  try {
    return fn('JOIN scope sc ON sc.path = f.path');
  } finally {
    ws.db.exec('DELETE FROM scope');
  }
}

/** Series (and their ordered slices) with at least one slice in the given files, or all series. */
export function listSeries(ws: Workspace, scopePaths?: string[]): ScanSeries[] {
  return withScope(ws, scopePaths, (join) => {
    const seriesUids = (ws.db.prepare(`SELECT DISTINCT i.series_uid FROM instances i JOIN files f USING (file_id) ${join}`).all() as { series_uid: string }[])
      .map((r) => r.series_uid);
    const seriesStmt = ws.db.prepare(`SELECT s.series_uid, s.study_uid, s.modality, st.patient_id FROM series s JOIN studies st USING (study_uid) WHERE s.series_uid = ?`);
    const slicesOf = orderedSeriesSlicesReader(ws);
    const out: ScanSeries[] = [];
    for (const uid of seriesUids.sort()) {
      const s = seriesStmt.get(uid) as { series_uid: string; study_uid: string; modality: string; patient_id: string } | undefined;
      if (!s) continue;
      const ordered = slicesOf(uid);
      out.push({
        seriesInstanceUid: s.series_uid,
        studyInstanceUid: s.study_uid,
        patientId: s.patient_id,
        modality: s.modality,
        instances: ordered.slices.map((sl) => sl.imageId),
        warnings: ordered.warnings,
      });
    }
    return out;
  });
}

/** Problems recorded for the given files (or all files), sorted by path. */
export function listProblems(ws: Workspace, scopePaths?: string[]): ScanProblem[] {
  return withScope(ws, scopePaths, (join) =>
    (ws.db.prepare(`SELECT f.path, p.kind, p.message FROM problems p JOIN files f USING (file_id) ${join} ORDER BY f.path`).all() as
      { path: string; kind: ProblemKind; message: string }[]).map((r) => ({ path: r.path, kind: r.kind, message: r.message })));
}

export function scanReport(ws: Workspace, scopePaths?: string[]): ScanReport {
  return { series: listSeries(ws, scopePaths), problems: listProblems(ws, scopePaths) };
}

/** How many studies, series and slices the index holds. */
export function indexCounts(ws: Workspace): { studies: number; series: number; slices: number } {
  const count = (sql: string) => Number((ws.db.prepare(sql).get() as { n: number }).n);
  return {
    studies: count('SELECT COUNT(*) n FROM studies'),
    series: count('SELECT COUNT(DISTINCT series_uid) n FROM instances'),
    slices: count('SELECT COUNT(*) n FROM instances'),
  };
}

/** Every indexed image id, sorted. */
export function indexedImageIds(ws: Workspace): string[] {
  return (ws.db.prepare('SELECT image_id FROM instances ORDER BY image_id').all() as { image_id: string }[]).map((r) => r.image_id);
}
