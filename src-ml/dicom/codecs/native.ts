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
  const words = new Uint16Array(count);
  if (bigEndian) {
    for (let i = 0, p = start; i < count; i++, p += 2) words[i] = (bytes[p]! << 8) | bytes[p + 1]!;
  } else {
    for (let i = 0, p = start; i < count; i++, p += 2) words[i] = bytes[p]! | (bytes[p + 1]! << 8);
  }
  return words;
}
