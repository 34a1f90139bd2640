/**
 * Reads the tensors of a PyTorch checkpoint without Python:
 *  - torch.save's zip format (.pth / .pt, torch >= 1.6): `<root>/data.pkl` through the safe unpickler
 *    (unpickle.ts), each tensor's bytes from `<root>/data/<key>` (CRC-checked by zip-reader.ts);
 *  - .safetensors: an 8-byte little-endian header length, a JSON header, the raw data.
 * The state dict is the top-level dict when its values are tensors, else the one nested under
 * `state_dict`, `model` or `net`; a DataParallel `module.` prefix on every key is removed.
 * Tensor data is read lazily (one tensor at a time) and returned as float32 in C order.
 * Every problem throws one line naming the file and the reason.
 */
import { open } from 'node:fs/promises';
import { errorMessage } from '../base/errors.ts';
import { DTYPE_SIZE, isTensorRef, PickleError, unpickle, type PyValue, type TensorRef, type TorchDtype } from './unpickle.ts';
import { ZipError, ZipReader } from './zip-reader.ts';

export interface TensorSource {
  dtype: TorchDtype;
  shape: number[];
  /** The values as float32, C order (float64 / float16 / bfloat16 converted). */
  read(): Promise<Float32Array>;
}

export type CheckpointFormat = 'torch-zip' | 'safetensors';

export interface Checkpoint {
  file: string;
  format: CheckpointFormat;
  /** The key the state dict was nested under ('state_dict' | 'model' | 'net'), if any. */
  nestedUnder: string | null;
  /** Whether a DataParallel 'module.' prefix was removed from every key. */
  strippedPrefix: string | null;
  tensors: Map<string, TensorSource>;
  close(): Promise<void>;
}

export const NESTED_KEYS = ['state_dict', 'model', 'net'] as const;
const MODULE_PREFIX = 'module.';

export class CheckpointError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'CheckpointError';
  }
}

// ---- dtype conversion ----

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Little-endian bytes of `dtype` -> float32 values. Integer and bool types are converted too. */
export function toFloat32(bytes: Uint8Array, dtype: TorchDtype, count: number): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      break;
    case 'bfloat16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      break;
    case 'uint8':
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = dv.getUint8(i);
      break;
  }
  return out;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Copies a strided view (offset, shape, stride in elements) of `src` into a C-order array. */
function gather(src: Float32Array, offset: number, shape: number[], stride: number[]): Float32Array {
  const n = sizeOf(shape);
  const out = new Float32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let p = offset;
    for (let d = 0; d < shape.length; d++) p += idx[d]! * stride[d]!;
    out[i] = src[p]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) return false;
    expect *= shape[d]!;
  }
  return true;
}

// ---- state dict selection ----

function selectStateDict(file: string, root: Map<string, unknown>): { dict: Map<string, unknown>; nestedUnder: string | null } {
  const isTensorDict = (m: Map<string, unknown>) => m.size > 0 && [...m.values()].some((v) => isTensorRef(v) || isSource(v));
  if (isTensorDict(root) && [...root.values()].every((v) => isTensorRef(v) || isSource(v))) return { dict: root, nestedUnder: null };
  for (const k of NESTED_KEYS) {
    const v = root.get(k);
    if (v instanceof Map && isTensorDict(v as Map<string, unknown>)) return { dict: v as Map<string, unknown>, nestedUnder: k };
  }
  const keys = [...root.keys()].slice(0, 8).map(String);
  throw new CheckpointError(file, `no state_dict found: the top level holds ${keys.join(', ') || 'nothing'}${root.size > 8 ? ', ...' : ''} `
    + `and none of ${NESTED_KEYS.join(', ')} is a dict of tensors`);
}

function isSource(v: unknown): v is TensorSource {
  return typeof v === 'object' && v !== null && typeof (v as TensorSource).read === 'function';
}

function stripPrefix(tensors: Map<string, TensorSource>): { tensors: Map<string, TensorSource>; strippedPrefix: string | null } {
  const keys = [...tensors.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith(MODULE_PREFIX))) return { tensors, strippedPrefix: null };
  return { tensors: new Map(keys.map((k) => [k.slice(MODULE_PREFIX.length), tensors.get(k)!])), strippedPrefix: MODULE_PREFIX };
}

// ---- torch zip ----

async function openTorchZip(file: string): Promise<Checkpoint> {
  const zip = await ZipReader.open(file);
  try {
    const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pkls.length !== 1) {
      throw new CheckpointError(file, pkls.length === 0 ? 'no <name>/data.pkl in the zip: not a torch.save checkpoint' : `${pkls.length} data.pkl records in the zip`);
    }
    const root = pkls[0]!.slice(0, -'data.pkl'.length);
    const order = zip.entries.has(`${root}byteorder`) ? Buffer.from(await zip.read(`${root}byteorder`)).toString('latin1').trim() : 'little';
    if (order !== 'little') throw new CheckpointError(file, `byte order "${order}" is not supported (little-endian checkpoints only)`);
    let top: PyValue;
    try {
      top = unpickle(await zip.read(pkls[0]!));
    } catch (err) {
      if (err instanceof PickleError) throw new CheckpointError(file, err.message);
      throw err;
    }
    if (!(top instanceof Map)) throw new CheckpointError(file, 'data.pkl does not hold a dict (a whole pickled model is not a state_dict: save model.state_dict())');
    const { dict, nestedUnder } = selectStateDict(file, top as Map<string, unknown>);
    const tensors = new Map<string, TensorSource>();
    const bad: string[] = [];
    for (const [k, v] of dict) {
      if (typeof k !== 'string' || !isTensorRef(v)) {
        bad.push(String(k));
        continue;
      }
      tensors.set(k, torchTensor(file, zip, root, v));
    }
    if (bad.length) throw new CheckpointError(file, `the state dict holds non-tensor entries: ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ` and ${bad.length - 8} more` : ''}`);
    return { file, format: 'torch-zip', nestedUnder, ...stripPrefix(tensors), close: () => zip.close() };
  } catch (err) {
    await zip.close();
    throw err;
  }
}

function torchTensor(file: string, zip: ZipReader, root: string, t: TensorRef): TensorSource {
  return {
    dtype: t.storage.dtype,
    shape: t.shape,
    read: async () => {
      const { storage } = t;
      const entry = `${root}data/${storage.key}`;
      if (!zip.entries.has(entry)) throw new CheckpointError(file, `storage ${entry} is missing from the zip`);
      const bytes = await zip.read(entry);
      const el = DTYPE_SIZE[storage.dtype];
      if (bytes.length < storage.numel * el) throw new CheckpointError(file, `storage ${entry} has ${bytes.length} bytes, ${storage.numel} x ${el} expected (corrupted)`);
      const n = sizeOf(t.shape);
      let last = t.offset;
      for (let d = 0; d < t.shape.length; d++) last += (t.shape[d]! - 1) * t.stride[d]!;
      if (n > 0 && (t.offset < 0 || last >= storage.numel || t.stride.some((s) => s < 0))) {
        throw new CheckpointError(file, `a tensor of shape [${t.shape.join(', ')}] reaches past its storage ${entry} (corrupted)`);
      }
      if (isContiguous(t.shape, t.stride)) return toFloat32(bytes.subarray(t.offset * el, (t.offset + n) * el), storage.dtype, n);
      return gather(toFloat32(bytes, storage.dtype, storage.numel), t.offset, t.shape, t.stride);
    },
  };
}

// ---- safetensors ----

const SAFETENSORS_DTYPES: Record<string, TorchDtype> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

async function openSafetensors(file: string): Promise<Checkpoint> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const readAt = async (pos: number, len: number, what: string): Promise<Uint8Array> => {
      if (pos + len > size) throw new CheckpointError(file, `${what} at offset ${pos} (${len} bytes) lies past the end of the ${size}-byte file (truncated or corrupted)`);
      const b = new Uint8Array(len);
      let done = 0;
      while (done < len) {
        const { bytesRead } = await fh.read(b, done, len - done, pos + done);
        if (bytesRead === 0) throw new CheckpointError(file, `${what}: unexpected end of file`);
        done += bytesRead;
      }
      return b;
    };
    const lenBytes = await readAt(0, 8, 'safetensors header length');
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(Math.min(size - 8, 100_000_000))) throw new CheckpointError(file, `safetensors header length ${headerLen} exceeds the file (truncated or corrupted)`);
    const headerText = Buffer.from(await readAt(8, Number(headerLen), 'safetensors header')).toString('utf8');
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerText) as Record<string, unknown>;
    } catch (err) {
      throw new CheckpointError(file, `safetensors header is not JSON: ${errorMessage(err)}`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CheckpointError(file, 'safetensors header is not a JSON object');
    const dataStart = 8 + Number(headerLen);
    const tensors = new Map<string, TensorSource>();
    for (const [name, rec] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const r = rec as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = typeof r.dtype === 'string' ? SAFETENSORS_DTYPES[r.dtype] : undefined;
      const shape = r.shape;
      const offs = r.data_offsets;
      if (!dtype) throw new CheckpointError(file, `tensor ${name}: unsupported safetensors dtype ${JSON.stringify(r.dtype)}`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new CheckpointError(file, `tensor ${name}: bad shape`);
      if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[1] < offs[0]) {
        throw new CheckpointError(file, `tensor ${name}: bad data_offsets`);
      }
      const [begin, end] = offs as [number, number];
      const n = sizeOf(shape as number[]);
      if (end - begin !== n * DTYPE_SIZE[dtype]) throw new CheckpointError(file, `tensor ${name}: ${end - begin} bytes for ${n} values of ${r.dtype as string} (corrupted)`);
      if (dataStart + end > size) throw new CheckpointError(file, `tensor ${name} lies past the end of the ${size}-byte file (truncated)`);
      tensors.set(name, {
        dtype,
        shape: shape as number[],
        read: async () => toFloat32(await readAt(dataStart + begin, end - begin, `tensor ${name}`), dtype, n),
      });
    }
    return { file, format: 'safetensors', nestedUnder: null, ...stripPrefix(tensors), close: () => fh.close() };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

// ---- entry point ----

/** Opens a torch.save zip checkpoint or a .safetensors file (told apart by their first bytes). */
export async function openCheckpoint(file: string): Promise<Checkpoint> {
  let head: Uint8Array;
  try {
    const fh = await open(file, 'r');
    try {
      head = new Uint8Array(16);
      const { bytesRead } = await fh.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${errorMessage(err)}`);
  }
  try {
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return await openTorchZip(file);
    if (head.length >= 9 && head[8] === 0x7b) return await openSafetensors(file);
    if (head[0] === 0x80) throw new CheckpointError(file, 'a legacy (torch < 1.6) pickle checkpoint: load and re-save it with torch.save in torch >= 1.6');
    if (head[0] === 0x50 && head[1] === 0x4b) throw new ZipError(file, 'the zip does not start with a local file header (corrupted)');
    throw new CheckpointError(file, head.length === 0 ? 'empty file' : 'neither a torch.save zip nor a .safetensors file');
  } catch (err) {
    if (err instanceof CheckpointError || err instanceof ZipError) throw err;
    throw new CheckpointError(file, errorMessage(err));
  }
}
