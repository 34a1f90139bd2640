// Reads one frame of native (uncompressed) pixel data as raw allocated words.
import { DicomError } from '../errors.ts';
import type { FrameInfo } from './frame-info.ts';

export interface NativePixelData {
  /** Bytes that dataOffset refers to. */
  byteArray: Uint8Array;
  dataOffset: number;
  length: number;
}

/**
 * Checks the pixel data length against what the header implies for all frames (before anything is
 * allocated), then returns frame `frameIndex` as 8- or 16-bit words in host order.
 */
export function readNativeFrame(
  pixels: NativePixelData,
  info: FrameInfo,
  frames: number,
  frameIndex: number,
  bigEndian: boolean,
): Uint8Array | Uint16Array {
  const bytesPerSample = info.bitsAllocated / 8;
  const frameBytes = info.rows * info.columns * bytesPerSample;
  const implied = frameBytes * frames;
  // An odd byte count is padded to even length (PS3.5 7.1.1), so one extra byte is fine.
  const padded = implied % 2 === 1 && pixels.length === implied + 1;
  if (pixels.length !== implied && !padded) {
    throw new DicomError('unreadable', `pixel data is ${pixels.length} bytes, header implies ${implied}`);
  }
  if (pixels.dataOffset + implied > pixels.byteArray.length) {
    throw new DicomError('unreadable', `pixel data is cut short: the file ends ${pixels.dataOffset + implied - pixels.byteArray.length} bytes early`);
  }
  const start = pixels.dataOffset + frameIndex * frameBytes;
  const bytes = pixels.byteArray;
  const count = info.rows * info.columns;
  if (bytesPerSample === 1) return bytes.slice(start, start + count);
  // One native copy (aligned, so a typed view works), then a native byte swap for big endian:
  // per-pixel JS loops here cost ten times more on a 512x512 slice.
  const copy = bytes.slice(start, start + 2 * count);
  if (bigEndian === LITTLE_ENDIAN_HOST) Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength).swap16();
  return new Uint16Array(copy.buffer, copy.byteOffset, count);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
