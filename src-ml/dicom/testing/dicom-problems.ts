// Test helpers: parse a minimal DICOM file made in memory, and catch the DicomError a reader throws.
import { DicomError, type ProblemKind } from '../errors.ts';
import { parseDicomBytes, type ParsedDicom } from '../parse.ts';
import { writeMinimalDicom, type MinimalImageSpec } from './write-minimal-dicom.ts';

export function parseMinimal(spec: MinimalImageSpec): ParsedDicom {
  return parseDicomBytes(writeMinimalDicom(spec));
}

/** The kind and message of the DicomError fn throws; fails when it throws something else or nothing. */
export function problemOf(fn: () => unknown): { kind: ProblemKind; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof DicomError) return { kind: err.kind, message: err.message };
    throw err;
  }
  throw new Error('expected a DicomError, nothing was thrown');
}
