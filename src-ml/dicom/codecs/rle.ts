// RLE Lossless (1.2.840.10008.1.2.5), DICOM PS3.5 Annex G: a 64-byte header of segment offsets,
// then one PackBits-coded segment per byte plane (most significant byte first). Decoded by
// dcmjs-codecs' RLE decoder (wasm, through dcmjs-native.ts).
//
// That decoder trusts the header: it decodes however many segments the header claims into planes
// sized from the data set (a wrong count gives garbage or writes past its buffer), reads offsets
// unchecked, zero-fills a plane whose segment ends early without saying so, and lets a replicate
// run overshoot its plane by one sample. So checkRleFrame checks all of that first, reading only
// the header and the segments' run headers and allocating nothing.
import { DicomError } from '../errors.ts';
import { decodeNative, init as initNative } from './dcmjs-native.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';

const CODEC_NAME = 'RLE (dcmjs-codecs)';
const HEADER_BYTES = 64;
/** A 2-byte PackBits run expands to at most 128 bytes. */
const MAX_EXPANSION = 64;

export function init(): Promise<void> {
  return initNative();
}

/**
 * How many bytes the PackBits segment encoded[start, end) yields (PS3.5 G.3.1), counted from its run
 * headers without decoding, stopping once `plane` bytes are reached as the codec does (what follows
 * is padding). A result below `plane` is a segment that ends early (or in a cut-off literal run,
 * counted as far as it goes); above `plane`, a run that crosses the end of the plane.
 */
function segmentYield(encoded: Uint8Array, start: number, end: number, plane: number): number {
  let i = start;
  let o = 0;
  // As the codec: a lone byte left after a run is padding, never a run header.
  while (i + 1 < end && o < plane) {
    const n = encoded[i++]!;
    if (n < 128) {
      // n + 1 literal bytes follow
      if (end - i < n + 1) return o + (end - i);
      i += n + 1;
      o += n + 1;
    } else if (n > 128) {
      // the next byte repeated 257 - n times
      i++;
      o += 257 - n;
    } // n === 128 is a no-op
  }
  return o;
}

/** Checks the header and every segment against the data set, before the codec trusts them. */
function checkRleFrame(encoded: Uint8Array, info: FrameInfo): void {
  // One sample per pixel (readPixelModule): a segment per byte of Bits Allocated.
  const planes = info.bitsAllocated / 8;
  if (encoded.length < HEADER_BYTES) throw new DicomError('unreadable', `RLE frame is ${encoded.length} bytes, shorter than its header`);
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== planes) {
    throw new DicomError('unreadable', `RLE frame has ${segments} segments, Bits Allocated ${info.bitsAllocated} needs ${planes}`);
  }
  const pixels = info.rows * info.columns;
  for (let s = 0; s < planes; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < planes ? view.getUint32(8 + 4 * s, true) : encoded.length;
    if (start < HEADER_BYTES || end < start || end > encoded.length) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} has bad offsets ${start}..${end}`);
    }
    // Cheap first: refuse a lying header without walking a segment far too short for it.
    if (pixels > MAX_EXPANSION * (end - start)) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} (${end - start} bytes) cannot hold ${pixels} pixels`);
    }
    const yielded = segmentYield(encoded, start, end, pixels);
    if (yielded < pixels) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} decodes to ${yielded} bytes, expected ${pixels}`);
    }
    if (yielded > pixels) {
      throw new DicomError('unreadable', `RLE segment ${s + 1} has a run past its ${pixels} bytes`);
    }
  }
}

/** Decodes one RLE frame of a single-sample image into 8- or 16-bit samples. */
export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  checkRleFrame(encoded, info);
  return decodeNative(CODEC_NAME, 'decodeRle', encoded, info);
}
