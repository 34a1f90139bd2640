// Writes scanned files into the index. Callers wrap a batch in Workspace.transaction, so a file's
// rows (files, problems, studies, series, instances) land together or not at all.
import type { StatementSync } from 'node:sqlite';
import type { ProblemKind } from '../dicom/errors.ts';
import { imageIdOf } from '../dicom/header.ts';
import type { CtImageFile } from '../dicom/read-image.ts';
import { recordFileIdentity, type FileIdentity } from './file-identity.ts';
import { METADATA_COLUMNS } from './schema.ts';
import type { Workspace } from './workspace.ts';

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** Device, inode, size, mtime of the bytes read (file-identity.ts); absent when the file could not be read. */
  identity?: FileIdentity;
  result: { image: CtImageFile } | { problem: { kind: ProblemKind; message: string } };
}

type SqlValue = string | number | null;

const INSTANCE_COLUMNS = [
  'image_id', 'file_id', 'frame', 'series_uid', 'study_uid', 'InstanceNumber', 'SliceThickness', 'SOPClassUID',
  ...METADATA_COLUMNS.map(([name]) => name), 'warnings', 'header_json',
];

export class IndexWriter {
  private readonly ws: Workspace;
  private readonly upsertFile: StatementSync;
  private readonly clearFile: StatementSync;
  private readonly insertProblem: StatementSync;
  private readonly clearProblem: StatementSync;
  private readonly upsertStudy: StatementSync;
  private readonly upsertSeries: StatementSync;
  private readonly insertInstance: StatementSync;
  private readonly ownerOf: StatementSync;
  private readonly seriesOfFile: StatementSync;
  /** Series that lost slices since the last pruneOrphans(): only these can have become empty. */
  private readonly touched = new Set<string>();

  constructor(ws: Workspace) {
    this.ws = ws;
    const db = ws.db;
    this.upsertFile = db.prepare(`INSERT INTO files (path, size, mtime_ms, status, transfer_syntax, scanned_at)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, status = excluded.status,
        transfer_syntax = excluded.transfer_syntax, scanned_at = excluded.scanned_at
      RETURNING file_id`);
    this.clearFile = db.prepare('DELETE FROM instances WHERE file_id = ?');
    this.clearProblem = db.prepare('DELETE FROM problems WHERE file_id = ?');
    this.insertProblem = db.prepare('INSERT OR REPLACE INTO problems (file_id, kind, message) VALUES (?, ?, ?)');
    this.upsertStudy = db.prepare(`INSERT INTO studies (study_uid, patient_id, patient_name, study_date, study_description)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT(study_uid) DO UPDATE SET patient_id = excluded.patient_id,
      patient_name = excluded.patient_name, study_date = excluded.study_date, study_description = excluded.study_description`);
    this.upsertSeries = db.prepare(`INSERT INTO series (series_uid, study_uid, modality, series_number, series_description, manufacturer)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(series_uid) DO UPDATE SET study_uid = excluded.study_uid, modality = excluded.modality,
      series_number = excluded.series_number, series_description = excluded.series_description, manufacturer = excluded.manufacturer`);
    const cols = INSTANCE_COLUMNS.map((c) => `"${c}"`).join(', ');
    const updates = INSTANCE_COLUMNS.filter((c) => c !== 'image_id').map((c) => `"${c}" = excluded."${c}"`).join(', ');
    this.insertInstance = db.prepare(`INSERT INTO instances (${cols}) VALUES (${INSTANCE_COLUMNS.map(() => '?').join(', ')})
      ON CONFLICT(image_id) DO UPDATE SET ${updates}`);
    this.seriesOfFile = db.prepare('SELECT DISTINCT series_uid FROM instances WHERE file_id = ?');
    this.ownerOf = db.prepare('SELECT f.path FROM instances i JOIN files f USING (file_id) WHERE i.image_id = ? AND i.file_id <> ?');
  }

  /** Replaces everything the index holds for this file. */
  write(file: ScannedFile): void {
    const now = new Date().toISOString();
    const ok = 'image' in file.result;
    const ts = ok ? (file.result as { image: CtImageFile }).image.transferSyntaxUid : null;
    const { file_id: fileId } = this.upsertFile.get(file.path, file.size, Math.round(file.mtimeMs), ok ? 'ok' : 'problem', ts, now) as { file_id: number };
    recordFileIdentity(this.ws.db, fileId, ok ? file : null);
    this.forget(fileId);
    this.clearProblem.run(fileId);
    if (!ok) {
      const { problem } = file.result as { problem: { kind: ProblemKind; message: string } };
      this.insertProblem.run(fileId, problem.kind, problem.message);
      return;
    }
    const image = (file.result as { image: CtImageFile }).image;
    const headerJson = JSON.stringify(image.headerDump);
    for (const { header: h, stats } of image.slices) {
      this.upsertStudy.run(h.studyInstanceUid, h.patientId, h.patientName, h.studyDate, h.studyDescription);
      this.upsertSeries.run(h.seriesInstanceUid, h.studyInstanceUid, h.modality, h.seriesNumber, h.seriesDescription, h.manufacturer);
      const imageId = imageIdOf(h);
      const warnings = [...image.warnings];
      const other = this.ownerOf.get(imageId, fileId) as { path: string } | undefined;
      if (other) warnings.push(`image ${imageId} is in two files: kept ${file.path}, ignored ${other.path}`);
      const values: Record<string, SqlValue> = {
        image_id: imageId, file_id: fileId, frame: h.frame, series_uid: h.seriesInstanceUid, study_uid: h.studyInstanceUid,
        InstanceNumber: h.instanceNumber, SliceThickness: h.sliceThickness, SOPClassUID: h.sopClassUid,
        SOPInstanceUID: h.sopInstanceUid, Modality: h.modality, PatientID: h.patientId,
        StudyInstanceUID: h.studyInstanceUid, SeriesInstanceUID: h.seriesInstanceUid, StudyID: h.studyId,
        SamplesPerPixel: h.samplesPerPixel, PhotometricInterpretation: h.photometricInterpretation,
        Rows: h.rows, Columns: h.columns, BitsAllocated: h.bitsAllocated, BitsStored: h.bitsStored,
        HighBit: h.highBit, PixelRepresentation: h.pixelRepresentation,
        WindowCenter: h.windowCenterRaw, WindowWidth: h.windowWidthRaw,
        RescaleIntercept: h.rescaleIntercept, RescaleSlope: h.rescaleSlope,
        PxlMin: finite(stats.pxlMin), PxlMax: finite(stats.pxlMax), PxlMean: finite(stats.pxlMean), PxlStd: finite(stats.pxlStd),
        warnings: JSON.stringify(warnings), header_json: headerJson,
      };
      // Multi-valued fields split into _0, _1 ... as the seed's extraction did.
      splitInto(values, 'ImagePositionPatient', h.imagePositionPatient, 3);
      splitInto(values, 'ImageOrientationPatient', h.imageOrientationPatient, 6);
      splitInto(values, 'PixelSpacing', h.pixelSpacing, 2);
      splitInto(values, 'WindowCenter', h.windowCenter, 2);
      splitInto(values, 'WindowWidth', h.windowWidth, 2);
      const row = INSTANCE_COLUMNS.map((c) => values[c] ?? null);
      this.insertInstance.run(...row);
    }
  }

  private forget(fileId: number): void {
    for (const r of this.seriesOfFile.all(fileId) as { series_uid: string }[]) this.touched.add(r.series_uid);
    this.clearFile.run(fileId);
  }

  /** Forgets a file (and its slices) that no longer exists on disk. */
  removeFile(path: string): void {
    const row = this.ws.db.prepare('SELECT file_id FROM files WHERE path = ?').get(path) as { file_id: number } | undefined;
    if (!row) return;
    this.forget(row.file_id);
    this.ws.db.prepare('DELETE FROM files WHERE file_id = ?').run(row.file_id);
  }

  /** Drops the touched series (and then studies) that were left without slices; call inside the batch's transaction. */
  pruneOrphans(): void {
    const db = this.ws.db;
    const emptySeries = db.prepare('SELECT study_uid FROM series s WHERE series_uid = ? AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.series_uid = s.series_uid)');
    const dropSeries = db.prepare('DELETE FROM series WHERE series_uid = ?');
    const dropStudyIfEmpty = db.prepare('DELETE FROM studies WHERE study_uid = ? AND NOT EXISTS (SELECT 1 FROM series WHERE study_uid = ?)');
    for (const uid of this.touched) {
      const row = emptySeries.get(uid) as { study_uid: string } | undefined;
      if (!row) continue;
      dropSeries.run(uid);
      dropStudyIfEmpty.run(row.study_uid, row.study_uid);
    }
    this.touched.clear();
  }
}

function splitInto(values: Record<string, SqlValue>, name: string, list: readonly number[] | null, n: number): void {
  for (let i = 0; i < n; i++) values[`${name}_${i}`] = list?.[i] ?? null;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
