// JPEG Lossless, Process 14 (.57) and its Selection Value 1 form (.70), through
// jpeg-lossless-decoder-js (pure JavaScript; nothing to initialise).
import { createRequire } from 'node:module';
import { errorMessage } from '../../base/errors.ts';
import { DicomError } from '../errors.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { checkJpegFrame, readJpegFrameHeader } from './jpeg-header.ts';

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
}

// The package's "types" entry points at a file it does not ship, so it is loaded untyped.
const require = createRequire(import.meta.url);
const { Decoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder };

const SOF3 = 0xc3;
const LOOKAHEAD_PAD = 4;

/**
 * jpeg-lossless-decoder-js 2.1.2 drops the last pixel (leaves 0) when that pixel's Huffman code
 * ends in the byte just before EOI: its look-ahead meets the marker first (the cornerstone
 * CTImage .70 sample). Zero bytes inserted before EOI are never decoded (decoding stops at the last
 * pixel) but keep the marker out of that look-ahead.
 */
function padBeforeEoi(encoded: Uint8Array): Uint8Array {
  // EOI is at the end, or followed by the fragment's even-length pad byte(s).
  for (let p = encoded.length - 2; p >= Math.max(0, encoded.length - 4); p--) {
    if (encoded[p] === 0xff && encoded[p + 1] === 0xd9) {
      const out = new Uint8Array(p + LOOKAHEAD_PAD + 2);
      out.set(encoded.subarray(0, p));
      out.set([0xff, 0xd9], p + LOOKAHEAD_PAD);
      return out;
    }
  }
  return encoded;
}

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  // The decoder allocates from this header, so it is checked first.
  const header = readJpegFrameHeader(encoded);
  if (header.marker !== SOF3) throw new DicomError('unreadable', 'JPEG Lossless frame has no lossless frame header (SOF3)');
  checkJpegFrame(header, info.rows, info.columns, info.bitsAllocated);
  let samples: Uint8Array | Uint16Array;
  try {
    const padded = padBeforeEoi(encoded);
    samples = new Decoder().decode(padded.buffer as ArrayBuffer, padded.byteOffset, padded.length, header.precision > 8 ? 2 : 1);
  } catch (err) {
    throw new DicomError('unreadable', `JPEG Lossless decoder failed: ${errorMessage(err)}`);
  }
  const pixels = info.rows * info.columns;
  if (samples.length < pixels) {
    throw new DicomError('unreadable', `JPEG Lossless frame decoded to ${samples.length} samples, expected ${pixels}`);
  }
  return { samples: samples.subarray(0, pixels), bits: info.bitsStored };
}
