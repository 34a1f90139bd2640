// Reads one file into what the index stores: its slices, or the problem that kept it out. The same
// function serves `ich scan`, the web host and the desktop engine (scan.ts, through scan-worker.ts).
// It opens the path once and reads only through that descriptor (whose fstat is the identity the
// index records, file-identity.ts): a regular file, never a FIFO or a device that could block or
// stream without end; and only a file whose first bytes can begin DICOM is read whole. Every count
// and length in its header is then checked against those bytes (parse.ts, frame-count.ts, pixels.ts)
// before anything is allocated for it.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { errorMessage } from '../base/errors.ts';
import { DicomError } from '../dicom/errors.ts';
import { DICOM_PREFIX_BYTES, looksLikeDicom, parseDicomBytes } from '../dicom/parse.ts';
import { initCodecsFor } from '../dicom/pixels.ts';
import { readCtImageFile } from '../dicom/read-image.ts';
import type { ScannedFile } from './index-writer.ts';
import { identityOf, openForIndex, type FileIdentity } from './file-identity.ts';

/** The largest file a scan reads (2 GiB - 1, as readFileSync allows): bigger ones are reported, not read. */
export const MAX_SCAN_FILE_BYTES = 2 ** 31 - 1;

function readAt(fd: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, out, got, length - got, got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? out : out.subarray(0, got);
}

/**
 * The file's bytes (only its first bytes when they cannot begin DICOM: parsing them says why) and the
 * identity of the descriptor they came from. Throws DicomError for what is not a regular file or is too big.
 */
function readCandidate(filePath: string): { bytes: Uint8Array; identity: FileIdentity } {
  // O_NONBLOCK, and O_NOFOLLOW unless the path is a link when looked at.
  const { fd, link } = openForIndex(filePath);
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new DicomError('not_dicom', 'not a regular file (a device, FIFO or folder)');
    const size = Number(st.size);
    if (size > MAX_SCAN_FILE_BYTES) throw new DicomError('unreadable', `file is ${size} bytes, more than the ${MAX_SCAN_FILE_BYTES} a scan reads`);
    const prefix = readAt(fd, Math.min(DICOM_PREFIX_BYTES, size));
    // The size is fstat's: a file that grows meanwhile is read as it was.
    const bytes = looksLikeDicom(prefix) ? readAt(fd, size) : prefix;
    return { bytes, identity: identityOf(st, link) };
  } finally {
    closeSync(fd);
  }
}

export async function scanFile(filePath: string, size: number, mtimeMs: number): Promise<ScannedFile> {
  try {
    const { bytes, identity } = readCandidate(filePath);
    const parsed = parseDicomBytes(bytes);
    await initCodecsFor(parsed.transferSyntaxUid);
    const image = readCtImageFile(parsed);
    return { path: filePath, size, mtimeMs, identity, result: { image } };
  } catch (err) {
    const problem = err instanceof DicomError
      ? { kind: err.kind, message: err.message }
      : { kind: 'unreadable' as const, message: errorMessage(err) };
    return { path: filePath, size, mtimeMs, result: { problem } };
  }
}
