// RLE Lossless (1.2.840.10008.1.2.5), DICOM PS3.5 Annex G: a 64-byte header of segment offsets,
// then one PackBits-coded segment per byte plane (most significant byte first).
import { DicomError } from '../errors.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';

const HEADER_BYTES = 64;
const MAX_EXPANSION = 64;

/**
 * Decodes PackBits (PS3.5 G.3.1) from `src` into `dst` until either runs out; returns the number
 * of bytes written. Input left over after `dst` is full is padding and ignored.
 */
export function unpackBits(src: Uint8Array, dst: Uint8Array): number {
  let i = 0;
  let o = 0;
  while (i < src.length && o < dst.length) {
    const n = src[i++]!;
    if (n < 128) {
      // n + 1 literal bytes follow
      const count = Math.min(n + 1, src.length - i, dst.length - o);
      dst.set(src.subarray(i, i + count), o);
      i += n + 1;
      o += count;
    } else if (n > 128) {
      // the next byte repeated 257 - n times (-n + 1 for n read as a signed byte)
      if (i >= src.length) break;
      const value = src[i++]!;
      const end = Math.min(o + 257 - n, dst.length);
      dst.fill(value, o, end);
      o = end;
    } // n === 128 (-128) is a no-op
  }
  return o;
}

/** Decodes one RLE frame of a single-sample image into 8- or 16-bit samples. */
export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  const planes = info.bitsAllocated / 8;
  if (encoded.length < HEADER_BYTES) throw new DicomError('unreadable', `RLE frame is ${encoded.length} bytes, shorter than its header`);
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== planes) {
    throw new DicomError('unreadable', `RLE frame has ${segments} segments, Bits Allocated ${info.bitsAllocated} needs ${planes}`);
  }
  const pixels = info.rows * info.columns;
  const bounds: [number, number][] = [];
  for (let s = 0; s < planes; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < planes ? view.getUint32(8 + 4 * s, true) : encoded.length;
    if (start < HEADER_BYTES || end < start || end > encoded.length) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} has bad offsets ${start}..${end}`);
    }
    // A 2-byte PackBits run expands to at most 128 bytes: refuse before allocating for a lying header.
    if (pixels > MAX_EXPANSION * (end - start)) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} (${end - start} bytes) cannot hold ${pixels} pixels`);
    }
    bounds.push([start, end]);
  }
  const bytes = new Uint8Array(pixels * planes);
  bounds.forEach(([start, end], s) => {
    const written = unpackBits(encoded.subarray(start, end), bytes.subarray(s * pixels, (s + 1) * pixels));
    if (written !== pixels) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} decodes to ${written} bytes, expected ${pixels}`);
    }
  });
  if (planes === 1) return { samples: bytes, bits: info.bitsStored };
  const samples = new Uint16Array(pixels);
  for (let i = 0; i < pixels; i++) samples[i] = (bytes[i]! << 8) | bytes[pixels + i]!;
  return { samples, bits: info.bitsStored };
}
