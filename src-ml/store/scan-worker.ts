// Worker-thread body of a scan: reads and decodes files (the CPU-heavy part) while the main thread
// writes the index. Messages: in { id, path, size, mtimeMs }, out { id, scanned } or { id, error }.
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../dicom/errors.ts';
import { scanFile } from './scan-file.ts';

export interface ScanJob {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
}

const port = parentPort;
if (port) {
  port.on('message', async (job: ScanJob) => {
    try {
      port.postMessage({ id: job.id, scanned: await scanFile(job.path, job.size, job.mtimeMs) });
    } catch (err) {
      port.postMessage({ id: job.id, error: errorMessage(err) });
    }
  });
}
