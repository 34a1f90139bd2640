// Test helper: hostile variants of real DICOM files, made at test time from ../shared/dicom: bit flips,
// truncation, lying element lengths, huge or malformed frame counts, damaged encapsulated pixel data
// (offset table, fragment lengths and item tags), lying image sizes. Deterministic for a given seed,
// so a failing case can be rebuilt from its file name. Little-endian files (not deflated) are edited
// element-wise; big-endian and deflated ones get the byte-level mutations.
import dicomParser from 'dicom-parser';
import { parseDicomBytes } from '../parse.ts';
import { concatBytes as concat } from '../../base/bytes.ts';
import { mulberry32 } from '../../base/random.ts';

/** VRs whose explicit-VR header has a 4-byte length (the others have 2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const IMPLICIT_LE = '1.2.840.10008.1.2';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';

/** mulberry32: a small seeded generator, enough to spread mutations over a file. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

export interface TopElement {
  /** 0xGGGGEEEE */
  tag: number;
  /** Where the element's header starts, where its value starts, and where its length field is. */
  start: number;
  dataOffset: number;
  lengthAt: number;
  lengthBytes: 2 | 4;
  length: number;
  element: dicomParser.Element;
}

export interface ElementLayout {
  transferSyntaxUid: string;
  /** Whether element-wise edits are possible (little endian, not deflated). */
  editable: boolean;
  elements: TopElement[];
}

/** The top-level data-set elements of a Part 10 file, with where each one's length field is. */
export function elementLayout(bytes: Uint8Array): ElementLayout {
  const parsed = parseDicomBytes(bytes);
  const ts = parsed.transferSyntaxUid;
  const editable = parsed.hasMetaHeader && ts !== BIG_ENDIAN && ts !== DEFLATED;
  const implicit = ts === IMPLICIT_LE;
  const elements: TopElement[] = [];
  for (const [key, el] of Object.entries(parsed.dataSet.elements)) {
    const tag = Number.parseInt(key.slice(1), 16);
    if (tag >>> 16 === 0x0002) continue; // the meta group is always explicit LE; leave it alone
    const long = implicit || LONG_VRS.has(el.vr ?? '');
    const lengthBytes = long ? 4 : 2;
    const headerBytes = implicit ? 8 : long ? 12 : 8;
    elements.push({ tag, start: el.dataOffset - headerBytes, dataOffset: el.dataOffset, lengthAt: el.dataOffset - lengthBytes, lengthBytes, length: el.length, element: el });
  }
  elements.sort((a, b) => a.start - b.start);
  return { transferSyntaxUid: ts, editable, elements };
}

/** A string element (explicit or implicit LE) with an even-padded value. */
function stringElement(tag: number, vr: string, text: string, implicit: boolean): Uint8Array {
  const value = new TextEncoder().encode(text.length % 2 ? `${text} ` : text);
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  if (implicit) {
    view.setUint32(4, value.length, true);
  } else {
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    view.setUint16(6, value.length, true);
  }
  return concat([head, value]);
}

/**
 * Sets a top-level string element (replacing it, or inserting it in tag order) in a little-endian file;
 * returns undefined for files it cannot edit.
 */
export function setStringElement(bytes: Uint8Array, tag: number, vr: string, text: string): Uint8Array | undefined {
  const layout = elementLayout(bytes);
  if (!layout.editable) return undefined;
  const encoded = stringElement(tag, vr, text, layout.transferSyntaxUid === IMPLICIT_LE);
  const same = layout.elements.find((e) => e.tag === tag);
  if (same) return concat([bytes.subarray(0, same.start), encoded, bytes.subarray(same.dataOffset + same.length)]);
  const next = layout.elements.find((e) => e.tag > tag);
  const at = next ? next.start : bytes.length;
  return concat([bytes.subarray(0, at), encoded, bytes.subarray(at)]);
}

/** Number of Frames (0028,0008) set to `text`, e.g. "99999999"; undefined for files it cannot edit. */
export function setNumberOfFrames(bytes: Uint8Array, text: string): Uint8Array | undefined {
  return setStringElement(bytes, 0x00280008, 'IS', text);
}

/** A copy with one top-level element's length field set to `length` (masked to the field's size). */
export function setElementLength(bytes: Uint8Array, e: TopElement, length: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  if (e.lengthBytes === 2) view.setUint16(e.lengthAt, length & 0xffff, true);
  else view.setUint32(e.lengthAt, length >>> 0, true);
  return out;
}

/** A copy with a US element's first value set (little-endian files only). */
export function setUint16Element(bytes: Uint8Array, tag: number, value: number): Uint8Array | undefined {
  const layout = elementLayout(bytes);
  const e = layout.elements.find((x) => x.tag === tag);
  if (!layout.editable || !e || e.length < 2) return undefined;
  const out = bytes.slice();
  new DataView(out.buffer).setUint16(e.dataOffset, value & 0xffff, true);
  return out;
}

export type Mutation = 'bitflip' | 'truncate' | 'length' | 'frames' | 'fragments' | 'size' | 'splice';

export const MUTATIONS: readonly Mutation[] = ['bitflip', 'truncate', 'length', 'frames', 'fragments', 'size', 'splice'];

const FRAME_COUNTS = ['99999999', '65536', '65537', '1000000', '60000', '-1', '0', 'abc', '2.5', '3', '1e9', '2\\3', ''];
const LIES = [0, 1, 3, 0xff, 0xfffe, 0xffff, 0x7fffffff, 0xfffffff0, 0xffffffff];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function bitflips(bytes: Uint8Array, rand: () => number): Uint8Array {
  const out = bytes.slice();
  const n = 1 + Math.floor(rand() * 16);
  // Half the time in the first 4 KiB, where the header is.
  const span = rand() < 0.5 ? Math.min(out.length, 4096) : out.length;
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rand() * span);
    out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
  }
  return out;
}

/** Damages encapsulated pixel data: its offset table, a fragment's length, or an item tag. */
function damageFragments(bytes: Uint8Array, layout: ElementLayout, rand: () => number): Uint8Array | undefined {
  const pixels = layout.elements.find((e) => e.tag === 0x7fe00010)?.element;
  if (!pixels?.encapsulatedPixelData || !pixels.fragments?.length) return undefined;
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const botAt = pixels.dataOffset; // item tag (4) + length (4), then the table
  const frags = pixels.fragments;
  const f = frags[Math.floor(rand() * frags.length)]!;
  switch (Math.floor(rand() * 5)) {
    case 0: { // a lying offset table: entries pointing anywhere, or more entries than bytes
      const entries = view.getUint32(botAt + 4, true) / 4;
      if (entries >= 1) {
        for (let i = 0; i < entries; i++) view.setUint32(botAt + 8 + 4 * i, pick(rand, [1, 3, 0xfffffff0, Math.floor(rand() * out.length)]), true);
      } else {
        view.setUint32(botAt + 4, pick(rand, [4, 8, 0x7ffffffc]), true);
      }
      break;
    }
    case 1: // a fragment whose length runs past the end, or is odd or zero
      view.setUint32(f.position - 4, pick(rand, [0, 1, 0xfffffff0, f.length + 2, out.length]), true);
      break;
    case 2: // an item tag that is not an item
      view.setUint32(f.position - 8, pick(rand, [0x00000000, 0xe00dfffe, 0xe0ddfffe, 0x12345678]), true);
      break;
    case 3: // the last fragment's length claims more than the file holds
      view.setUint32(frags[frags.length - 1]!.position - 4, 0xfffffff0, true);
      break;
    default: // the sequence delimiter gone, the file ending inside the last fragment
      return out.subarray(0, Math.max(botAt, frags[frags.length - 1]!.position + Math.floor(frags[frags.length - 1]!.length / 2)));
  }
  return out;
}

/** One mutated variant of `bytes` (kind `kind`, seeded); never throws, falls back to bit flips. */
export function mutate(bytes: Uint8Array, kind: Mutation, seed: number): Uint8Array {
  const rand = seededRandom(seed);
  let layout: ElementLayout | undefined;
  try {
    layout = elementLayout(bytes);
  } catch {
    layout = undefined;
  }
  const editable = layout?.editable ? layout : undefined;
  switch (kind) {
    case 'truncate':
      return bytes.slice(0, Math.floor(rand() * bytes.length));
    case 'length': {
      if (!layout?.elements.length) break;
      const e = pick(rand, layout.elements);
      const big = layout.transferSyntaxUid === BIG_ENDIAN;
      if (big || layout.transferSyntaxUid === DEFLATED) break;
      return setElementLength(bytes, e, pick(rand, [...LIES, e.length + 2, e.length * 2 + 1, bytes.length - e.dataOffset + 2]));
    }
    case 'frames': {
      if (!editable) break;
      const out = setNumberOfFrames(bytes, pick(rand, FRAME_COUNTS));
      if (!out) break;
      return rand() < 0.25 ? out.slice(0, Math.floor(out.length * (0.5 + rand() / 2))) : out;
    }
    case 'fragments': {
      const out = layout && damageFragments(bytes, layout, rand);
      if (out) return out;
      break;
    }
    case 'size': {
      if (!editable) break;
      const tag = pick(rand, [0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280102, 0x00280002, 0x00280103]);
      const out = setUint16Element(bytes, tag, pick(rand, [0, 1, 7, 12, 17, 32, 4096, 16384, 16385, 65535]));
      if (out) return out;
      break;
    }
    case 'splice': {
      // Garbage bytes inserted or a run of bytes deleted somewhere in the first 8 KiB.
      const at = Math.floor(rand() * Math.min(bytes.length, 8192));
      const n = 1 + Math.floor(rand() * 64);
      if (rand() < 0.5) return concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + n))]);
      const junk = new Uint8Array(n).map(() => Math.floor(rand() * 256));
      return concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
    }
    default:
      break;
  }
  return bitflips(bytes, rand);
}
