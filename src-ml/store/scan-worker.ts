// The scan's job module for worker-pool.ts: read and decode one file (the CPU-heavy part) while the
// main thread writes the index.
import { serveJobs } from '../jobs/worker-serve.ts';
import type { ScannedFile } from './index-writer.ts';
import { scanFile } from './scan-file.ts';

export interface FileToScan {
  path: string;
  size: number;
  mtimeMs: number;
}

export const scanJob = (f: FileToScan): Promise<ScannedFile> => scanFile(f.path, f.size, f.mtimeMs);

serveJobs(scanJob);
