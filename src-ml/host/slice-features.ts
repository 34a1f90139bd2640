// The 48 metadata features of one slice, as the shallow NN saw them. They depend on the slice's series
// (positions, sizes) and on how many series its patient has (SeriesPP), so they are computed over that
// patient's instances only: the same rows, in the same order, as data/metadata-rows gives for the whole
// workspace, without reading every instance of a large index per click.
import { BOOL_COLS, CAT_COLS, computeMetadataFeatures, FLOAT_COLS, N_BOOL, N_CAT, N_CONTINUOUS, N_FLOAT, rowOf } from '../data/metadata-features.ts';
import type { MetaInputRow } from '../data/metadata-rows.ts';
import type { SliceDetail } from '../api/engine.ts';
import type { Workspace } from '../store/workspace.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);
const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

function patientRows(ws: Workspace, patientId: string): MetaInputRow[] {
  // Same columns and ORDER BY as metadataRowsFromWorkspace, restricted to one patient.
  const rows = ws.db.prepare(`
    SELECT * FROM (
      SELECT i.image_id, i.series_uid, COALESCE(st.patient_id, i.PatientID, '') AS patient_id,
        i.ImageOrientationPatient_0 AS iop0, i.ImageOrientationPatient_1 AS iop1, i.ImageOrientationPatient_2 AS iop2,
        i.ImageOrientationPatient_3 AS iop3, i.ImageOrientationPatient_4 AS iop4, i.ImageOrientationPatient_5 AS iop5,
        i.ImagePositionPatient_0 AS ipp0, i.ImagePositionPatient_1 AS ipp1, i.ImagePositionPatient_2 AS ipp2,
        i.PixelSpacing_1 AS ps1, i.WindowCenter_0 AS wc0, i.WindowCenter_1 AS wc1, i.WindowWidth_0 AS ww0, i.WindowWidth_1 AS ww1,
        i.BitsStored AS bits, i.PixelRepresentation AS prep, i.RescaleIntercept AS intercept,
        i.PxlMin AS pmin, i.PxlMax AS pmax, i.PxlMean AS pmean, i.PxlStd AS pstd
      FROM instances i LEFT JOIN studies st ON st.study_uid = i.study_uid)
    WHERE patient_id = ?
    ORDER BY series_uid, ipp2 IS NULL, ipp2, image_id`).all(patientId) as Record<string, unknown>[];
  return rows.map((r) => ({
    imageId: String(r.image_id),
    seriesUid: String(r.series_uid),
    patientId: String(r.patient_id ?? ''),
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
  }));
}

/** The slice's features, or null when the image is not indexed. */
export function sliceMetadataFeatures(ws: Workspace, imageId: string): SliceDetail['metadataFeatures'] {
  const owner = ws.db.prepare(`SELECT COALESCE(st.patient_id, i.PatientID, '') AS patient_id
    FROM instances i LEFT JOIN studies st ON st.study_uid = i.study_uid WHERE i.image_id = ?`).get(imageId) as { patient_id: string } | undefined;
  if (!owner) return null;
  const rows = patientRows(ws, owner.patient_id);
  const i = rows.findIndex((r) => r.imageId === imageId);
  if (i < 0) return null;
  const f = computeMetadataFeatures(rows);
  const scaled = rowOf(f.continuous, N_CONTINUOUS, i);
  const rawFloats = rowOf(f.rawFloats, N_FLOAT, i);
  return {
    names: [...BOOL_COLS, ...FLOAT_COLS],
    raw: [...scaled.slice(0, N_BOOL), ...rawFloats.map(finiteOrNull)],
    scaled,
    categorical: { names: [...CAT_COLS], values: rowOf(f.categorical, N_CAT, i) },
  };
}
