// NumPy .npy files (format 1.0 written; 1.0-3.0 read) for C-order float32, int32 and uint8 arrays,
// so cached slices and features can be opened directly with numpy.load.
import { closeSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicWith } from '../base/atomic-write.ts';

export type NpyArray = Float32Array | Int32Array | Uint8Array;
export type NpyDtype = '<f4' | '<i4' | '|u1';

export interface NpyDecoded {
  data: NpyArray;
  shape: number[];
  dtype: NpyDtype;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(data: NpyArray): NpyDtype {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint8Array) return '|u1';
  throw new TypeError('npy: data must be a Float32Array, Int32Array or Uint8Array');
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`npy: bad shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Python's repr of a shape tuple: (), (5,), (3, 4). */
function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

export function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** The .npy v1.0 header (magic, version, length, dict); the data that follows starts at a multiple of 64 bytes. */
export function npyHeader(descr: NpyDtype, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  // magic (6) + version (2) + header length (2) + dict + padding spaces + '\n'.
  const unpadded = 10 + dict.length + 1;
  const headerLen = dict.length + 1 + ((ALIGN - (unpadded % ALIGN)) % ALIGN);
  if (headerLen > 0xffff) throw new RangeError('npy: header too long for format 1.0');
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  const out = new Uint8Array(10 + headerLen);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = headerLen & 0xff;
  out[9] = headerLen >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}

/** Encodes a C-order array as .npy v1.0; the data starts at a multiple of 64 bytes. */
export function encodeNpy(data: NpyArray, shape: readonly number[]): Uint8Array {
  const descr = dtypeOf(data);
  const n = shapeSize(shape);
  if (n !== data.length) throw new RangeError(`npy: shape [${shape.join(', ')}] holds ${n} values, data has ${data.length}`);
  const header = npyHeader(descr, shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  const body = out.subarray(header.length);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!HOST_LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) swapBytes(body, data.BYTES_PER_ELEMENT);
  return out;
}

function parseHeader(text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`npy: unreadable header ${JSON.stringify(text.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const d = Number(s.replace(/L$/, '')); // Python 2 longs
      if (!Number.isSafeInteger(d) || d < 0) throw new Error(`npy: bad shape (${shapeText})`);
      return d;
    });
  return { descr, fortran: fortran === 'True', shape };
}

type NpyCtor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** What an .npy preamble (magic, version, header) says: the element type, the shape and where the data starts. */
export interface NpyLayout {
  dtype: NpyDtype;
  ctor: NpyCtor;
  shape: number[];
  /** Values in the array. */
  size: number;
  /** Byte offset of the data in the file. */
  dataStart: number;
}

/**
 * Bytes of the preamble before the header text: 10 for version 1.0, 12 for 2.0 and 3.0. `bytes` needs
 * at least 12 bytes when the file has them.
 */
function preambleSize(bytes: Uint8Array): { headerStart: number; headerLen: number; major: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('npy: missing \\x93NUMPY magic');
  const major = bytes[6]!;
  if (major === 1) return { headerStart: 10, headerLen: bytes[8]! | (bytes[9]! << 8), major };
  if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error('npy: truncated header');
    return { headerStart: 12, headerLen: (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16) | (bytes[11]! << 24)) >>> 0, major };
  }
  throw new Error(`npy: unsupported format version ${major}.${bytes[7]}`);
}

/** The layout of an .npy whose first bytes (at least through the header) are `bytes`. */
function layoutOf(bytes: Uint8Array): NpyLayout {
  const { headerStart, headerLen, major } = preambleSize(bytes);
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw new Error('npy: truncated header');
  // Node's 'latin1' is true ISO-8859-1 (TextDecoder's 'latin1' is windows-1252).
  const headerBytes = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLen);
  const text = headerBytes.toString(major === 3 ? 'utf8' : 'latin1');
  const { descr, fortran, shape } = parseHeader(text);
  if (fortran) throw new Error('npy: Fortran-order arrays are not supported');

  let ctor: NpyCtor;
  let dtype: NpyDtype;
  if (descr === '<f4') [ctor, dtype] = [Float32Array, '<f4'];
  else if (descr === '<i4') [ctor, dtype] = [Int32Array, '<i4'];
  else if (/^[|<>=]u1$/.test(descr)) [ctor, dtype] = [Uint8Array, '|u1']; // byte order is moot for one byte
  else throw new Error(`npy: unsupported dtype '${descr}' (little-endian float32, int32 and uint8 only)`);
  return { dtype, ctor, shape, size: shapeSize(shape), dataStart };
}

function truncatedData(available: number, layout: NpyLayout): Error {
  return new Error(`npy: truncated data: ${available} bytes for ${layout.size} values of '${layout.dtype}'`);
}

/** Decodes .npy bytes (versions 1.0-3.0) holding a C-order float32, int32 or uint8 array. */
export function decodeNpy(bytes: Uint8Array): NpyDecoded {
  const layout = layoutOf(bytes);
  const { ctor, dataStart, size: n } = layout;
  const byteLength = n * ctor.BYTES_PER_ELEMENT;
  if (dataStart + byteLength > bytes.length) throw truncatedData(bytes.length - dataStart, layout);
  // Copy into a fresh buffer: the source offset need not be aligned for a typed-array view, and a
  // Node Buffer's slice() would share its pooled memory.
  const body = new Uint8Array(byteLength);
  body.set(bytes.subarray(dataStart, dataStart + byteLength));
  if (!HOST_LITTLE_ENDIAN && ctor.BYTES_PER_ELEMENT > 1) swapBytes(body, ctor.BYTES_PER_ELEMENT);
  return { data: new ctor(body.buffer, 0, n), shape: layout.shape, dtype: layout.dtype };
}

/** The header text is at most this long in practice; a longer one is read in a second step. */
const PREAMBLE_GUESS = 4096;

/** Reads `length` bytes at `position` of an open file (all of them, or throws at the end of the file). */
function readFully(fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.length) {
    // One read call moves at most 1 GiB (the platform caps a read below 2 GiB).
    const n = readSync(fd, into, done, Math.min(into.length - done, 1 << 30), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** The layout of an open .npy file, read from its first bytes. */
export function readNpyLayoutSync(fd: number): NpyLayout {
  let head = new Uint8Array(PREAMBLE_GUESS);
  head = head.subarray(0, readFully(fd, head, 0));
  const { headerStart, headerLen } = preambleSize(head);
  if (headerStart + headerLen > head.length && head.length === PREAMBLE_GUESS) {
    const full = new Uint8Array(headerStart + headerLen);
    head = full.subarray(0, readFully(fd, full, 0));
  }
  return layoutOf(head);
}

/**
 * Reads and decodes an .npy file with positioned reads straight into the array (no whole-file buffer, so
 * the file may be larger than a Node Buffer; the array must fit in memory). Feature files that need not
 * fit are read by rows (store/npy-rows.ts).
 */
export async function readNpy(file: string): Promise<NpyDecoded> {
  const fd = openSync(file, 'r');
  try {
    const layout = readNpyLayoutSync(fd);
    const { ctor, dataStart, size: n } = layout;
    const body = new Uint8Array(n * ctor.BYTES_PER_ELEMENT);
    const got = readFully(fd, body, dataStart);
    if (got < body.length) throw truncatedData(got, layout);
    if (!HOST_LITTLE_ENDIAN && ctor.BYTES_PER_ELEMENT > 1) swapBytes(body, ctor.BYTES_PER_ELEMENT);
    return { data: new ctor(body.buffer, 0, n), shape: layout.shape, dtype: layout.dtype };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes an .npy file atomically: a temp file in the same directory, flushed to disk, then renamed
 * over the target, so readers never see a partial file.
 */
export async function writeNpyAtomic(file: string, data: NpyArray, shape: readonly number[]): Promise<void> {
  await writeFileAtomic(file, encodeNpy(data, shape));
}

/**
 * Writes a float32 .npy of `shape` from parts that arrive in order (feature files too big to hold at
 * once), atomically like writeNpyAtomic. The parts must add up to exactly the shape's size.
 */
export async function writeNpyPartsAtomic(file: string, shape: readonly number[], parts: AsyncIterable<Float32Array> | Iterable<Float32Array>): Promise<void> {
  const n = shapeSize(shape);
  await writeFileAtomicWith(file, async (write) => {
    await write(npyHeader('<f4', shape));
    let written = 0;
    for await (const part of parts) {
      written += part.length;
      if (written > n) throw new RangeError(`npy: parts exceed the shape [${shape.join(', ')}]`);
      const bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      if (!HOST_LITTLE_ENDIAN) swapBytes(bytes, 4);
      await write(bytes);
    }
    if (written !== n) throw new RangeError(`npy: parts hold ${written} values, the shape [${shape.join(', ')}] needs ${n}`);
  });
}
