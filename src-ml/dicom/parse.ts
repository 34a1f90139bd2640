// Parses DICOM bytes with dicom-parser: Part 10 files, deflated files, and bare data sets with no
// preamble or meta header (read when their first element is a plausible DICOM tag). A deflated data
// set is inflated to a bounded size, so a small file cannot expand to gigabytes.
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { errorMessage } from '../base/errors.ts';
import { DicomError } from './errors.ts';

export type DataSet = dicomParser.DataSet;

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';

export interface ParsedDicom {
  dataSet: DataSet;
  /** Transfer syntax of the data set (from the meta header, or detected for bare data sets). */
  transferSyntaxUid: string;
  /** False for a bare data set with no preamble / meta header. */
  hasMetaHeader: boolean;
  /** The bytes the data set's element offsets refer to (inflated for deflated files). */
  byteArray: Uint8Array;
}

export interface ParseOptions {
  /** Stop after this tag (e.g. 'x7fe00010' is never needed for headers-only reads). */
  untilTag?: string;
}

/** The most a deflated data set may inflate to: 64 times its size, from 64 MiB up to 512 MiB. */
export function maxInflatedBytes(deflatedBytes: number): number {
  return Math.min(512 * 2 ** 20, Math.max(64 * 2 ** 20, 64 * deflatedBytes));
}

function inflater(byteArray: Uint8Array, position: number): Uint8Array {
  const deflated = byteArray.subarray(position);
  const limit = maxInflatedBytes(deflated.length);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(deflated, { maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DicomError('unreadable', `deflated data set inflates to more than ${limit} bytes (from ${deflated.length})`);
    }
    throw new DicomError('unreadable', `cannot inflate the deflated data set: ${errorMessage(err)}`);
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(byteArray.subarray(0, position), 0);
  full.set(inflated, position);
  return full;
}

const VR_CODES = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

function hasPart10Prefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Guesses the transfer syntax of a bare data set from its first element: a small even group number
 * (0x0002..0x0028 covers every image file's first element) and, for explicit VR, a known VR code.
 * Returns undefined when the bytes do not look like DICOM at all.
 */
export function detectBareTransferSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const groupLE = bytes[0]! | (bytes[1]! << 8);
  const groupBE = (bytes[0]! << 8) | bytes[1]!;
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  const plausible = (g: number) => g >= 0x0002 && g <= 0x0028 && g % 2 === 0;
  if (plausible(groupLE)) return VR_CODES.has(vr) ? EXPLICIT_LE : IMPLICIT_LE;
  if (plausible(groupBE) && VR_CODES.has(vr)) return EXPLICIT_BE;
  return undefined;
}

/** Bytes a file must start with (up to 132) for looksLikeDicom to answer. */
export const DICOM_PREFIX_BYTES = 132;

/**
 * Whether a file's first bytes can begin DICOM (a Part 10 preamble and DICM, or a plausible bare data
 * set): lets a scan turn away other files without reading them whole. Give it the first
 * DICOM_PREFIX_BYTES bytes (fewer only when the file is shorter).
 */
export function looksLikeDicom(prefix: Uint8Array): boolean {
  return hasPart10Prefix(prefix) || detectBareTransferSyntax(prefix) !== undefined;
}

/** Parses DICOM bytes; throws DicomError('not_dicom' | 'unreadable') with a one-line reason. */
export function parseDicomBytes(bytes: Uint8Array, options: ParseOptions = {}): ParsedDicom {
  const part10 = hasPart10Prefix(bytes);
  let bareSyntax: string | undefined;
  if (!part10) {
    bareSyntax = detectBareTransferSyntax(bytes);
    if (!bareSyntax) throw new DicomError('not_dicom', 'no DICM prefix at byte 128 and no DICOM data set at byte 0');
  }
  // Inflated files rebuild their byte array; capture it so pixel offsets stay valid.
  let inflatedBytes: Uint8Array | undefined;
  const parseOptions: dicomParser.ParseDicomOptions & { TransferSyntaxUID?: string } = {
    inflater: (arr: Uint8Array, pos: number) => {
      inflatedBytes = inflater(arr, pos);
      return inflatedBytes;
    },
  };
  if (options.untilTag) parseOptions.untilTag = options.untilTag;
  if (bareSyntax) parseOptions.TransferSyntaxUID = bareSyntax;
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, parseOptions);
  } catch (err) {
    if (err instanceof DicomError) throw err;
    const message = errorMessage(err);
    if (/missing required meta header attribute 0002,0010/.test(message)) {
      // Preamble and DICM but no transfer syntax: retry as a bare data set after the meta group.
      throw new DicomError('unreadable', 'meta header has no transfer syntax (0002,0010)');
    }
    throw new DicomError(part10 ? 'unreadable' : 'not_dicom', `cannot parse: ${message}`);
  }
  const transferSyntaxUid = (bareSyntax ?? dataSet.string('x00020010') ?? '').trim();
  if (!part10 && !dataSet.elements['x00080016'] && !dataSet.elements['x7fe00010'] && !dataSet.elements['x00080018']) {
    throw new DicomError('not_dicom', 'bare data set has neither SOP class/instance UID nor pixel data');
  }
  return { dataSet, transferSyntaxUid, hasMetaHeader: part10, byteArray: inflatedBytes ?? bytes };
}
