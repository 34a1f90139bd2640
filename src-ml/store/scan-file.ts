// Reads one file into what the index stores: its slices, or the problem that kept it out.
import { errorMessage } from '../base/errors.ts';
import { DicomError } from '../dicom/errors.ts';
import { parseDicomBytes } from '../dicom/parse.ts';
import { initCodecsFor } from '../dicom/pixels.ts';
import { readCtImageFile } from '../dicom/read-image.ts';
import type { ScannedFile } from './index-writer.ts';
import { readFileWithIdentity } from './file-identity.ts';

export async function scanFile(filePath: string, size: number, mtimeMs: number): Promise<ScannedFile> {
  try {
    const { bytes, identity } = readFileWithIdentity(filePath);
    const parsed = parseDicomBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
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
