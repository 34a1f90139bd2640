// 12-bit DCT JPEG: Extended (.51, Process 4) and the retired progressive syntaxes (.53 Process 8,
// .55 Process 12), through dcmjs-codecs: IJG libjpeg 6b built for 12-bit samples (as DCMTK ships
// it), in wasm. 8-bit DCT frames stay on libjpeg-turbo; pixels.ts picks by the SOF precision.
// Loading the module and running it safely is dcmjs-native.ts's (shared with rle.ts).
import { DicomError } from '../errors.ts';
import { decodeNative, init as initNative } from './dcmjs-native.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { checkJpegFrame, readJpegFrameHeader } from './jpeg-header.ts';

const CODEC_NAME = 'IJG 12-bit (dcmjs-codecs)';
/** Huffman-coded DCT frames: baseline, extended sequential, progressive (as libjpeg-turbo.ts). */
const DCT_MARKERS = new Set([0xc0, 0xc1, 0xc2]);

export function init(): Promise<void> {
  return initNative();
}

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  // The codec sizes its work from the frame header, so that is checked against the data set first.
  const header = readJpegFrameHeader(encoded);
  if (!DCT_MARKERS.has(header.marker)) {
    throw new DicomError('unsupported', `JPEG frame type SOF${(header.marker - 0xc0).toString()} is not a Huffman DCT frame`);
  }
  checkJpegFrame(header, info.rows, info.columns, info.bitsAllocated);
  if (header.precision !== 12) {
    throw new DicomError('unreadable', `DCT JPEG precision is ${header.precision}; only 8 and 12 exist`);
  }
  // Precision 12 fits only Bits Allocated 16 (checkJpegFrame): the codec returns 16-bit samples.
  return decodeNative(CODEC_NAME, 'decodeJpeg', encoded, info, { convertColorspaceToRgb: false });
}
