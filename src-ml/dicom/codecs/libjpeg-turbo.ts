// 8-bit DCT JPEG (Baseline .50, 8-bit Extended .51) through @cornerstonejs/codec-libjpeg-turbo-8bit.
// That build decodes 8-bit samples only: pixels.ts routes 12-bit frames to ijg12.ts.
import { DicomError } from '../errors.ts';
import { LazyDecoder, runWasmDecoder } from './emscripten.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { checkJpegFrame, readJpegFrameHeader } from './jpeg-header.ts';

const codec = new LazyDecoder('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder', 'libjpeg-turbo');

/** Huffman-coded DCT frames: baseline, extended sequential, progressive. */
const DCT_MARKERS = new Set([0xc0, 0xc1, 0xc2]);

export function init(): Promise<void> {
  return codec.init();
}

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  const header = readJpegFrameHeader(encoded);
  if (!DCT_MARKERS.has(header.marker)) {
    throw new DicomError('unsupported', `JPEG frame type SOF${(header.marker - 0xc0).toString()} is not a Huffman DCT frame`);
  }
  checkJpegFrame(header, info.rows, info.columns, info.bitsAllocated);
  if (header.precision !== 8) {
    throw new DicomError('unsupported', `${header.precision}-bit DCT JPEG is not for the 8-bit libjpeg-turbo decoder`);
  }
  const { bytes, info: out } = runWasmDecoder(codec.get(), encoded, codec.codecName);
  const pixels = info.rows * info.columns;
  if (out.width !== info.columns || out.height !== info.rows || out.componentCount !== 1 || bytes.length < pixels) {
    throw new DicomError('unreadable', `libjpeg-turbo decoded ${out.width}x${out.height}x${out.componentCount}, expected ${info.columns}x${info.rows}x1`);
  }
  return { samples: bytes.subarray(0, pixels), bits: info.bitsStored };
}
