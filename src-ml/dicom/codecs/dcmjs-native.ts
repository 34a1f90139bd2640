// dcmjs-codecs' one wasm module (NativeCodecs), shared by the codecs that use it: ijg12.ts (12-bit
// DCT JPEG) and rle.ts (RLE Lossless). Loads it once from disk with its logging silenced, and runs
// each decode so that a failure leaves the module usable and is reported as one line.
import { createRequire } from 'node:module';
import { errorMessage } from '../../base/errors.ts';
import { DicomError } from '../errors.ts';
import type { DecodedFrame, FrameInfo } from './frame-info.ts';

type DcmjsCodecs = typeof import('dcmjs-codecs');
type Context = InstanceType<DcmjsCodecs['Context']>;

/** The NativeCodecs decoders this project uses. */
export type NativeDecoder = 'decodeJpeg' | 'decodeRle';

/**
 * NativeCodecs keeps its wasm exports on a static `wasmApi` (not in its typings). Two of them are
 * needed: the codec reports errors by throwing a JS Error out of a wasm import (onCodecsException),
 * which unwinds the wasm frames without restoring emscripten's shadow-stack pointer. Unrestored,
 * each failed frame leaks ~2 KiB of the 64 KiB stack and after ~30 failures every later decode
 * fails ("memory access out of bounds") or hangs. The heap the failed decode allocated (the
 * encoded frame and whatever output was sized, up to ~1 MB for a 512x512 progressive JPEG) leaks
 * too; see recycleIfBloated.
 */
interface WasmInternals {
  wasmMemory: { buffer: ArrayBuffer };
  wasmemscripten_stack_get_current(): number;
  wasm_emscripten_stack_restore(pointer: number): void;
}

const require = createRequire(import.meta.url);
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

/** Loads the wasm module once for every codec that uses it; a failed load can be retried. */
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

/**
 * Decodes one single-sample frame with NativeCodecs[decoder] and checks that it came back at the
 * data set's size and Bits Allocated. The caller checks what the codec would otherwise trust (frame
 * headers) first. Every codec failure is a one-line DicomError('unreadable', `${codecName} ...`).
 */
export function decodeNative(
  codecName: string,
  decoder: NativeDecoder,
  encoded: Uint8Array,
  info: FrameInfo,
  parameters: Record<string, unknown> = {},
): DecodedFrame {
  if (!lib) throw new Error(`${codecName} is not loaded: await initCodecs() before decoding`);
  const { Context, NativeCodecs } = lib;
  const api = internals(lib);
  const stack = api.wasmemscripten_stack_get_current();
  let decoded: Context;
  try {
    const context = new Context({
      width: info.columns,
      height: info.rows,
      bitsAllocated: info.bitsAllocated,
      bitsStored: info.bitsStored,
      samplesPerPixel: 1,
      pixelRepresentation: info.pixelRepresentation,
      planarConfiguration: 0,
      // Either monochrome decodes the same; the codecs' colour conversion is off for one component.
      photometricInterpretation: 'MONOCHROME2',
      encodedBuffer: encoded,
    });
    decoded = NativeCodecs[decoder](context, parameters);
  } catch (err) {
    api.wasm_emscripten_stack_restore(stack);
    recycleIfBloated(lib, api);
    throw new DicomError('unreadable', `${codecName} could not decode the frame: ${errorMessage(err)}`);
  }
  const bytes = decoded.getDecodedBuffer();
  const pixels = info.rows * info.columns;
  const bytesPerSample = info.bitsAllocated / 8;
  if (
    decoded.getWidth() !== info.columns ||
    decoded.getHeight() !== info.rows ||
    decoded.getBitsAllocated() !== info.bitsAllocated ||
    !bytes ||
    bytes.length < pixels * bytesPerSample
  ) {
    throw new DicomError(
      'unreadable',
      `${codecName} decoded ${decoded.getWidth()}x${decoded.getHeight()} (${bytes?.length ?? 0} bytes), expected ${info.columns}x${info.rows} ${info.bitsAllocated}-bit`,
    );
  }
  // getDecodedBuffer() is a copy that starts at offset 0 of its own buffer: a 16-bit view is aligned.
  // 16-bit samples come back little-endian, as the host (x86/ARM) stores them.
  const samples = bytesPerSample === 1 ? bytes.subarray(0, pixels) : new Uint16Array(bytes.buffer, bytes.byteOffset, pixels);
  return { samples, bits: info.bitsStored };
}
