// One slice of a DICOM file in HU: the shared path of `ich hu`, `ich render`, the synth baseline and
// gallery. Loads the codec the file needs; problems are DicomErrors.
import { readFileSync } from 'node:fs';
import { readSliceHeader, type SliceHeader } from './header.ts';
import { parseDicomBytes } from './parse.ts';
import { decodeFrameStored, initCodecsFor, readPixelModule, type PixelModule } from './pixels.ts';
import { storedToHu } from './pixels.ts';

export interface HuSlice {
  hu: Float32Array;
  rows: number;
  columns: number;
  header: SliceHeader;
  pixels: PixelModule;
}

/** Frame numbers count from 1, as `--frame` does. */
export async function readHuSlice(file: string, frame = 1): Promise<HuSlice> {
  const bytes = readFileSync(file);
  const parsed = parseDicomBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const pixels = readPixelModule(parsed.dataSet);
  if (!Number.isInteger(frame) || frame < 1 || frame > pixels.numberOfFrames) {
    throw new RangeError(`--frame ${frame} but the file has ${pixels.numberOfFrames} frame(s)`);
  }
  await initCodecsFor(parsed.transferSyntaxUid);
  const header = readSliceHeader(parsed.dataSet, frame - 1);
  const hu = storedToHu(decodeFrameStored(parsed, frame - 1), header.rescaleSlope, header.rescaleIntercept);
  return { hu, rows: pixels.rows, columns: pixels.columns, header, pixels };
}
