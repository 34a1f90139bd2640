// 12-bit DCT JPEG: Extended (.51, Process 4) and the retired progressive syntaxes (.53 Process 8,
// .55 Process 12), through dcmjs-codecs: IJG libjpeg 6b built for 12-bit samples (as DCMTK ships
// it), in wasm. 8-bit DCT frames stay on libjpeg-turbo; pixels.ts picks by the SOF precision.
import { createRequire } from 'node:module';
import { DicomError, errorMessage } from '../errors.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';
import { checkJpegFrame, readJpegFrameHeader } from './jpeg-header.ts';

type DcmjsCodecs = typeof import('dcmjs-codecs');

/**
 * NativeCodecs keeps its wasm exports on a static `wasmApi` (not in its typings). Two of them are
 * needed: the codec reports errors by throwing a JS Error out of a wasm import (onCodecsException),
 * which unwinds the wasm frames without restoring emscripten's shadow-stack pointer. Unrestored,
 * each failed frame leaks ~2 KiB of the 64 KiB stack and after ~30 failures every later decode
 * fails ("memory access out of bounds") or hangs. The heap the failed decode allocated (about the
 * encoded frame, up to ~1 MB for a 512x512 progressive frame) leaks too; see recycleIfBloated.
 */
interface WasmInternals {
  wasmMemory: { buffer: ArrayBuffer };
  wasmemscripten_stack_get_current(): number;
  wasm_emscripten_stack_restore(pointer: number): void;
}

const require = createRequire(import.meta.url);
const CODEC_NAME = 'IJG 12-bit (dcmjs-codecs)';
/** Huffman-coded DCT frames: baseline, extended sequential, progressive (as libjpeg-turbo.ts). */
const DCT_MARKERS = new Set([0xc0, 0xc1, 0xc2]);
/** The module's memory may grow to 2 GiB; past half of that, leaks from failed frames are reclaimed. */
const RECYCLE_AT_BYTES = 1024 * 1024 * 1024;

let lib: DcmjsCodecs | undefined;
let loading: Promise<void> | undefined;
let recycling: Promise<void> | undefined;

function internals(codecs: DcmjsCodecs): WasmInternals {
  const api = (codecs.NativeCodecs as unknown as { wasmApi?: Partial<WasmInternals> }).wasmApi;
  if (
    !api?.wasmMemory ||
    typeof api.wasmemscripten_stack_get_current !== 'function' ||
    typeof api.wasm_emscripten_stack_restore !== 'function'
  ) {
    throw new Error('dcmjs-codecs: NativeCodecs.wasmApi lacks the stack/memory exports this module relies on');
  }
  return api as WasmInternals;
}

async function load(codecs: DcmjsCodecs): Promise<void> {
  await codecs.NativeCodecs.initializeAsync({
    // Explicit, so nothing depends on __dirname surviving a bundler; read from disk, never fetched.
    webAssemblyModulePathOrUrl: require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm'),
    logCodecsInfo: false,
    logCodecsTrace: false,
  });
  internals(codecs);
}

export function init(): Promise<void> {
  loading ??= (async () => {
    const codecs = require('dcmjs-codecs') as DcmjsCodecs;
    codecs.log.setLevel('silent'); // stdio from the wasm (fd_write) arrives as log.error
    await load(codecs);
    lib = codecs;
  })().catch((err: unknown) => {
    loading = undefined; // let a later initCodecs() try again
    throw err;
  });
  return loading;
}

/**
 * Memory a failed decode leaked cannot be freed in place: once the heap has grown past
 * RECYCLE_AT_BYTES, a fresh instance is loaded in the background and swapped in by NativeCodecs
 * (between decodes, as decoding is synchronous). Until then, and if that load fails, the old one
 * keeps working.
 */
function recycleIfBloated(codecs: DcmjsCodecs, api: WasmInternals): void {
  if (recycling || api.wasmMemory.buffer.byteLength < RECYCLE_AT_BYTES) return;
  recycling = load(codecs)
    .catch(() => {})
    .finally(() => {
      recycling = undefined;
    });
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
  if (!lib) throw new Error(`${CODEC_NAME} is not loaded: await initCodecs() before decoding`);
  const { Context, NativeCodecs } = lib;
  const api = internals(lib);
  const stack = api.wasmemscripten_stack_get_current();
  let decoded: InstanceType<DcmjsCodecs['Context']>;
  try {
    const context = new Context({
      width: info.columns,
      height: info.rows,
      bitsAllocated: info.bitsAllocated,
      bitsStored: info.bitsStored,
      samplesPerPixel: 1,
      pixelRepresentation: info.pixelRepresentation,
      planarConfiguration: 0,
      // Either monochrome decodes the same; the codec's colour conversion is off for one component.
      photometricInterpretation: 'MONOCHROME2',
      encodedBuffer: encoded,
    });
    decoded = NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: false });
  } catch (err) {
    api.wasm_emscripten_stack_restore(stack);
    recycleIfBloated(lib, api);
    throw new DicomError('unreadable', `${CODEC_NAME} could not decode the frame: ${errorMessage(err)}`);
  }
  const bytes = decoded.getDecodedBuffer();
  const pixels = info.rows * info.columns;
  if (decoded.getWidth() !== info.columns || decoded.getHeight() !== info.rows || decoded.getBitsAllocated() !== 16 || !bytes || bytes.length < pixels * 2) {
    throw new DicomError(
      'unreadable',
      `${CODEC_NAME} decoded ${decoded.getWidth()}x${decoded.getHeight()} (${bytes?.length ?? 0} bytes), expected ${info.columns}x${info.rows} 16-bit`,
    );
  }
  // getDecodedBuffer() is a copy that starts at offset 0 of its own buffer: a 16-bit view is aligned.
  return { samples: new Uint16Array(bytes.buffer, bytes.byteOffset, pixels), bits: info.bitsStored };
}
