// Reads the frame header (SOFn) of a JPEG / JPEG-LS stream, so frames can be checked against the
// DICOM header before a codec allocates anything.
import { DicomError } from '../errors.ts';

export interface JpegFrameHeader {
  /** SOF marker's second byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, 0xF7 JPEG-LS. */
  marker: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);

/** Walks the marker segments up to the first SOF; throws DicomError('unreadable') if there is none. */
export function readJpegFrameHeader(bytes: Uint8Array): JpegFrameHeader {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new DicomError('unreadable', 'JPEG frame does not start with SOI');
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new DicomError('unreadable', `JPEG marker expected at byte ${pos}`);
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
      pos += 2; // markers without a length field
      continue;
    }
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    if (SOF_MARKERS.has(marker)) {
      if (length < 8 || pos + 2 + length > bytes.length) break;
      const s = pos + 4;
      return {
        marker,
        precision: bytes[s]!,
        rows: (bytes[s + 1]! << 8) | bytes[s + 2]!,
        columns: (bytes[s + 3]! << 8) | bytes[s + 4]!,
        components: bytes[s + 5]!,
      };
    }
    if (marker === 0xda) break; // start of scan before any frame header
    if (length < 2) break;
    pos += 2 + length;
  }
  throw new DicomError('unreadable', 'JPEG frame has no frame header (SOF)');
}

/** Checks a frame header against the DICOM pixel module; a mismatch is DicomError('unreadable'). */
export function checkJpegFrame(header: JpegFrameHeader, rows: number, columns: number, bitsAllocated: number): void {
  if (header.rows !== rows || header.columns !== columns) {
    throw new DicomError('unreadable', `JPEG frame is ${header.columns}x${header.rows}, header says ${columns}x${rows}`);
  }
  if (header.components !== 1) {
    throw new DicomError('unreadable', `JPEG frame has ${header.components} components, expected 1`);
  }
  if (header.precision < 2 || header.precision > bitsAllocated) {
    throw new DicomError('unreadable', `JPEG precision ${header.precision} does not fit Bits Allocated ${bitsAllocated}`);
  }
}
