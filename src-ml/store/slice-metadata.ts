// The per-slice DICOM metadata the seed's metadata features need (docs/seed-pipeline.md section 6), read out of the
// index: one row per CT instance (the scan only indexes CT images; everything else is a `not_ct` problem),
// labelled or not, ordered by series then ascending z like the seed's
// sort_values(['SeriesInstanceUID', 'ImagePositionPatient_2']). A missing z sorts last within its series (pandas'
// na_position='last'); ties are broken by image id so the order is deterministic. data/metadata-features
// turns these rows into features; data/metadata-rows re-exports them for the data side.
import type { Workspace } from './workspace.ts';

export interface MetaInputRow {
  imageId: string;
  seriesUid: string;
  /** DICOM PatientID (studies.patient_id), for SeriesPP. */
  patientId: string;
  /** ImageOrientationPatient_0..5 */
  iop: (number | null)[];
  /** ImagePositionPatient_0..2 */
  ipp: (number | null)[];
  pixelSpacing1: number | null;
  windowCenter0: number | null;
  /** Second WindowCenter value; null where the field is single-valued. */
  windowCenter1: number | null;
  windowWidth0: number | null;
  windowWidth1: number | null;
  bitsStored: number | null;
  pixelRepresentation: number | null;
  rescaleIntercept: number | null;
  pxlMin: number | null;
  pxlMax: number | null;
  pxlMean: number | null;
  pxlStd: number | null;
}

interface DbRow {
  image_id: string;
  series_uid: string;
  patient_id: string | null;
  [column: string]: unknown;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);

/**
 * Every CT instance of the workspace (all series, labelled or not), ordered by series then z; or only the
 * instances of the given patients (what a slice's features depend on: its series and its patient's
 * series count), so one study does not read a large index.
 */
export function metadataRowsFromWorkspace(ws: Workspace, patientIds?: readonly string[]): MetaInputRow[] {
  const where = patientIds ? `WHERE COALESCE(st.patient_id, i.PatientID, '') IN (SELECT value FROM json_each(?))` : '';
  const stmt = ws.db.prepare(`
    SELECT i.image_id, i.series_uid, COALESCE(st.patient_id, i.PatientID, '') AS patient_id,
      i.ImageOrientationPatient_0 AS iop0, i.ImageOrientationPatient_1 AS iop1, i.ImageOrientationPatient_2 AS iop2,
      i.ImageOrientationPatient_3 AS iop3, i.ImageOrientationPatient_4 AS iop4, i.ImageOrientationPatient_5 AS iop5,
      i.ImagePositionPatient_0 AS ipp0, i.ImagePositionPatient_1 AS ipp1, i.ImagePositionPatient_2 AS ipp2,
      i.PixelSpacing_1 AS ps1, i.WindowCenter_0 AS wc0, i.WindowCenter_1 AS wc1, i.WindowWidth_0 AS ww0, i.WindowWidth_1 AS ww1,
      i.BitsStored AS bits, i.PixelRepresentation AS prep, i.RescaleIntercept AS intercept,
      i.PxlMin AS pmin, i.PxlMax AS pmax, i.PxlMean AS pmean, i.PxlStd AS pstd
    FROM instances i LEFT JOIN studies st ON st.study_uid = i.study_uid
    ${where}
    ORDER BY i.series_uid, i.ImagePositionPatient_2 IS NULL, i.ImagePositionPatient_2, i.image_id`);
  const rows = (patientIds ? stmt.iterate(JSON.stringify(patientIds)) : stmt.iterate()) as Iterable<DbRow>;
  const out: MetaInputRow[] = [];
  for (const r of rows) {
    out.push({
      imageId: r.image_id,
      seriesUid: r.series_uid,
      patientId: r.patient_id ?? '',
      iop: [num(r.iop0), num(r.iop1), num(r.iop2), num(r.iop3), num(r.iop4), num(r.iop5)],
      ipp: [num(r.ipp0), num(r.ipp1), num(r.ipp2)],
      pixelSpacing1: num(r.ps1),
      windowCenter0: num(r.wc0),
      windowCenter1: num(r.wc1),
      windowWidth0: num(r.ww0),
      windowWidth1: num(r.ww1),
      bitsStored: num(r.bits),
      pixelRepresentation: num(r.prep),
      rescaleIntercept: num(r.intercept),
      pxlMin: num(r.pmin),
      pxlMax: num(r.pmax),
      pxlMean: num(r.pmean),
      pxlStd: num(r.pstd),
    });
  }
  return out;
}

/** The patient whose instances a slice's metadata features are computed over (undefined: not indexed). */
export function imagePatientId(ws: Workspace, imageId: string): string | undefined {
  const owner = ws.db.prepare(`SELECT COALESCE(st.patient_id, i.PatientID, '') AS patient_id
    FROM instances i LEFT JOIN studies st ON st.study_uid = i.study_uid WHERE i.image_id = ?`).get(imageId) as { patient_id: string } | undefined;
  return owner?.patient_id;
}
