// Test helper: writes small DICOM Part 10 files (preamble, meta group, data set) in explicit VR
// little or big endian, with native or encapsulated pixel data, so tests can build exactly the
// header they need (including lying ones). The meta group and little-endian data sets come from the
// production writer (../write.ts); only big endian, which it never writes, is encoded here.
import { concatBytes as concat } from '../../base/bytes.ts';
import { CT_IMAGE_STORAGE, encodeDataSet, encodeFileMeta, EXPLICIT_VR_LITTLE_ENDIAN } from '../write.ts';
import type { DicomElement } from '../write.ts';

export const EXPLICIT_LE_UID = EXPLICIT_VR_LITTLE_ENDIAN;
export const EXPLICIT_BE_UID = '1.2.840.10008.1.2.2';
export const RLE_UID = '1.2.840.10008.1.2.5';

/** One element; `value` is text for string VRs, numbers for US/SS/UL/SL/FL/FD, bytes for OB/OW/UN. */
export interface ElementSpec {
  /** 0xGGGGEEEE */
  tag: number;
  vr: string;
  value: string | readonly number[] | Uint8Array;
}

/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const NUMERIC: Record<string, [number, (v: DataView, p: number, x: number, le: boolean) => void]> = {
  US: [2, (v, p, x, le) => v.setUint16(p, x, le)],
  SS: [2, (v, p, x, le) => v.setInt16(p, x, le)],
  UL: [4, (v, p, x, le) => v.setUint32(p, x, le)],
  SL: [4, (v, p, x, le) => v.setInt32(p, x, le)],
  FL: [4, (v, p, x, le) => v.setFloat32(p, x, le)],
  FD: [8, (v, p, x, le) => v.setFloat64(p, x, le)],
};

/** Value bytes in either byte order, padded to even length (for big endian, and odd byte arrays). */
function encodeValue(spec: ElementSpec, littleEndian: boolean): Uint8Array {
  const { vr, value } = spec;
  if (value instanceof Uint8Array) {
    const out = new Uint8Array(value.length + (value.length % 2));
    out.set(value);
    return out;
  }
  if (typeof value === 'string') {
    const text = value.length % 2 === 1 ? value + (vr === 'UI' ? '\0' : ' ') : value;
    return new TextEncoder().encode(text);
  }
  const numeric = NUMERIC[vr];
  if (!numeric) throw new Error(`no numeric encoding for VR ${vr}`);
  const [size, set] = numeric;
  const out = new Uint8Array(size * value.length);
  const view = new DataView(out.buffer);
  value.forEach((x, i) => set(view, i * size, x, littleEndian));
  return out;
}

function encodeElement(spec: ElementSpec, littleEndian: boolean): Uint8Array {
  const value = encodeValue(spec, littleEndian);
  const long = LONG_VRS.has(spec.vr);
  const head = new Uint8Array(long ? 12 : 8);
  const view = new DataView(head.buffer);
  view.setUint16(0, spec.tag >>> 16, littleEndian);
  view.setUint16(2, spec.tag & 0xffff, littleEndian);
  head[4] = spec.vr.charCodeAt(0);
  head[5] = spec.vr.charCodeAt(1);
  if (long) view.setUint32(8, value.length, littleEndian);
  else view.setUint16(6, value.length, littleEndian);
  return concat([head, value]);
}

function item(tag: number, payload: Uint8Array, lengthOverride?: number): Uint8Array {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint16(0, 0xfffe, true);
  view.setUint16(2, tag, true);
  view.setUint32(4, lengthOverride ?? payload.length, true);
  return concat([head, payload]);
}

/**
 * Encapsulated Pixel Data (PS3.5 A.4): undefined length OB, a Basic Offset Table item (empty
 * unless `offsets` is given), one item per fragment, then the sequence delimiter. Little endian only.
 */
export function encapsulatedPixelData(fragments: readonly Uint8Array[], offsets?: readonly number[]): Uint8Array {
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  head[4] = 0x4f; // 'O'
  head[5] = 0x42; // 'B'
  view.setUint32(8, 0xffffffff, true);
  const bot = new Uint8Array(4 * (offsets?.length ?? 0));
  offsets?.forEach((o, i) => new DataView(bot.buffer).setUint32(4 * i, o, true));
  const items = fragments.map((f) => item(0xe000, f.length % 2 ? concat([f, new Uint8Array(1)]) : f));
  return concat([head, item(0xe000, bot), ...items, item(0xe0dd, new Uint8Array(0))]);
}

export interface DicomFileSpec {
  transferSyntaxUid?: string;
  elements: readonly ElementSpec[];
  /** Bytes appended after the sorted elements, e.g. from encapsulatedPixelData(). */
  trailer?: Uint8Array;
}

function uidOf(elements: readonly ElementSpec[], tag: number): string | undefined {
  const value = elements.find((e) => e.tag === tag)?.value;
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Writes a Part 10 file: 128-byte preamble, DICM, explicit-LE meta group, then the data set. */
export function writeDicom(spec: DicomFileSpec): Uint8Array {
  const ts = spec.transferSyntaxUid ?? EXPLICIT_LE_UID;
  const meta = encodeFileMeta(uidOf(spec.elements, 0x00080016) ?? CT_IMAGE_STORAGE, uidOf(spec.elements, 0x00080018) ?? '1.2.826.0.1.3680043.10.1.1', ts);
  let body: Uint8Array;
  if (ts === EXPLICIT_BE_UID) {
    body = concat([...spec.elements].sort((a, b) => a.tag - b.tag).map((e) => encodeElement(e, false)));
  } else {
    // Odd-length bytes are padded here, as before, so tests may pass any byte count.
    const even = spec.elements.map((e): DicomElement => (e.value instanceof Uint8Array && e.value.length % 2 ? { ...e, value: encodeValue(e, true) } : e));
    body = encodeDataSet(even);
  }
  return concat([meta, body, spec.trailer ?? new Uint8Array(0)]);
}

export interface MinimalImageSpec {
  rows: number;
  columns: number;
  bitsAllocated?: number;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: number;
  photometric?: string;
  samplesPerPixel?: number;
  numberOfFrames?: number;
  transferSyntaxUid?: string;
  /** Allocated words (written in the file's byte order), or raw bytes as they should appear. */
  pixels?: readonly number[] | Uint8Array;
  /** Encapsulated frames / fragments instead of native pixels. */
  fragments?: readonly Uint8Array[];
  basicOffsetTable?: readonly number[];
  /** Leave out Pixel Data entirely. */
  omitPixelData?: boolean;
  extra?: readonly ElementSpec[];
}

/** A CT image with the given pixel module; defaults: 16-bit, 12 stored, unsigned, MONOCHROME2. */
export function writeMinimalDicom(spec: MinimalImageSpec): Uint8Array {
  const bitsAllocated = spec.bitsAllocated ?? 16;
  const bitsStored = spec.bitsStored ?? Math.min(12, bitsAllocated);
  const ts = spec.transferSyntaxUid ?? EXPLICIT_LE_UID;
  const elements: ElementSpec[] = [
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: '1.2.826.0.1.3680043.10.1.1' },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00280002, vr: 'US', value: [spec.samplesPerPixel ?? 1] },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric ?? 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [spec.rows] },
    { tag: 0x00280011, vr: 'US', value: [spec.columns] },
    { tag: 0x00280100, vr: 'US', value: [bitsAllocated] },
    { tag: 0x00280101, vr: 'US', value: [bitsStored] },
    { tag: 0x00280102, vr: 'US', value: [spec.highBit ?? bitsStored - 1] },
    { tag: 0x00280103, vr: 'US', value: [spec.pixelRepresentation ?? 0] },
    ...(spec.extra ?? []),
  ];
  if (spec.numberOfFrames !== undefined) elements.push({ tag: 0x00280008, vr: 'IS', value: String(spec.numberOfFrames) });
  if (spec.fragments) {
    return writeDicom({ transferSyntaxUid: ts, elements, trailer: encapsulatedPixelData(spec.fragments, spec.basicOffsetTable) });
  }
  if (!spec.omitPixelData) {
    let bytes: Uint8Array;
    if (spec.pixels instanceof Uint8Array) {
      bytes = spec.pixels;
    } else {
      const words = spec.pixels ?? [];
      const size = bitsAllocated / 8;
      bytes = new Uint8Array(words.length * size);
      const view = new DataView(bytes.buffer);
      const le = ts !== EXPLICIT_BE_UID;
      words.forEach((w, i) => (size === 1 ? view.setUint8(i, w & 0xff) : view.setUint16(i * 2, w & 0xffff, le)));
    }
    elements.push({ tag: 0x7fe00010, vr: bitsAllocated === 8 ? 'OB' : 'OW', value: bytes });
  }
  return writeDicom({ transferSyntaxUid: ts, elements });
}
