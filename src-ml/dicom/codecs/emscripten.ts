// Loads the @cornerstonejs emscripten codec builds in Node and runs their decoder classes safely.
import { createRequire } from 'node:module';
import { errorMessage } from '../../base/errors.ts';
import { DicomError } from '../errors.ts';

const require = createRequire(import.meta.url);

/** Frame description that all @cornerstonejs decoders return from getFrameInfo(). */
export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The embind decoder classes share this shape (JPEGDecoder, JpegLSDecoder, J2KDecoder). */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): WasmFrameInfo;
  decode(): void;
  readHeader?(): void;
  delete(): void;
}

export type WasmDecoderClass = new () => WasmDecoder;

type Factory = (moduleArg?: { print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<Record<string, unknown>>;

/**
 * Instantiates one codec build (e.g. '@cornerstonejs/codec-charls/decodewasmjs') and returns its
 * decoder class. The builds are CommonJS factories, hence createRequire; their stdout/stderr
 * chatter (OpenJPEG prints [INFO] lines per frame) is silenced.
 */
export async function loadDecoderClass(specifier: string, className: string): Promise<WasmDecoderClass> {
  const loaded = require(specifier) as Factory | { default: Factory };
  const factory = typeof loaded === 'function' ? loaded : loaded.default;
  const quiet = () => {};
  const module = await factory({ print: quiet, printErr: quiet });
  const cls = module[className];
  if (typeof cls !== 'function') throw new Error(`${specifier} has no ${className}`);
  return cls as WasmDecoderClass;
}

/**
 * Feeds one encoded frame to a fresh decoder and returns a copy of the decoded bytes (the
 * decoder's own buffer is a view into wasm memory that the next call may move). `check` runs
 * after the header is known and before the full decode allocates, so lying headers fail early.
 */
export function runWasmDecoder(
  Decoder: WasmDecoderClass,
  encoded: Uint8Array,
  codecName: string,
  check?: (decoder: WasmDecoder) => void,
): { bytes: Uint8Array; info: WasmFrameInfo } {
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    if (check) check(decoder);
    decoder.decode();
    const info = decoder.getFrameInfo();
    return { bytes: decoder.getDecodedBuffer().slice(), info };
  } catch (err) {
    if (err instanceof DicomError) throw err;
    // C++ exceptions arrive as bare numbers (pointers): say which codec failed instead.
    const detail = typeof err === 'number' ? 'the codec rejected the data' : errorMessage(err);
    throw new DicomError('unreadable', `${codecName} could not decode the frame: ${detail}`);
  } finally {
    decoder.delete();
  }
}

/** One lazily started, shared load of a decoder class. */
export class LazyDecoder {
  private cls: WasmDecoderClass | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly specifier: string,
    private readonly className: string,
    readonly codecName: string,
  ) {}

  init(): Promise<void> {
    this.loading ??= loadDecoderClass(this.specifier, this.className).then(
      (cls) => {
        this.cls = cls;
      },
      (err: unknown) => {
        this.loading = undefined; // let a later initCodecs() try again
        throw err;
      },
    );
    return this.loading;
  }

  get(): WasmDecoderClass {
    if (!this.cls) throw new Error(`${this.codecName} is not loaded: await initCodecs() before decoding`);
    return this.cls;
  }
}
