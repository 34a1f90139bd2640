// Test-only: a minimal ZIP writer (stored entries, CRC-32, central directory), to build archives
// the zip reader must read or reject without depending on Python.
import { crc32 } from 'node:zlib';
import { concatBytes } from '../../base/bytes.ts';

export function writeZip(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const crc = crc32(e.data) >>> 0;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, e.data);
    centrals.push(central);
    offset += local.length + e.data.length;
  }
  const cdSize = centrals.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concatBytes([...locals, ...centrals, eocd]);
}

/** Pickle-building pieces (protocol 2 opcodes) for hand-made data.pkl files. */
export const pk = {
  proto: () => [0x80, 2],
  str: (s: string) => {
    const b = new TextEncoder().encode(s);
    return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b];
  },
  global: (module: string, name: string) => [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)],
  int1: (n: number) => [0x4b, n],
  mark: () => [0x28],
  tuple: () => [0x74],
  tuple1: () => [0x85],
  emptyTuple: () => [0x29],
  emptyDict: () => [0x7d],
  reduce: () => [0x52],
  setitems: () => [0x75],
  binpersid: () => [0x51],
  newfalse: () => [0x89],
  stop: () => [0x2e],
};

/** data.pkl of a state dict {name: float32 tensor of shape [n] in storage key}, as torch.save writes it. */
export function stateDictPickle(tensors: { name: string; key: string; n: number; dtype?: string }[]): Uint8Array {
  const b: number[] = [...pk.proto(), ...pk.emptyDict(), ...pk.mark()];
  for (const t of tensors) {
    b.push(...pk.str(t.name), ...pk.global('torch._utils', '_rebuild_tensor_v2'), ...pk.mark(),
      ...pk.mark(), ...pk.str('storage'), ...pk.global('torch', t.dtype ?? 'FloatStorage'), ...pk.str(t.key), ...pk.str('cpu'), ...pk.int1(t.n), ...pk.tuple(),
      ...pk.binpersid(), ...pk.int1(0), ...pk.int1(t.n), ...pk.tuple1(), ...pk.int1(1), ...pk.tuple1(), ...pk.newfalse(),
      ...pk.global('collections', 'OrderedDict'), ...pk.emptyTuple(), ...pk.reduce(), ...pk.tuple(), ...pk.reduce());
  }
  b.push(...pk.setitems(), ...pk.stop());
  return new Uint8Array(b);
}
