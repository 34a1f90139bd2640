/**
 * A safe, minimal unpickler for the data.pkl of a torch.save checkpoint (pickle protocols 0-4; torch
 * writes protocol 2). It interprets the opcodes only as data: nothing is imported or called. A GLOBAL
 * names a Python callable; only the few a state_dict needs are known here, and each is implemented in
 * TypeScript:
 *
 *   collections.OrderedDict                   -> Map
 *   torch._utils._rebuild_tensor_v2 / _rebuild_tensor   -> TensorRef (storage, offset, shape, stride)
 *   torch._utils._rebuild_parameter(_with_state)         -> the wrapped TensorRef
 *   torch.FloatStorage, HalfStorage, ... (in the persistent ids) -> StorageType
 *   torch.Size                                -> a tuple
 *
 * Any other global (os.system, builtins.eval, argparse.Namespace, numpy scalars ...) is refused by a
 * PickleRefusedError naming it, at the GLOBAL opcode, before anything else happens; an opcode outside
 * the data subset (INST, OBJ, NEWOBJ, EXT*) is refused likewise.
 *
 * Python values: None -> null, bool, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list -> Array, tuple -> PyTuple, dict / OrderedDict -> Map.
 */

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** The pickle asks for a Python global outside the state-dict allow-list: nothing was executed. */
export class PickleRefusedError extends PickleError {
  constructor(readonly global: string, reason = 'only the records of a state_dict are accepted') {
    super(`refused pickle global ${global} (${reason}); nothing was executed`);
    this.name = 'PickleRefusedError';
  }
}

export type TorchDtype = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_SIZE: Record<TorchDtype, number> = {
  float64: 8, float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

const STORAGE_TYPES: Record<string, TorchDtype> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export interface StorageType {
  kind: 'storage-type';
  dtype: TorchDtype;
  name: string;
}

export interface StorageRef {
  kind: 'storage';
  dtype: TorchDtype;
  /** The storage's file in the archive: data/<key>. */
  key: string;
  numel: number;
}

export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

interface GlobalRef {
  kind: 'global';
  name: string;
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | Map<PyValue, PyValue> | StorageType | StorageRef | TensorRef | GlobalRef;

/** MARK pushes the current stack on a meta-stack (as CPython does), so the stack holds only values. */
type StackItem = PyValue;

const ALLOWED_CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
]);


function isObj(v: StackItem, kind: string): boolean {
  return typeof v === 'object' && v !== null && !(v instanceof Map) && !(v instanceof PyTuple) && !Array.isArray(v) && !(v instanceof Uint8Array) && (v as { kind?: string }).kind === kind;
}

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'tensor';
}

function resolveGlobal(module: string, name: string): GlobalRef | StorageType {
  const full = `${module}.${name}`;
  if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) return { kind: 'storage-type', dtype: STORAGE_TYPES[name]!, name: full };
  if (ALLOWED_CALLABLES.has(full)) return { kind: 'global', name: full };
  throw new PickleRefusedError(full);
}

function toInt(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  throw new PickleError(`${what}: expected an integer`);
}

function intList(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new PickleError(`${what}: expected a tuple of integers`);
  return items.map((x) => toInt(x, what));
}

function argsOf(v: PyValue, what: string): PyValue[] {
  if (!(v instanceof PyTuple)) throw new PickleError(`${what}: arguments are not a tuple`);
  return v.items;
}

function callAllowed(fn: GlobalRef, argValue: PyValue): PyValue {
  const args = argsOf(argValue, fn.name);
  switch (fn.name) {
    case 'collections.OrderedDict': {
      const m = new Map<PyValue, PyValue>();
      const init = args[0];
      if (init instanceof Map) for (const [k, v] of init) m.set(k, v);
      else if (Array.isArray(init)) {
        for (const pair of init) {
          const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : null;
          if (!kv || kv.length !== 2) throw new PickleError('collections.OrderedDict: bad (key, value) pair');
          m.set(kv[0]!, kv[1]!);
        }
      } else if (args.length > 0 && init !== null) throw new PickleError('collections.OrderedDict: unsupported initial value');
      return m;
    }
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor': {
      const storage = args[0];
      if (!isObj(storage as StackItem, 'storage')) throw new PickleError(`${fn.name}: the first argument is not a storage`);
      const shape = intList(args[2] ?? null, `${fn.name} size`);
      const stride = intList(args[3] ?? null, `${fn.name} stride`);
      if (stride.length !== shape.length) throw new PickleError(`${fn.name}: size and stride differ in length`);
      return { kind: 'tensor', storage: storage as StorageRef, offset: toInt(args[1] ?? null, `${fn.name} offset`), shape, stride };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const data = args[0];
      if (!isTensorRef(data)) throw new PickleError(`${fn.name}: the first argument is not a tensor`);
      return data;
    }
    case 'torch.Size':
      return new PyTuple(intList(args[0] ?? new PyTuple([]), 'torch.Size'));
    default:
      throw new PickleRefusedError(fn.name);
  }
}

/** torch's persistent id for a storage: ('storage', storage_type, key, location, numel). */
function persistentLoad(pid: PyValue): StorageRef {
  const items = pid instanceof PyTuple ? pid.items : null;
  if (!items || items[0] !== 'storage' || items.length < 5) throw new PickleError('unsupported persistent id (expected a torch storage record)');
  const type = items[1];
  if (!isObj(type as StackItem, 'storage-type')) throw new PickleError('persistent id: the storage type is not a torch storage class');
  const key = items[2];
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new PickleError('persistent id: bad storage key');
  return { kind: 'storage', dtype: (type as StorageType).dtype, key, numel: toInt(items[4]!, 'storage numel') };
}

const OP_NAMES: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
};

/** Unpickles `bytes` (a torch data.pkl) into plain values; throws PickleRefusedError / PickleError. */
export function unpickle(bytes: Uint8Array): PyValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const metaStack: StackItem[][] = [];
  const memo = new Map<number, StackItem>();
  let pos = 0;
  let cur: StackItem[] = stack;
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new PickleError(`truncated pickle at byte ${pos}`);
  };
  const u8 = (): number => { need(1); return bytes[pos++]!; };
  const u16 = (): number => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = dv.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError('length too large');
    return Number(v);
  };
  const take = (n: number): Uint8Array => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError(`truncated pickle at byte ${pos} (no newline)`);
    const s = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const str = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      throw new PickleError('invalid UTF-8 in a string');
    }
  };
  const pop = (): StackItem => {
    if (cur.length === 0) throw new PickleError('pickle stack underflow');
    return cur.pop()!;
  };
  const popValue = pop;
  const top = (): StackItem => {
    if (cur.length === 0) throw new PickleError('pickle stack underflow');
    return cur[cur.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = cur as PyValue[];
    const prev = metaStack.pop();
    if (!prev) throw new PickleError('no MARK on the stack');
    cur = prev;
    return items;
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (target: StackItem, items: PyValue[]): void => {
    if (!(target instanceof Map)) throw new PickleError('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) throw new PickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) target.set(items[i]!, items[i + 1]!);
  };
  const append = (target: StackItem, items: PyValue[]): void => {
    if (!Array.isArray(target)) throw new PickleError('APPEND(S) on something that is not a list');
    target.push(...items);
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: { // STOP
        const v = popValue();
        return v;
      }
      case 0x28: metaStack.push(cur); cur = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: cur.push(top()); break; // DUP
      case 0x4e: cur.push(null); break; // NONE
      case 0x88: cur.push(true); break; // NEWTRUE
      case 0x89: cur.push(false); break; // NEWFALSE
      case 0x4a: cur.push(i32()); break; // BININT
      case 0x4b: cur.push(u8()); break; // BININT1
      case 0x4d: cur.push(u16()); break; // BININT2
      case 0x8a: cur.push(long(take(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) throw new PickleError('negative LONG4 length'); cur.push(long(take(n))); break; }
      case 0x49: { // INT (text): also True/False as I01 / I00
        const s = line();
        if (s === '01') cur.push(true);
        else if (s === '00') cur.push(false);
        else { const n = Number(s); if (!Number.isFinite(n)) throw new PickleError(`bad INT ${s}`); cur.push(n); }
        break;
      }
      case 0x4c: { // LONG (text)
        const s = line().replace(/L$/, '');
        if (!/^-?\d+$/.test(s)) throw new PickleError(`bad LONG ${s}`);
        const b = BigInt(s);
        cur.push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
        break;
      }
      case 0x47: { need(8); cur.push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT
      case 0x46: { const n = Number(line()); cur.push(n); break; } // FLOAT (text)
      case 0x58: cur.push(str(take(u32()))); break; // BINUNICODE
      case 0x8c: cur.push(str(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: cur.push(str(take(u64()))); break; // BINUNICODE8
      case 0x56: cur.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x54: { const n = i32(); if (n < 0) throw new PickleError('negative BINSTRING length'); cur.push(Buffer.from(take(n)).toString('latin1')); break; }
      case 0x55: cur.push(Buffer.from(take(u8())).toString('latin1')); break; // SHORT_BINSTRING
      case 0x42: cur.push(new Uint8Array(take(u32()))); break; // BINBYTES
      case 0x43: cur.push(new Uint8Array(take(u8()))); break; // SHORT_BINBYTES
      case 0x8e: cur.push(new Uint8Array(take(u64()))); break; // BINBYTES8
      case 0x29: cur.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); cur.push(new PyTuple(items)); break; } // TUPLE (popMark first: it replaces `cur`)
      case 0x85: cur.push(new PyTuple([popValue()])); break; // TUPLE1
      case 0x86: { const b = popValue(); const a = popValue(); cur.push(new PyTuple([a, b])); break; }
      case 0x87: { const c = popValue(); const b = popValue(); const a = popValue(); cur.push(new PyTuple([a, b, c])); break; }
      case 0x5d: cur.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); cur.push(items); break; } // LIST
      case 0x61: { const v = popValue(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x7d: cur.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const items = popMark(); const m = new Map<PyValue, PyValue>(); setItems(m, items); cur.push(m); break; } // DICT
      case 0x73: { const v = popValue(); const k = popValue(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x63: { const module = line(); const name = line(); cur.push(resolveGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = popValue();
        const module = popValue();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('STACK_GLOBAL without strings');
        cur.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = popValue();
        const fn = popValue();
        if (isObj(fn, 'storage-type')) throw new PickleRefusedError((fn as StorageType).name, 'storage classes are not called');
        if (!isObj(fn, 'global')) throw new PickleError(`REDUCE at byte ${at} on something that is not a known global`);
        cur.push(callAllowed(fn as GlobalRef, args));
        break;
      }
      case 0x62: { // BUILD: only an OrderedDict's attribute state (state_dict._metadata), which is dropped
        const state = popValue();
        const target = top();
        if (!(target instanceof Map) || !(state instanceof Map || state === null || state instanceof PyTuple)) {
          throw new PickleError(`BUILD at byte ${at} on something other than a dict`);
        }
        break;
      }
      case 0x51: cur.push(persistentLoad(popValue())); break; // BINPERSID
      case 0x50: throw new PickleError('text persistent ids (PERSID) are not torch storages');
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET, BINGET, LONG_BINGET
        const i = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        if (!memo.has(i)) throw new PickleError(`memo ${i} is not defined`);
        cur.push(memo.get(i)!);
        break;
      }
      case 0x69: { // INST module\nname\n: names a class it would call
        const module = line();
        const name = line();
        throw new PickleRefusedError(`${module}.${name}`);
      }
      default: {
        const name = OP_NAMES[op];
        throw new PickleError(name
          ? `pickle opcode ${name} at byte ${at} is not used by state dicts; nothing was executed`
          : `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} (corrupted data.pkl?)`);
      }
    }
  }
}
