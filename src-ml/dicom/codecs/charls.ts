// JPEG-LS (.80 lossless, .81 near-lossless) through @cornerstonejs/codec-charls (CharLS).
import { DicomError } from '../errors.ts';
import { LazyDecoder, runWasmDecoder } from './emscripten.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { checkJpegFrame, readJpegFrameHeader } from './jpeg-header.ts';

const codec = new LazyDecoder('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder', 'CharLS');

const SOF55 = 0xf7;

export function init(): Promise<void> {
  return codec.init();
}

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  // CharLS sizes its output from this header, so it is checked before the codec sees the data.
  const header = readJpegFrameHeader(encoded);
  if (header.marker !== SOF55) throw new DicomError('unreadable', 'JPEG-LS frame has no JPEG-LS frame header (SOF55)');
  checkJpegFrame(header, info.rows, info.columns, info.bitsAllocated);
  const { bytes, info: out } = runWasmDecoder(codec.get(), encoded, codec.codecName);
  const pixels = info.rows * info.columns;
  const bytesPerSample = out.bitsPerSample > 8 ? 2 : 1;
  if (out.width !== info.columns || out.height !== info.rows || out.componentCount !== 1 || bytes.length < pixels * bytesPerSample) {
    throw new DicomError('unreadable', `CharLS decoded ${out.width}x${out.height}x${out.componentCount}, expected ${info.columns}x${info.rows}x1`);
  }
  // The decoded copy starts at offset 0 of its own buffer, so a 16-bit view is aligned.
  const samples = bytesPerSample === 1 ? bytes.subarray(0, pixels) : new Uint16Array(bytes.buffer, bytes.byteOffset, pixels);
  return { samples, bits: info.bitsStored };
}
