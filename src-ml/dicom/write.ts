// Writes DICOM Part 10 files (explicit VR little endian, PS3.5/PS3.10) for the synthetic head-CT
// generator: a general element writer plus a CT-slice builder that validates what it writes.
// Built for thousands of slices: values are encoded once into a single buffer, and native pixels are
// copied with one memcpy on little-endian hosts.
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
/** This project's implementation class UID: a UUID-derived UID (PS3.5 B.2), so no registered root is needed. */
export const IMPLEMENTATION_CLASS_UID = '2.25.14941750868188935719033305070649017189';
export const IMPLEMENTATION_VERSION_NAME = 'ICH_VIEWER_0_1';

export interface DicomElement {
  /** 0xGGGGEEEE */
  tag: number;
  vr: string;
  /**
   * Text VRs: a string (multiple values joined with backslash), or numbers for DS (formatted to at
   * most 16 characters) and IS (integers). US/SS/UL/SL/FL/FD/AT: numbers. OB/UN: bytes. OW: 16-bit
   * words (Int16Array/Uint16Array/numbers) or little-endian bytes. OF/OD/OL: numbers or bytes.
   */
  value: string | number | readonly number[] | Uint8Array | Int16Array | Uint16Array;
}

/** What a DICOM writer refused to write; the message says which element and why. */
export class DicomWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DicomWriteError';
  }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

interface TextRule {
  /** Longest single value, in characters (PS3.5 Table 6.2-1). */
  max: number;
  /** Whether backslash separates values (false: backslash is an ordinary character or forbidden). */
  multi: boolean;
  /** Whether the Specific Character Set applies (else the value must be ASCII). */
  extended: boolean;
  /** Whether CR, LF, FF and TAB are allowed (the free-text VRs). */
  controls: boolean;
  pattern?: RegExp;
}

const DS_PATTERN = /^ *[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)? *$/;
const IS_PATTERN = /^ *[+-]?\d+ *$/;
const UNLIMITED = 0xfffffffe;
const TEXT_RULES: Record<string, TextRule> = {
  AE: { max: 16, multi: true, extended: false, controls: false },
  AS: { max: 4, multi: true, extended: false, controls: false, pattern: /^\d{3}[DWMY]$/ },
  CS: { max: 16, multi: true, extended: false, controls: false, pattern: /^[A-Z0-9 _]*$/ },
  DA: { max: 8, multi: true, extended: false, controls: false, pattern: /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/ },
  DS: { max: 16, multi: true, extended: false, controls: false, pattern: DS_PATTERN },
  DT: { max: 26, multi: true, extended: false, controls: false, pattern: /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?$/ },
  IS: { max: 12, multi: true, extended: false, controls: false, pattern: IS_PATTERN },
  LO: { max: 64, multi: true, extended: true, controls: false },
  LT: { max: 10240, multi: false, extended: true, controls: true },
  PN: { max: 64 * 3 + 2, multi: true, extended: true, controls: false },
  SH: { max: 16, multi: true, extended: true, controls: false },
  ST: { max: 1024, multi: false, extended: true, controls: true },
  TM: { max: 14, multi: true, extended: false, controls: false, pattern: /^([01]\d|2[0-3])([0-5]\d([0-5]\d(\.\d{1,6})?)?)?$/ },
  UC: { max: UNLIMITED, multi: true, extended: true, controls: false },
  // Syntax is not enforced beyond the character set: RSNA-style identifiers ("ID_0a1b2c3d4") are UI values in the
  // data this project mimics, and the generator must be able to write them.
  UI: { max: 64, multi: true, extended: false, controls: false, pattern: /^[0-9A-Za-z._-]+$/ },
  UR: { max: UNLIMITED, multi: false, extended: false, controls: false, pattern: /^[^ \\]*$/ },
  UT: { max: UNLIMITED, multi: false, extended: true, controls: true },
};

const BINARY: Record<string, { size: number; min: number; max: number; integer: boolean }> = {
  US: { size: 2, min: 0, max: 0xffff, integer: true },
  SS: { size: 2, min: -0x8000, max: 0x7fff, integer: true },
  UL: { size: 4, min: 0, max: 0xffffffff, integer: true },
  SL: { size: 4, min: -0x80000000, max: 0x7fffffff, integer: true },
  FL: { size: 4, min: -Infinity, max: Infinity, integer: false },
  FD: { size: 8, min: -Infinity, max: Infinity, integer: false },
  AT: { size: 4, min: 0, max: 0xffffffff, integer: true },
  OF: { size: 4, min: -Infinity, max: Infinity, integer: false },
  OD: { size: 8, min: -Infinity, max: Infinity, integer: false },
  OL: { size: 4, min: 0, max: 0xffffffff, integer: true },
  OW: { size: 2, min: -0x8000, max: 0xffff, integer: true },
};

export function tagString(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

/** toPrecision pads with zeros ("1.500e+21", "0.5000"); dropping them leaves room for digits. */
function trimZeros(s: string): string {
  const e = s.indexOf('e');
  let mantissa = e < 0 ? s : s.slice(0, e);
  if (mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
  return e < 0 ? mantissa : mantissa + s.slice(e);
}

/** A decimal string of at most 16 characters that reads back as close to `x` as 16 characters allow. */
export function formatDs(x: number): string {
  if (!Number.isFinite(x)) throw new DicomWriteError(`DS value ${x} is not a finite number`);
  if (x === 0) return '0'; // also turns -0 into 0
  const shortest = String(x);
  if (shortest.length <= 16) return shortest;
  // Most significant digits first, in fixed or exponent form, whichever fits.
  for (let p = 15; p >= 1; p--) {
    const fixed = trimZeros(x.toPrecision(p));
    if (fixed.length <= 16) return fixed;
    const exponent = trimZeros(x.toExponential(p - 1));
    if (exponent.length <= 16) return exponent;
  }
  throw new DicomWriteError(`DS value ${x} does not fit 16 characters`);
}

type Charset = 'ascii' | 'latin1' | 'utf8';

function charsetOf(elements: readonly DicomElement[]): Charset {
  const el = elements.find((e) => e.tag === 0x00080005);
  if (!el) return 'ascii';
  if (typeof el.value !== 'string') throw new DicomWriteError('(0008,0005) SpecificCharacterSet must be a string');
  const value = el.value.trim();
  if (value === '' || value === 'ISO_IR 6') return 'ascii';
  if (value === 'ISO_IR 192') return 'utf8';
  if (value === 'ISO_IR 100') return 'latin1';
  throw new DicomWriteError(`(0008,0005) SpecificCharacterSet "${value}" is not supported (ISO_IR 6, ISO_IR 100 or ISO_IR 192)`);
}

function checkTextValue(where: string, vr: string, rule: TextRule, value: string, charset: Charset): void {
  if (value.length > rule.max) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    throw new DicomWriteError(`${where}: ${vr} value "${shown}" is longer than ${rule.max} characters`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && !(rule.controls && (c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d))) || c === 0x7f) {
      throw new DicomWriteError(`${where}: ${vr} value has control character 0x${c.toString(16).padStart(2, '0')}`);
    }
    if (c > 0x7f) {
      if (!rule.extended) throw new DicomWriteError(`${where}: ${vr} value "${value}" is not ASCII`);
      if (charset === 'ascii') throw new DicomWriteError(`${where}: non-ASCII text needs SpecificCharacterSet (0008,0005) ISO_IR 192 or ISO_IR 100`);
      if (charset === 'latin1' && c > 0xff) throw new DicomWriteError(`${where}: "${value}" is not representable in ISO_IR 100`);
    }
  }
  if (vr === 'PN') {
    const groups = value.split('=');
    if (groups.length > 3 || groups.some((g) => g.length > 64 || g.split('^').length > 5)) {
      throw new DicomWriteError(`${where}: PN value "${value}" has more than 3 component groups, 5 components or 64 characters a group`);
    }
  }
  if (rule.pattern && value !== '' && !rule.pattern.test(value)) {
    throw new DicomWriteError(`${where}: "${value}" is not a valid ${vr} value`);
  }
  if (vr === 'IS' && value.trim() !== '') {
    const n = Number(value);
    if (n < -0x80000000 || n > 0x7fffffff) throw new DicomWriteError(`${where}: IS value ${value} is outside the signed 32-bit range`);
  }
}

function encodeText(text: string, charset: Charset): Uint8Array {
  if (charset === 'utf8') return new TextEncoder().encode(text);
  // ASCII and ISO_IR 100 are one byte per character (checked by checkTextValue).
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function textOf(where: string, vr: string, value: DicomElement['value']): string {
  if (typeof value === 'string') return value;
  const numbers = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(numbers)) throw new DicomWriteError(`${where}: ${vr} takes a string, not ${value.constructor.name}`);
  if (vr === 'DS') return numbers.map((x) => formatDs(x)).join('\\');
  if (vr === 'IS') {
    return numbers.map((x) => {
      if (!Number.isInteger(x)) throw new DicomWriteError(`${where}: IS value ${x} is not an integer`);
      return String(x);
    }).join('\\');
  }
  throw new DicomWriteError(`${where}: ${vr} takes a string; numbers only for DS and IS`);
}

function encodeNumbers(where: string, vr: string, values: readonly number[]): Uint8Array {
  const spec = BINARY[vr]!;
  const out = new Uint8Array(spec.size * values.length);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (typeof x !== 'number' || (spec.integer && !Number.isInteger(x)) || x < spec.min || x > spec.max) {
      throw new DicomWriteError(`${where}: ${x} is not a valid ${vr} value`);
    }
    const p = i * spec.size;
    switch (vr) {
      case 'US': view.setUint16(p, x, true); break;
      case 'SS': view.setInt16(p, x, true); break;
      case 'OW': view.setUint16(p, x & 0xffff, true); break;
      case 'UL': case 'OL': view.setUint32(p, x, true); break;
      case 'SL': view.setInt32(p, x, true); break;
      case 'FL': case 'OF': view.setFloat32(p, x, true); break;
      case 'FD': case 'OD': view.setFloat64(p, x, true); break;
      case 'AT': view.setUint16(p, x >>> 16, true); view.setUint16(p + 2, x & 0xffff, true); break;
    }
  });
  return out;
}

/** The little-endian bytes of 16-bit words: a view of the array's own memory on little-endian hosts. */
function wordBytes(words: Int16Array | Uint16Array): Uint8Array {
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  if (HOST_LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 2) {
    swapped[i] = bytes[i + 1]!;
    swapped[i + 1] = bytes[i]!;
  }
  return swapped;
}

/** An element's value bytes (not yet padded to even length) and the byte that pads it. */
interface Encoded {
  tag: number;
  vr: string;
  bytes: Uint8Array;
  pad: number;
}

function encodeElement(el: DicomElement, charset: Charset): Encoded {
  const { tag, vr, value } = el;
  const where = tagString(tag);
  const rule = TEXT_RULES[vr];
  if (rule) {
    const text = textOf(where, vr, value);
    if (rule.multi) for (const v of text.split('\\')) checkTextValue(where, vr, rule, v, charset);
    else checkTextValue(where, vr, rule, text, charset);
    return { tag, vr, bytes: encodeText(text, rule.extended ? charset : 'ascii'), pad: vr === 'UI' ? 0x00 : 0x20 };
  }
  if (vr === 'OB' || vr === 'UN') {
    if (!(value instanceof Uint8Array)) throw new DicomWriteError(`${where}: ${vr} takes a Uint8Array`);
    return { tag, vr, bytes: value, pad: 0 };
  }
  if (vr === 'OW' && (value instanceof Int16Array || value instanceof Uint16Array)) return { tag, vr, bytes: wordBytes(value), pad: 0 };
  if (vr === 'US' && value instanceof Uint16Array) return { tag, vr, bytes: wordBytes(value), pad: 0 };
  if (vr === 'SS' && value instanceof Int16Array) return { tag, vr, bytes: wordBytes(value), pad: 0 };
  if (BINARY[vr]) {
    if (value instanceof Uint8Array && vr.startsWith('O')) {
      const size = BINARY[vr].size;
      if (value.length % size) throw new DicomWriteError(`${where}: ${vr} bytes must come in ${size}-byte words, got ${value.length} bytes`);
      return { tag, vr, bytes: value, pad: 0 };
    }
    const numbers = typeof value === 'number' ? [value] : value;
    if (!Array.isArray(numbers)) throw new DicomWriteError(`${where}: ${vr} takes numbers`);
    return { tag, vr, bytes: encodeNumbers(where, vr, numbers), pad: 0 };
  }
  if (vr === 'SQ') throw new DicomWriteError(`${where}: sequences (SQ) are not supported by this writer`);
  if (vr === 'SV' || vr === 'UV' || vr === 'OV') throw new DicomWriteError(`${where}: 64-bit integer VR ${vr} is not supported by this writer`);
  throw new DicomWriteError(`${where}: unknown VR "${vr}"`);
}

function checkTag(tag: number, allowMeta: boolean): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) throw new DicomWriteError(`tag ${tag} is not a 32-bit 0xGGGGEEEE number`);
  const group = tag >>> 16;
  const where = tagString(tag);
  if (group === 0x0002 && !allowMeta) throw new DicomWriteError(`${where}: file meta elements (group 0002) are written by the writer, not passed in`);
  if (group === 0x0000 || group === 0xfffe) throw new DicomWriteError(`${where}: command and delimiter groups do not belong in a data set`);
  // PS3.5 7.8.1: private groups 0001, 0003, 0005, 0007 and FFFF are not allowed.
  if (group === 0x0001 || group === 0x0003 || group === 0x0005 || group === 0x0007 || group === 0xffff) {
    throw new DicomWriteError(`${where}: group ${group.toString(16).padStart(4, '0')} is not allowed`);
  }
  if ((tag & 0xffff) === 0 && group !== 0x0002) throw new DicomWriteError(`${where}: group length elements are retired; leave them out`);
}

function encodeAll(elements: readonly DicomElement[], charset: Charset, allowMeta: boolean): Encoded[] {
  const encoded: Encoded[] = new Array(elements.length);
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i]!;
    checkTag(el.tag, allowMeta);
    encoded[i] = encodeElement(el, charset);
  }
  encoded.sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < encoded.length; i++) {
    if (encoded[i]!.tag === encoded[i - 1]!.tag) throw new DicomWriteError(`${tagString(encoded[i]!.tag)} is given twice`);
  }
  return encoded;
}

function paddedLength(e: Encoded): number {
  const n = e.bytes.length + (e.bytes.length & 1);
  const long = LONG_VRS.has(e.vr);
  if (n > (long ? UNLIMITED : 0xfffe)) throw new DicomWriteError(`${tagString(e.tag)}: ${e.vr} value of ${n} bytes is too long`);
  return (long ? 12 : 8) + n;
}

function writeEncoded(out: Uint8Array, view: DataView, pos: number, e: Encoded): number {
  const n = e.bytes.length + (e.bytes.length & 1);
  view.setUint16(pos, e.tag >>> 16, true);
  view.setUint16(pos + 2, e.tag & 0xffff, true);
  out[pos + 4] = e.vr.charCodeAt(0);
  out[pos + 5] = e.vr.charCodeAt(1);
  if (LONG_VRS.has(e.vr)) {
    // Bytes 6-7 stay zero (reserved).
    view.setUint32(pos + 8, n, true);
    pos += 12;
  } else {
    view.setUint16(pos + 6, n, true);
    pos += 8;
  }
  out.set(e.bytes, pos);
  if (e.bytes.length & 1) out[pos + e.bytes.length] = e.pad;
  return pos + n;
}

function stringValue(elements: readonly DicomElement[], tag: number, name: string): string {
  const el = elements.find((e) => e.tag === tag);
  if (!el || typeof el.value !== 'string' || el.value.trim() === '') {
    throw new DicomWriteError(`${tagString(tag)} ${name} is required (the file meta header repeats it)`);
  }
  return el.value.trim();
}

/** The explicit-VR little-endian data elements of `elements`, sorted, with no preamble or meta header. */
export function encodeDataSet(elements: readonly DicomElement[]): Uint8Array {
  const encoded = encodeAll(elements, charsetOf(elements), false);
  const out = new Uint8Array(encoded.reduce((n, e) => n + paddedLength(e), 0));
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const e of encoded) pos = writeEncoded(out, view, pos, e);
  return out;
}

/**
 * The 128-byte preamble, "DICM" and the file meta group (PS3.10 7.1) for a data set in `transferSyntaxUid`;
 * the meta group itself is always explicit VR little endian.
 */
export function encodeFileMeta(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string = EXPLICIT_VR_LITTLE_ENDIAN): Uint8Array {
  const meta = metaElements(sopClassUid, sopInstanceUid, transferSyntaxUid);
  const total = meta.reduce((n, e) => n + paddedLength(e), 132);
  const out = new Uint8Array(total);
  writeMeta(out, new DataView(out.buffer), meta);
  return out;
}

function metaElements(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Encoded[] {
  const body = encodeAll([
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: sopClassUid },
    { tag: 0x00020003, vr: 'UI', value: sopInstanceUid },
    { tag: 0x00020010, vr: 'UI', value: transferSyntaxUid },
    { tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
    { tag: 0x00020013, vr: 'SH', value: IMPLEMENTATION_VERSION_NAME },
  ], 'ascii', true);
  const groupLength = body.reduce((n, e) => n + paddedLength(e), 0);
  return [{ tag: 0x00020000, vr: 'UL', bytes: encodeNumbers('(0002,0000)', 'UL', [groupLength]), pad: 0 }, ...body];
}

/** Writes preamble, DICM and the meta elements at the start of `out`; returns the end position. */
function writeMeta(out: Uint8Array, view: DataView, meta: readonly Encoded[]): number {
  out.set([0x44, 0x49, 0x43, 0x4d], 128); // DICM; the preamble stays zero
  let pos = 132;
  for (const e of meta) pos = writeEncoded(out, view, pos, e);
  return pos;
}

/**
 * A Part 10 file: 128-byte preamble, DICM, meta group (with its group length, MediaStorageSOPClass/Instance
 * from the data set's (0008,0016)/(0008,0018), explicit VR little endian, this project's implementation
 * UID and name), then the data set in ascending tag order, explicit VR little endian.
 * Throws DicomWriteError naming the element for anything PS3.5 does not allow.
 */
export function writeDicomPart10(elements: readonly DicomElement[]): Uint8Array {
  const sopClass = stringValue(elements, 0x00080016, 'SOPClassUID');
  const sopInstance = stringValue(elements, 0x00080018, 'SOPInstanceUID');
  const meta = metaElements(sopClass, sopInstance, EXPLICIT_VR_LITTLE_ENDIAN);
  const data = encodeAll(elements, charsetOf(elements), false);
  let total = 132;
  for (const e of meta) total += paddedLength(e);
  for (const e of data) total += paddedLength(e);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = writeMeta(out, view, meta);
  for (const e of data) pos = writeEncoded(out, view, pos, e);
  return out;
}

/**
 * One CT Image Storage slice (PS3.3 A.3) with the fields every CT slice carries and the seed's metadata
 * reads. Bits Allocated is 16, Samples per Pixel 1, Photometric Interpretation MONOCHROME2, Modality CT.
 * Optional Type 2 fields left out are written empty, as the IOD requires.
 */
export interface CtSliceSpec {
  sopInstanceUid: string;
  /** Default CT Image Storage. */
  sopClassUid?: string;
  /** e.g. "ISO_IR 192" when names are not ASCII. */
  specificCharacterSet?: string;
  /** Default ORIGINAL\PRIMARY\AXIAL. */
  imageType?: string;
  patientId: string;
  patientName: string;
  patientBirthDate?: string;
  patientSex?: string;
  /** e.g. "063Y". */
  patientAge?: string;
  studyInstanceUid: string;
  studyId: string;
  /** YYYYMMDD */
  studyDate: string;
  /** HHMMSS[.ffffff] */
  studyTime: string;
  studyDescription?: string;
  accessionNumber?: string;
  referringPhysicianName?: string;
  seriesInstanceUid: string;
  seriesNumber: number;
  seriesDescription?: string;
  seriesDate?: string;
  seriesTime?: string;
  /** Default HFS. */
  patientPosition?: string;
  /** Default HEAD. */
  bodyPartExamined?: string;
  frameOfReferenceUid: string;
  positionReferenceIndicator?: string;
  manufacturer: string;
  manufacturerModelName?: string;
  institutionName?: string;
  instanceNumber: number;
  acquisitionNumber?: number;
  contentDate?: string;
  contentTime?: string;
  /** Patient coordinates (mm) of the centre of the first transmitted pixel. */
  imagePositionPatient: readonly [number, number, number];
  /** Row direction cosines, then column direction cosines. */
  imageOrientationPatient: readonly [number, number, number, number, number, number];
  /** Row spacing (between rows, i.e. vertical), then column spacing (mm). */
  pixelSpacing: readonly [number, number];
  sliceThickness: number;
  sliceLocation?: number;
  kvp: number;
  convolutionKernel?: string;
  rows: number;
  columns: number;
  bitsStored: number;
  /** Default bitsStored - 1. */
  highBit?: number;
  pixelRepresentation: 0 | 1;
  /** Raw DS text as headers carry it ("40", "00036\\00036", "40\\40"), or numbers. */
  windowCenter?: string | number | readonly number[];
  windowWidth?: string | number | readonly number[];
  windowCenterWidthExplanation?: string;
  rescaleIntercept: number;
  rescaleSlope: number;
  /** Default HU. */
  rescaleType?: string;
  /**
   * Stored values, row-major, rows*columns of them: Int16Array when pixelRepresentation is 1,
   * Uint16Array when 0; each within what bitsStored holds.
   */
  pixels: Int16Array | Uint16Array;
  /** Further elements (no duplicates of the ones above). */
  extra?: readonly DicomElement[];
}

function specError(spec: CtSliceSpec, reason: string): DicomWriteError {
  return new DicomWriteError(`CT slice ${spec.sopInstanceUid || '(no SOPInstanceUID)'}: ${reason}`);
}

function checkNumbers(spec: CtSliceSpec, name: string, values: readonly number[], count: number): void {
  if (values.length !== count || values.some((v) => !Number.isFinite(v))) {
    throw specError(spec, `${name} must be ${count} finite numbers, got [${values.join(', ')}]`);
  }
}

function windowValueCount(spec: CtSliceSpec, v: string | number | readonly number[]): number {
  if (typeof v === 'number') return 1;
  if (typeof v === 'string') return v.split('\\').length;
  if (v.length === 0) throw specError(spec, 'an empty window list; leave the window out instead');
  return v.length;
}

/**
 * Index of the first stored value that does not fit `bitsStored` bits, or -1. A value fits when the
 * bits of its 16-bit pattern from bitsStored up are all zero (unsigned), or all equal to bit
 * bitsStored - 1 (signed: a sign extension). Tested two pixels per 32-bit word, branch-free, because
 * this check is most of the writer's own time.
 */
function firstOutOfRange(pixels: Int16Array | Uint16Array, bitsStored: number, signed: boolean): number {
  if (bitsStored >= 16) return -1;
  const mask16 = (0xffff << bitsStored) & 0xffff;
  const pairs = pixels.byteOffset % 4 === 0 ? pixels.length >> 1 : 0;
  let bad = 0;
  if (pairs) {
    const words = new Uint32Array(pixels.buffer, pixels.byteOffset, pairs);
    // Bit k of w ^ (w << 1) says whether bits k and k-1 differ; the only bit that mixes the two
    // pixels is bit 16, which the mask never tests (bitsStored >= 1).
    const mask = mask16 * 0x10001;
    if (signed) {
      for (let i = 0; i < pairs; i++) {
        const w = words[i]!;
        bad |= (w ^ (w << 1)) & mask;
      }
    } else {
      for (let i = 0; i < pairs; i++) bad |= words[i]! & mask;
    }
  }
  for (let i = pairs * 2; i < pixels.length; i++) {
    const u = pixels[i]! & 0xffff;
    bad |= (signed ? u ^ (u << 1) : u) & mask16;
  }
  if (bad === 0) return -1;
  const [lo, hi] = storedLimits(bitsStored, signed);
  return pixels.findIndex((v) => v < lo || v > hi);
}

function storedLimits(bitsStored: number, signed: boolean): [number, number] {
  return signed ? [-(2 ** (bitsStored - 1)), 2 ** (bitsStored - 1) - 1] : [0, 2 ** bitsStored - 1];
}

/**
 * Checks the stored values fit Bits Stored for the Pixel Representation and returns the words to write:
 * the array itself when High Bit is Bits Stored - 1 (signed values stay sign-extended in 16 bits, as
 * scanners write them), else the values shifted up to High Bit.
 */
function pixelWords(spec: CtSliceSpec, highBit: number): Int16Array | Uint16Array {
  const { pixels, bitsStored, pixelRepresentation } = spec;
  const signed = pixelRepresentation === 1;
  if (signed && !(pixels instanceof Int16Array)) throw specError(spec, 'PixelRepresentation 1 (signed) needs an Int16Array of stored values');
  if (!signed && !(pixels instanceof Uint16Array)) throw specError(spec, 'PixelRepresentation 0 (unsigned) needs a Uint16Array of stored values');
  if (pixels.length !== spec.rows * spec.columns) {
    throw specError(spec, `${pixels.length} pixels, but Rows x Columns is ${spec.rows} x ${spec.columns} = ${spec.rows * spec.columns}`);
  }
  const bad = firstOutOfRange(pixels, bitsStored, signed);
  if (bad >= 0) {
    const [lo, hi] = storedLimits(bitsStored, signed);
    throw specError(spec, `stored value ${pixels[bad]} at pixel ${bad} (row ${Math.floor(bad / spec.columns)}, column ${bad % spec.columns}) `
      + `is outside ${lo}..${hi} (BitsStored ${bitsStored}, PixelRepresentation ${pixelRepresentation})`);
  }
  const shift = highBit + 1 - bitsStored;
  if (shift === 0) return pixels;
  const mask = 2 ** bitsStored - 1;
  const shifted = new Uint16Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) shifted[i] = (pixels[i]! & mask) << shift;
  return shifted;
}

/** The data elements of a CT slice (validated); writeCtSlice writes them as a Part 10 file. */
export function ctSliceElements(spec: CtSliceSpec): DicomElement[] {
  const { rows, columns, bitsStored, pixelRepresentation } = spec;
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 1 || columns < 1 || rows > 0xffff || columns > 0xffff) {
    throw specError(spec, `Rows x Columns ${rows} x ${columns} must be integers in 1..65535`);
  }
  if (!Number.isInteger(bitsStored) || bitsStored < 1 || bitsStored > 16) throw specError(spec, `BitsStored ${bitsStored} must be 1..16 (BitsAllocated is 16)`);
  const highBit = spec.highBit ?? bitsStored - 1;
  if (!Number.isInteger(highBit) || highBit < bitsStored - 1 || highBit > 15) throw specError(spec, `HighBit ${highBit} must be ${bitsStored - 1}..15 for BitsStored ${bitsStored}`);
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) throw specError(spec, `PixelRepresentation ${String(pixelRepresentation)} must be 0 or 1`);
  checkNumbers(spec, 'ImagePositionPatient', spec.imagePositionPatient, 3);
  checkNumbers(spec, 'ImageOrientationPatient', spec.imageOrientationPatient, 6);
  checkNumbers(spec, 'PixelSpacing', spec.pixelSpacing, 2);
  if (spec.pixelSpacing.some((v) => v <= 0)) throw specError(spec, `PixelSpacing [${spec.pixelSpacing.join(', ')}] must be positive`);
  if (!Number.isFinite(spec.rescaleSlope) || spec.rescaleSlope === 0) throw specError(spec, `RescaleSlope ${spec.rescaleSlope} must be a non-zero number`);
  if ((spec.windowCenter === undefined) !== (spec.windowWidth === undefined)) throw specError(spec, 'WindowCenter and WindowWidth come together');
  if (spec.windowCenter !== undefined && spec.windowWidth !== undefined
    && windowValueCount(spec, spec.windowCenter) !== windowValueCount(spec, spec.windowWidth)) {
    throw specError(spec, `WindowCenter "${String(spec.windowCenter)}" and WindowWidth "${String(spec.windowWidth)}" have different numbers of values`);
  }
  for (const [name, v] of [['SeriesNumber', spec.seriesNumber], ['InstanceNumber', spec.instanceNumber]] as const) {
    if (!Number.isInteger(v)) throw specError(spec, `${name} ${v} must be an integer`);
  }
  const pixels = pixelWords(spec, highBit);

  const els: DicomElement[] = [
    { tag: 0x00080008, vr: 'CS', value: spec.imageType ?? 'ORIGINAL\\PRIMARY\\AXIAL' },
    { tag: 0x00080016, vr: 'UI', value: spec.sopClassUid ?? CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: spec.sopInstanceUid },
    { tag: 0x00080020, vr: 'DA', value: spec.studyDate },
    { tag: 0x00080030, vr: 'TM', value: spec.studyTime },
    { tag: 0x00080050, vr: 'SH', value: spec.accessionNumber ?? '' },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00080070, vr: 'LO', value: spec.manufacturer },
    { tag: 0x00080090, vr: 'PN', value: spec.referringPhysicianName ?? '' },
    { tag: 0x00100010, vr: 'PN', value: spec.patientName },
    { tag: 0x00100020, vr: 'LO', value: spec.patientId },
    { tag: 0x00100030, vr: 'DA', value: spec.patientBirthDate ?? '' },
    { tag: 0x00100040, vr: 'CS', value: spec.patientSex ?? '' },
    { tag: 0x00180015, vr: 'CS', value: spec.bodyPartExamined ?? 'HEAD' },
    { tag: 0x00180050, vr: 'DS', value: spec.sliceThickness },
    { tag: 0x00180060, vr: 'DS', value: spec.kvp },
    { tag: 0x00185100, vr: 'CS', value: spec.patientPosition ?? 'HFS' },
    { tag: 0x0020000d, vr: 'UI', value: spec.studyInstanceUid },
    { tag: 0x0020000e, vr: 'UI', value: spec.seriesInstanceUid },
    { tag: 0x00200010, vr: 'SH', value: spec.studyId },
    { tag: 0x00200011, vr: 'IS', value: spec.seriesNumber },
    { tag: 0x00200012, vr: 'IS', value: spec.acquisitionNumber ?? '' },
    { tag: 0x00200013, vr: 'IS', value: spec.instanceNumber },
    { tag: 0x00200032, vr: 'DS', value: spec.imagePositionPatient },
    { tag: 0x00200037, vr: 'DS', value: spec.imageOrientationPatient },
    { tag: 0x00200052, vr: 'UI', value: spec.frameOfReferenceUid },
    { tag: 0x00201040, vr: 'LO', value: spec.positionReferenceIndicator ?? '' },
    { tag: 0x00280002, vr: 'US', value: 1 },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: rows },
    { tag: 0x00280011, vr: 'US', value: columns },
    { tag: 0x00280030, vr: 'DS', value: spec.pixelSpacing },
    { tag: 0x00280100, vr: 'US', value: 16 },
    { tag: 0x00280101, vr: 'US', value: bitsStored },
    { tag: 0x00280102, vr: 'US', value: highBit },
    { tag: 0x00280103, vr: 'US', value: pixelRepresentation },
    { tag: 0x00281052, vr: 'DS', value: spec.rescaleIntercept },
    { tag: 0x00281053, vr: 'DS', value: spec.rescaleSlope },
    { tag: 0x00281054, vr: 'LO', value: spec.rescaleType ?? 'HU' },
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];
  const optional: [number, string, string | number | readonly number[] | undefined][] = [
    [0x00080005, 'CS', spec.specificCharacterSet],
    [0x00080021, 'DA', spec.seriesDate],
    [0x00080023, 'DA', spec.contentDate],
    [0x00080031, 'TM', spec.seriesTime],
    [0x00080033, 'TM', spec.contentTime],
    [0x00080080, 'LO', spec.institutionName],
    [0x00081030, 'LO', spec.studyDescription],
    [0x0008103e, 'LO', spec.seriesDescription],
    [0x00081090, 'LO', spec.manufacturerModelName],
    [0x00101010, 'AS', spec.patientAge],
    [0x00181210, 'SH', spec.convolutionKernel],
    [0x00201041, 'DS', spec.sliceLocation],
    [0x00281050, 'DS', spec.windowCenter],
    [0x00281051, 'DS', spec.windowWidth],
    [0x00281055, 'LO', spec.windowCenterWidthExplanation],
  ];
  for (const [tag, vr, value] of optional) if (value !== undefined) els.push({ tag, vr, value });
  if (spec.extra) els.push(...spec.extra);
  return els;
}

/** A CT slice as a Part 10 file (see CtSliceSpec); throws DicomWriteError with the reason. */
export function writeCtSlice(spec: CtSliceSpec): Uint8Array {
  const elements = ctSliceElements(spec);
  try {
    return writeDicomPart10(elements);
  } catch (err) {
    if (err instanceof DicomWriteError && !err.message.startsWith('CT slice ')) throw specError(spec, err.message);
    throw err;
  }
}
