import type { ProblemKind } from '../api/scan.ts';

export type { ProblemKind };

/** An error that knows which problem kind it is, so callers can report it without guessing. */
export class DicomError extends Error {
  readonly kind: ProblemKind;
  constructor(kind: ProblemKind, message: string) {
    super(message);
    this.name = 'DicomError';
    this.kind = kind;
  }
}

/** dicom-parser throws plain strings; turn anything thrown into a one-line message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  if (typeof err === 'string') return err.split('\n')[0] ?? err;
  if (err && typeof err === 'object' && 'exception' in err) return errorMessage((err as { exception: unknown }).exception);
  return String(err);
}
