// The 48 metadata features of one slice, as the shallow NN saw them. They depend on the slice's series
// (positions, sizes) and on how many series its patient has (SeriesPP), so they are computed over that
// patient's instances only (data/metadata-rows with a patient filter), not every instance of a large index per click.
import { BOOL_COLS, CAT_COLS, computeMetadataFeatures, FLOAT_COLS, N_BOOL, N_CAT, N_CONTINUOUS, N_FLOAT, rowOf } from '../data/metadata-features.ts';
import { metadataRowsFromWorkspace } from '../data/metadata-rows.ts';
import { imagePatientId } from '../store/slice-metadata.ts';
import type { SliceDetail } from '../api/engine.ts';
import type { Workspace } from '../store/workspace.ts';

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The slice's features, or null when the image is not indexed. */
export function sliceMetadataFeatures(ws: Workspace, imageId: string): SliceDetail['metadataFeatures'] {
  const patientId = imagePatientId(ws, imageId);
  if (patientId === undefined) return null;
  const rows = metadataRowsFromWorkspace(ws, [patientId]);
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
