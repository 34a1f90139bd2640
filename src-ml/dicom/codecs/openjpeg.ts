// JPEG 2000 (.90 lossless, .91) through @cornerstonejs/codec-openjpeg (OpenJPEG).
import { DicomError } from '../errors.ts';
import { LazyDecoder, runWasmDecoder } from './emscripten.ts';
import type { WasmDecoder } from './emscripten.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';

const codec = new LazyDecoder('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', 'OpenJPEG');

export function init(): Promise<void> {
  return codec.init();
}

export function decode(encoded: Uint8Array, info: FrameInfo): DecodedFrame {
  const expect = `${info.columns}x${info.rows}x1`;
  // Read the codestream header first: OpenJPEG sizes its output from it.
  const checkHeader = (decoder: WasmDecoder) => {
    decoder.readHeader?.();
    const h = decoder.getFrameInfo();
    if (h.width !== info.columns || h.height !== info.rows || h.componentCount !== 1) {
      throw new DicomError('unreadable', `JPEG 2000 codestream is ${h.width}x${h.height}x${h.componentCount}, expected ${expect}`);
    }
    if (h.bitsPerSample < 1 || h.bitsPerSample > info.bitsAllocated) {
      throw new DicomError('unreadable', `JPEG 2000 precision ${h.bitsPerSample} does not fit Bits Allocated ${info.bitsAllocated}`);
    }
  };
  const { bytes, info: out } = runWasmDecoder(codec.get(), encoded, codec.codecName, checkHeader);
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
  const bits = !out.isSigned && info.pixelRepresentation === 1 ? out.bitsPerSample : info.bitsStored;
  return { samples, bits };
}
