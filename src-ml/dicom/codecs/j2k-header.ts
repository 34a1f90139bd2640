// Reads the SIZ marker of a JPEG 2000 codestream (ISO/IEC 15444-1 A.5.1), so frames can be checked
// against the DICOM header before OpenJPEG allocates (its readHeader() leaves getFrameInfo() empty).
import { DicomError } from '../errors.ts';

export interface J2kHeader {
  columns: number;
  rows: number;
  components: number;
  /** Of the first component. */
  precision: number;
  isSigned: boolean;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20];

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Offset of the codestream: 0, or inside the 'jp2c' box of a JP2 file. */
function codestreamStart(bytes: Uint8Array): number {
  if (!JP2_SIGNATURE.every((v, i) => bytes[i] === v)) return 0;
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const length = u32(bytes, pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    if (type === 'jp2c') return pos + 8;
    if (length < 8) break; // 0 (to end of file) and 1 (64-bit length) never precede jp2c in practice
    pos += length;
  }
  throw new DicomError('unreadable', 'JP2 file has no codestream box');
}

export function readJ2kHeader(bytes: Uint8Array): J2kHeader {
  const s = codestreamStart(bytes);
  if (bytes[s] !== 0xff || bytes[s + 1] !== 0x4f || bytes[s + 2] !== 0xff || bytes[s + 3] !== 0x51 || bytes.length < s + 45) {
    throw new DicomError('unreadable', 'JPEG 2000 frame does not start with SOC and SIZ markers');
  }
  const width = u32(bytes, s + 8);
  const height = u32(bytes, s + 12);
  const xOffset = u32(bytes, s + 16);
  const yOffset = u32(bytes, s + 20);
  const ssiz = bytes[s + 42]!;
  return {
    columns: width - xOffset,
    rows: height - yOffset,
    components: (bytes[s + 40]! << 8) | bytes[s + 41]!,
    precision: (ssiz & 0x7f) + 1,
    isSigned: (ssiz & 0x80) !== 0,
  };
}
