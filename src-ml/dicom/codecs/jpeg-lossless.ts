// JPEG Lossless, Process 14 (.57) and its Selection Value 1 form (.70), through
// jpeg-lossless-decoder-js (pure JavaScript; nothing to initialise).
import { createRequire } from 'node:module';
import { DicomError, errorMessage } from '../errors.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { checkJpegFrame, readJpegFrameHeader } from './jpeg-header.ts';

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
}

// The package's "types" entry points at a file it does not ship, so it is loaded untyped.
const require = createRequire(import.meta.url);
const { Decoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder };

const SOF3 = 0xc3;

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  // The decoder allocates from this header, so it is checked first.
  const header = readJpegFrameHeader(encoded);
  if (header.marker !== SOF3) throw new DicomError('unreadable', 'JPEG Lossless frame has no lossless frame header (SOF3)');
  checkJpegFrame(header, info.rows, info.columns, info.bitsAllocated);
  let samples: Uint8Array | Uint16Array;
  try {
    samples = new Decoder().decode(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.length, header.precision > 8 ? 2 : 1);
  } catch (err) {
    throw new DicomError('unreadable', `JPEG Lossless decoder failed: ${errorMessage(err)}`);
  }
  const pixels = info.rows * info.columns;
  if (samples.length < pixels) {
    throw new DicomError('unreadable', `JPEG Lossless frame decoded to ${samples.length} samples, expected ${pixels}`);
  }
  return { samples: samples.subarray(0, pixels), bits: info.bitsStored };
}
