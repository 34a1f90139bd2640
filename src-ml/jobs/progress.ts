// Progress reporting shared by every long-running engine job (scan, training, prediction).

export interface Progress {
  /** What is running, e.g. "scan". */
  stage: string;
  done: number;
  total: number;
  /** The item just finished (a file path, a batch ...), for display. */
  item?: string;
}

export type ProgressListener = (p: Progress) => void;

/** Thrown when a job stops because its AbortSignal fired; committed work stays committed. */
export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} cancelled`);
    this.name = 'CancelledError';
  }
}
