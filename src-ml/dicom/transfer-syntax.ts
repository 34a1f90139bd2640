// Which transfer syntaxes the pixel decoder understands, and which codec module decodes each.
import { DicomError } from './errors.ts';

/** Codec modules under ./codecs; 'native' means uncompressed pixel data. */
export type CodecId = 'native' | 'rle' | 'jpeg-dct' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000';

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  /** Pixel data is a sequence of fragments (compressed), not one native byte run. */
  encapsulated: boolean;
  /** Decoded values may differ from what was encoded. */
  lossy: boolean;
  codec: CodecId;
  /** Native big-endian words (only Explicit VR Big Endian). */
  bigEndian: boolean;
}

function entry(uid: string, name: string, codec: CodecId, lossy = false, bigEndian = false): TransferSyntaxInfo {
  return { uid, name, encapsulated: codec !== 'native', lossy, codec, bigEndian };
}

const TABLE: readonly TransferSyntaxInfo[] = [
  entry('1.2.840.10008.1.2', 'Implicit VR Little Endian', 'native'),
  entry('1.2.840.10008.1.2.1', 'Explicit VR Little Endian', 'native'),
  // parse.ts has already inflated the data set, so its pixel data is native little endian.
  entry('1.2.840.10008.1.2.1.99', 'Deflated Explicit VR Little Endian', 'native'),
  entry('1.2.840.10008.1.2.2', 'Explicit VR Big Endian', 'native', false, true),
  entry('1.2.840.10008.1.2.5', 'RLE Lossless', 'rle'),
  entry('1.2.840.10008.1.2.4.50', 'JPEG Baseline (Process 1)', 'jpeg-dct', true),
  entry('1.2.840.10008.1.2.4.51', 'JPEG Extended (Process 2 & 4)', 'jpeg-dct', true),
  // Retired progressive DCT syntaxes (spectral selection / full progression), 8- or 12-bit.
  entry('1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (Retired)', 'jpeg-dct', true),
  entry('1.2.840.10008.1.2.4.55', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (Retired)', 'jpeg-dct', true),
  entry('1.2.840.10008.1.2.4.57', 'JPEG Lossless (Process 14)', 'jpeg-lossless'),
  entry('1.2.840.10008.1.2.4.70', 'JPEG Lossless SV1 (Process 14, Selection Value 1)', 'jpeg-lossless'),
  entry('1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless', 'jpeg-ls'),
  entry('1.2.840.10008.1.2.4.81', 'JPEG-LS Near-Lossless', 'jpeg-ls', true),
  entry('1.2.840.10008.1.2.4.90', 'JPEG 2000 Lossless', 'jpeg2000'),
  entry('1.2.840.10008.1.2.4.91', 'JPEG 2000', 'jpeg2000', true),
];

const BY_UID = new Map(TABLE.map((info) => [info.uid, info]));

/** Every transfer syntax the decoder supports. */
export const SUPPORTED_TRANSFER_SYNTAXES: readonly TransferSyntaxInfo[] = TABLE;

/** Looks up a transfer syntax; anything not in the table is DicomError('unsupported'). */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo {
  const info = BY_UID.get(uid.trim());
  if (!info) {
    throw new DicomError('unsupported', `transfer syntax ${uid.trim() || '(none)'} is not supported`);
  }
  return info;
}
