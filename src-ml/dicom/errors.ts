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
