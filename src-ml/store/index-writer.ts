// Writes scanned files into the index. Callers wrap a batch in Workspace.transaction, so a file's
// rows (files, problems, studies, series, instances) land together or not at all.
// An image id held by several files is kept from the file written last; every copy it displaced is
// named in a warning on the kept slice ("kept A, ignored B"), carried over as further copies arrive
// and when the kept file is read again, so a third copy does not make the first one vanish.
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
  private readonly warningsOfFile: StatementSync;
  private readonly indexedPath: StatementSync;
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
    this.ownerOf = db.prepare('SELECT f.path, i.warnings FROM instances i JOIN files f USING (file_id) WHERE i.image_id = ? AND i.file_id <> ?');
    this.warningsOfFile = db.prepare('SELECT image_id, warnings FROM instances WHERE file_id = ?');
    this.indexedPath = db.prepare('SELECT 1 FROM files WHERE path = ?');
  }

  /** Replaces everything the index holds for this file. */
  write(file: ScannedFile): void {
    const now = new Date().toISOString();
    const ok = 'image' in file.result;
    const ts = ok ? (file.result as { image: CtImageFile }).image.transferSyntaxUid : null;
    const { file_id: fileId } = this.upsertFile.get(file.path, file.size, Math.round(file.mtimeMs), ok ? 'ok' : 'problem', ts, now) as { file_id: number };
    recordFileIdentity(this.ws.db, fileId, ok ? file : null);
    // The copies this file's slices had displaced, read before its rows go.
    const displaced = new Map<string, string[]>();
    for (const r of this.warningsOfFile.all(fileId) as { image_id: string; warnings: string }[]) {
      const ignored = ignoredCopies(r.warnings, r.image_id, file.path);
      if (ignored.length) displaced.set(r.image_id, ignored);
    }
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
      const other = this.ownerOf.get(imageId, fileId) as { path: string; warnings: string } | undefined;
      const ignored = new Set(displaced.get(imageId));
      if (other) {
        ignored.add(other.path);
        for (const p of ignoredCopies(other.warnings, imageId, other.path)) ignored.add(p);
      }
      ignored.delete(file.path);
      // A copy that has left the index since (deleted, or out of the scanned folders) is not named.
      for (const p of [...ignored].sort()) if (this.indexedPath.get(p)) warnings.push(duplicateWarning(imageId, file.path, p));
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

  /** Forgets the ignored copies among `paths` (files that left the index) in the kept slices' warnings. */
  dropIgnoredCopies(paths: ReadonlySet<string>): void {
    if (!paths.size) return;
    const db = this.ws.db;
    const rows = db.prepare(`SELECT i.image_id, i.warnings, f.path FROM instances i JOIN files f USING (file_id) WHERE i.warnings LIKE '%${DUPLICATE}%'`)
      .all() as { image_id: string; warnings: string; path: string }[];
    const update = db.prepare('UPDATE instances SET warnings = ? WHERE image_id = ?');
    for (const r of rows) {
      const prefix = duplicatePrefix(r.image_id, r.path);
      const list = warningList(r.warnings);
      const keep = list.filter((w) => !(w.startsWith(prefix) && paths.has(w.slice(prefix.length))));
      if (keep.length !== list.length) update.run(JSON.stringify(keep), r.image_id);
    }
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

const DUPLICATE = ' is in more than one file: kept ';

function duplicatePrefix(imageId: string, kept: string): string {
  return `image ${imageId}${DUPLICATE}${kept}, ignored `;
}

function duplicateWarning(imageId: string, kept: string, ignored: string): string {
  return duplicatePrefix(imageId, kept) + ignored;
}

/** A slice's warnings column (JSON text) as a list; anything malformed reads as none. */
function warningList(json: string): string[] {
  try {
    const list: unknown = JSON.parse(json);
    return Array.isArray(list) ? list.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}

/** The ignored copies named in a slice's warnings (JSON text), for image `imageId` kept from `kept`. */
function ignoredCopies(warningsJson: string, imageId: string, kept: string): string[] {
  const prefix = duplicatePrefix(imageId, kept);
  return warningList(warningsJson).filter((w) => w.startsWith(prefix)).map((w) => w.slice(prefix.length));
}

function splitInto(values: Record<string, SqlValue>, name: string, list: readonly number[] | null, n: number): void {
  for (let i = 0; i < n; i++) values[`${name}_${i}`] = list?.[i] ?? null;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
