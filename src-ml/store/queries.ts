// Read side of the index: series in slice order with their warnings, and problems, optionally limited
// to the files of one scan. Slice order is derived from the stored geometry on every read.
import { orderSlices } from '../dicom/geometry.ts';
import type { ScanProblem, ScanReport, ScanSeries } from '../api/scan.ts';
import type { ProblemKind } from '../dicom/errors.ts';
import type { Workspace } from './workspace.ts';

interface InstanceGeometryRow {
  image_id: string;
  series_uid: string;
  InstanceNumber: number | null;
  p0: number | null; p1: number | null; p2: number | null;
  o0: number | null; o1: number | null; o2: number | null; o3: number | null; o4: number | null; o5: number | null;
  warnings: string;
}

function triple(...v: (number | null)[]): number[] | undefined {
  return v.every((x) => x !== null) ? (v as number[]) : undefined;
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
    const slicesStmt = ws.db.prepare(`SELECT image_id, InstanceNumber,
        ImagePositionPatient_0 p0, ImagePositionPatient_1 p1, ImagePositionPatient_2 p2,
        ImageOrientationPatient_0 o0, ImageOrientationPatient_1 o1, ImageOrientationPatient_2 o2,
        ImageOrientationPatient_3 o3, ImageOrientationPatient_4 o4, ImageOrientationPatient_5 o5, warnings
      FROM instances WHERE series_uid = ?`);
    const out: ScanSeries[] = [];
    for (const uid of seriesUids.sort()) {
      const s = seriesStmt.get(uid) as { series_uid: string; study_uid: string; modality: string; patient_id: string } | undefined;
      if (!s) continue;
      const rows = slicesStmt.all(uid) as unknown as InstanceGeometryRow[];
      const order = orderSlices(rows.map((r) => ({
        id: r.image_id,
        position: triple(r.p0, r.p1, r.p2),
        orientation: triple(r.o0, r.o1, r.o2, r.o3, r.o4, r.o5),
        instanceNumber: r.InstanceNumber ?? undefined,
      })));
      const fileWarnings = new Set<string>();
      for (const r of rows) for (const w of JSON.parse(r.warnings) as string[]) fileWarnings.add(w);
      out.push({
        seriesInstanceUid: s.series_uid,
        studyInstanceUid: s.study_uid,
        patientId: s.patient_id,
        modality: s.modality,
        instances: order.order,
        warnings: [...order.warnings, ...fileWarnings],
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
