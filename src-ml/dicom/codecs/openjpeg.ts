// JPEG 2000 (.90 lossless, .91) through @cornerstonejs/codec-openjpeg (OpenJPEG).
import { DicomError } from '../errors.ts';
import { LazyDecoder, runWasmDecoder } from './emscripten.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { readJ2kHeader } from './j2k-header.ts';

const codec = new LazyDecoder('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', 'OpenJPEG');

export function init(): Promise<void> {
  return codec.init();
}

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  // OpenJPEG sizes its output from the codestream header, so that is checked first.
  const h = readJ2kHeader(encoded);
  if (h.columns !== info.columns || h.rows !== info.rows || h.components !== 1) {
    throw new DicomError('unreadable', `JPEG 2000 codestream is ${h.columns}x${h.rows}x${h.components}, expected ${info.columns}x${info.rows}x1`);
  }
  if (h.precision > info.bitsAllocated) {
    throw new DicomError('unreadable', `JPEG 2000 precision ${h.precision} does not fit Bits Allocated ${info.bitsAllocated}`);
  }
  const { bytes, info: out } = runWasmDecoder(codec.get(), encoded, codec.codecName);
  if (out.width !== info.columns || out.height !== info.rows || out.componentCount !== 1) {
    throw new DicomError('unreadable', `OpenJPEG decoded ${out.width}x${out.height}x${out.componentCount}, expected ${info.columns}x${info.rows}x1`);
  }
  const pixels = info.rows * info.columns;
  const bytesPerSample = out.bitsPerSample > 8 ? 2 : 1;
  if (bytes.length < pixels * bytesPerSample) {
    throw new DicomError('unreadable', `OpenJPEG decoded ${bytes.length} bytes, expected ${pixels * bytesPerSample}`);
  }
  const samples = bytesPerSample === 1 ? bytes.subarray(0, pixels) : new Uint16Array(bytes.buffer, bytes.byteOffset, pixels);
  // The codestream may disagree with Pixel Representation (pydicom's J2K_pixelrep_mismatch.dcm:
  // unsigned 13-bit codestream, signed data set). Like pydicom (APPLY_J2K_CORRECTIONS), the data
  // set's signedness wins and an unsigned codestream's bits are reinterpreted as two's complement
  // of the codestream's own precision.
  const bits = !h.isSigned && info.pixelRepresentation === 1 ? h.precision : info.bitsStored;
  return { samples, bits };
}
