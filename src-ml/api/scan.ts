// The JSON shapes of `ich scan --json` (a contract other tools rely on: keep field names as they are).

/** Why a file could not be indexed. */
export type ProblemKind = 'not_dicom' | 'unreadable' | 'no_pixels' | 'not_ct' | 'unsupported';

export interface ScanSeries {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string;
  modality: string;
  /** Image ids in slice order: SOPInstanceUID, or `<SOPInstanceUID>#<frame>` (from 1) for multi-frame files. */
  instances: string[];
  warnings: string[];
}

export interface ScanProblem {
  path: string;
  kind: ProblemKind;
  message: string;
}

export interface ScanReport {
  series: ScanSeries[];
  problems: ScanProblem[];
}
