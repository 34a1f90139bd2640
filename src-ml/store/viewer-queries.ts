// The viewer's reads of the index (host/engine-service): the worklist's studies and a study's series with
// their highest 'any' probabilities of the safe and risky ensembles, and one slice's stored header and
// metadata columns. A series' slices in order come from queries.ts (orderedSeriesSlices), its
// predictions from predictions.ts (seriesEnsemblePredictions).
import type { KeyImage, SeriesSummary, StudyRow } from '../api/engine.ts';
import { METADATA_COLUMNS } from './schema.ts';
import { LABELS, type Label } from '../../src-shared/labels.ts';
import { DEFAULT_FLAG_THRESHOLD, KEY_IMAGES } from '../../src-shared/engine.ts';
import type { Workspace } from './workspace.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'bigint' ? Number(v) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

/** The highest p_any of each ensemble over a group's slices (null: none predicted). */
const MAX_ANY = `MAX(ps.p_any) max_safe, MAX(pr.p_any) max_risky`;
const ENSEMBLE_JOINS = `LEFT JOIN predictions ps ON ps.image_id = i.image_id AND ps.source = 'safe'
        LEFT JOIN predictions pr ON pr.image_id = i.image_id AND pr.source = 'risky'`;

/** A key image before its URL (the host's). `urlImageId`: the image whose URL serves its file (a multi-frame file's lowest frame). */
export type KeyImageRecord = Omit<KeyImage, 'dicomUrl'> & { urlImageId: string };

/** A worklist row before the flag (the threshold is the caller's) and its key images' URLs. */
export type StudySummaryRecord = Omit<StudyRow, 'flagged' | 'keyImages'> & { keyImages?: KeyImageRecord[] };

/** Per label: the slices whose higher of the safe and risky probability is at or above the threshold (`?`). */
const SLICES_ABOVE = LABELS.map((l) => `SUM(CASE WHEN MAX(COALESCE(ps.p_${l}, -1), COALESCE(pr.p_${l}, -1)) >= ? THEN 1 ELSE 0 END) above_${l}`).join(',\n        ');

/**
 * Every study with at least one indexed slice (unordered: the worklist sorts and filters), with its slices at or
 * above `threshold` per label.
 */
export function studySummaries(ws: Workspace, threshold = DEFAULT_FLAG_THRESHOLD): StudySummaryRecord[] {
  const rows = ws.db.prepare(`
      SELECT st.study_uid, st.patient_id, st.patient_name, st.study_date, st.study_description,
        COUNT(DISTINCT i.series_uid) series_count, COUNT(i.image_id) slice_count, ${MAX_ANY},
        COUNT(ps.image_id) + COUNT(pr.image_id) predicted,
        (SELECT json_extract(i2.header_json, '$."0008,0030"') FROM series s2 JOIN instances i2 ON i2.series_uid = s2.series_uid
          WHERE s2.study_uid = st.study_uid AND json_extract(i2.header_json, '$."0008,0030"') IS NOT NULL LIMIT 1) study_time,
        ${SLICES_ABOVE}
      FROM studies st
        JOIN instances i ON i.study_uid = st.study_uid
        ${ENSEMBLE_JOINS}
      GROUP BY st.study_uid`).all(...LABELS.map(() => threshold)) as Record<string, unknown>[];
  const keys = keyImageRecords(ws);
  return rows.map((r) => ({
    studyUid: str(r.study_uid), patientId: str(r.patient_id), patientName: str(r.patient_name),
    studyDate: str(r.study_date), description: str(r.study_description),
    seriesCount: Number(r.series_count), sliceCount: Number(r.slice_count),
    maxAnySafe: num(r.max_safe), maxAnyRisky: num(r.max_risky),
    studyTime: str(r.study_time).trim(),
    ...(Number(r.predicted) > 0 ? { slicesAbove: Object.fromEntries(LABELS.map((l) => [l, Number(r[`above_${l}`])])) as Record<Label, number> } : {}),
    ...(keys.has(str(r.study_uid)) ? { keyImages: keys.get(str(r.study_uid)) } : {}),
  }));
}

/** Per study: its KEY_IMAGES predicted slices with the highest `any` (the higher of safe and risky), highest first. */
export function keyImageRecords(ws: Workspace, perStudy = KEY_IMAGES): Map<string, KeyImageRecord[]> {
  const rows = ws.db.prepare(`
      SELECT study_uid, series_uid, image_id, frame, p, url_id FROM (
        SELECT i.study_uid, i.series_uid, i.image_id, i.frame, MAX(COALESCE(ps.p_any, -1), COALESCE(pr.p_any, -1)) p,
          CASE WHEN i.frame IS NULL THEN i.image_id
            ELSE (SELECT f.image_id FROM instances f WHERE f.file_id = i.file_id ORDER BY f.frame LIMIT 1) END url_id,
          ROW_NUMBER() OVER (PARTITION BY i.study_uid ORDER BY MAX(COALESCE(ps.p_any, -1), COALESCE(pr.p_any, -1)) DESC, i.image_id) rn
        FROM instances i
          ${ENSEMBLE_JOINS}
        WHERE ps.image_id IS NOT NULL OR pr.image_id IS NOT NULL)
      WHERE rn <= ?
      ORDER BY study_uid, rn`).all(perStudy) as Record<string, unknown>[];
  const out = new Map<string, KeyImageRecord[]>();
  for (const r of rows) {
    const uid = str(r.study_uid);
    const list = out.get(uid) ?? [];
    list.push({ seriesUid: str(r.series_uid), imageId: str(r.image_id), frame: num(r.frame), pAny: Number(r.p), urlImageId: str(r.url_id) });
    out.set(uid, list);
  }
  return out;
}

/** The series of one study, by series number (missing last), then uid; empty for an unknown study. */
export function seriesSummaries(ws: Workspace, studyUid: string): SeriesSummary[] {
  const rows = ws.db.prepare(`
      SELECT s.series_uid, s.study_uid, s.modality, s.series_number, s.series_description, s.manufacturer,
        COUNT(i.image_id) slice_count, ${MAX_ANY}
      FROM series s
        JOIN instances i ON i.series_uid = s.series_uid
        ${ENSEMBLE_JOINS}
      WHERE s.study_uid = ?
      GROUP BY s.series_uid
      ORDER BY s.series_number IS NULL, s.series_number, s.series_uid`).all(studyUid) as Record<string, unknown>[];
  return rows.map((r) => ({
    seriesUid: str(r.series_uid), studyUid: str(r.study_uid), modality: str(r.modality), seriesNumber: num(r.series_number),
    description: str(r.series_description), manufacturer: str(r.manufacturer), sliceCount: Number(r.slice_count),
    maxAnySafe: num(r.max_safe), maxAnyRisky: num(r.max_risky),
  }));
}

export interface SliceRecord {
  seriesUid: string;
  /** The stored DICOM header (keyword -> text). */
  header: Record<string, string>;
  /** Every metadata column (schema.ts METADATA_COLUMNS) of the slice. */
  fields: Record<string, string | number | null>;
}

/** One slice's stored header and metadata columns, or undefined when the image is not indexed. */
export function sliceRecord(ws: Workspace, imageId: string): SliceRecord | undefined {
  const cols = METADATA_COLUMNS.map(([c]) => `"${c}"`).join(', ');
  const r = ws.db.prepare(`SELECT series_uid, header_json, ${cols} FROM instances WHERE image_id = ?`).get(imageId) as Record<string, unknown> | undefined;
  if (!r) return undefined;
  const fields: Record<string, string | number | null> = {};
  for (const [c] of METADATA_COLUMNS) {
    const v = r[c];
    fields[c] = typeof v === 'bigint' ? Number(v) : typeof v === 'number' || typeof v === 'string' ? v : null;
  }
  return { seriesUid: str(r.series_uid), header: JSON.parse(str(r.header_json) || '{}') as Record<string, string>, fields };
}
