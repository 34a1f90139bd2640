// The JSON shapes of `ich scan --json` (a contract other tools rely on: keep field names as they are).
import type { ProblemKind } from '../dicom/errors.ts';

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
