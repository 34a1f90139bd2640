// The safe unpickler on hand-made pickles: a torch state dict's records, and everything it must refuse
// (foreign globals by GLOBAL, STACK_GLOBAL and INST, opcodes outside the data subset, truncation).
import { describe, expect, it } from 'vitest';
import { pk, stateDictPickle } from './testing/zip-writer.ts';
import { isTensorRef, PickleError, PickleRefusedError, PyTuple, unpickle } from './unpickle.ts';

const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());

describe('unpickle', () => {
  it('reads a state dict as torch.save writes it: OrderedDict records, persistent storages, _rebuild_tensor_v2', () => {
    const v = unpickle(stateDictPickle([{ name: 'a.weight', key: '0', n: 3 }, { name: 'a.bias', key: '1', n: 2, dtype: 'HalfStorage' }]));
    expect(v).toBeInstanceOf(Map);
    const m = v as Map<unknown, unknown>;
    expect([...m.keys()]).toEqual(['a.weight', 'a.bias']);
    const w = m.get('a.weight');
    expect(isTensorRef(w)).toBe(true);
    expect(w).toMatchObject({ kind: 'tensor', offset: 0, shape: [3], stride: [1], storage: { key: '0', dtype: 'float32', numel: 3 } });
    expect(m.get('a.bias')).toMatchObject({ shape: [2], storage: { key: '1', dtype: 'float16' } });
  });

  it('reads plain data: ints, floats, strings, lists, tuples, nested dicts, memo', () => {
    // {'n': [1, 300, -5, 2.5], 't': (True, None), 'big': 2**70} with a memoised string reused
    const big = [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40]; // LONG1 2**70
    const v = unpickle(bytes(pk.proto(), [0x7d], pk.mark(),
      pk.str('n'), [0x71, 0], [0x5d], pk.mark(), [0x4b, 1], [0x4d, 0x2c, 0x01], [0x4a, 0xfb, 0xff, 0xff, 0xff], [0x47, 0x40, 0x04, 0, 0, 0, 0, 0, 0], [0x65],
      pk.str('t'), [0x88, 0x4e, 0x86],
      pk.str('big'), big,
      pk.str('again'), [0x68, 0],
      pk.setitems(), pk.stop())) as Map<string, unknown>;
    expect(v.get('n')).toEqual([1, 300, -5, 2.5]);
    expect(v.get('t')).toEqual(new PyTuple([true, null]));
    expect(v.get('big')).toBe(2n ** 70n);
    expect(v.get('again')).toBe('n');
  });

  it.each([
    ['GLOBAL os.system', bytes(pk.proto(), pk.global('os', 'system'), pk.str('touch /tmp/x'), pk.tuple1(), pk.reduce(), pk.stop()), 'os.system'],
    ['GLOBAL posix.system', bytes(pk.proto(), pk.global('posix', 'system'), pk.stop()), 'posix.system'],
    ['STACK_GLOBAL builtins.eval', bytes([0x80, 4], pk.str('builtins'), pk.str('eval'), [0x93], pk.stop()), 'builtins.eval'],
    ['INST subprocess.call', bytes(pk.proto(), pk.mark(), pk.str('ls'), [0x69], [...new TextEncoder().encode('subprocess\ncall\n')], pk.stop()), 'subprocess.call'],
    ['a storage class called', bytes(pk.proto(), pk.global('torch', 'FloatStorage'), pk.emptyTuple(), pk.reduce(), pk.stop()), 'torch.FloatStorage'],
    ['torch.load itself', bytes(pk.proto(), pk.global('torch', 'load'), pk.stop()), 'torch.load'],
  ])('refuses %s with one line naming it', (_what, data, name) => {
    let err: unknown;
    try {
      unpickle(data);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PickleRefusedError);
    const msg = (err as Error).message;
    expect(msg).toContain(name);
    expect(msg).toContain('nothing was executed');
    expect(msg).not.toContain('\n');
  });

  it.each([
    ['NEWOBJ', bytes(pk.proto(), [0x81], pk.stop()), /opcode NEWOBJ/],
    ['an unknown opcode', bytes(pk.proto(), [0xff]), /unknown pickle opcode 0xff at byte 2/],
    ['a truncated pickle', bytes(pk.proto(), [0x58, 10, 0, 0, 0, 0x41]), /truncated pickle/],
    ['no STOP', bytes(pk.proto(), pk.emptyDict()), /truncated pickle/],
    ['a stack underflow', bytes(pk.proto(), [0x73], pk.stop()), /underflow/],
  ])('fails on %s with a PickleError', (_what, data, re) => {
    expect(() => unpickle(data)).toThrow(PickleError);
    expect(() => unpickle(data)).toThrow(re);
  });
});
