import { describe, expect, it } from 'vitest';
import { DataType, encodeModel, ProtoWriter } from './onnx-proto.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('writes varints, negative int64 as 10 bytes, fixed32 floats and length-delimited fields', () => {
    const w = new ProtoWriter();
    w.int(1, 300); // tag 08, 300 = ac 02
    w.int(3, -1); // tag 18, ten bytes
    w.int(1, 2 ** 40); // beyond 32 bits
    w.float(2, 1.5); // tag 15, 00 00 c0 3f
    w.string(4, 'ab'); // tag 22, len 2
    expect(hex(w.finish())).toBe(`08ac02 18ffffffffffffffffff01 08808080808020 150000c03f 22026162`.replace(/ /g, ''));
  });

  it('splices nested messages with their length', () => {
    const inner = new ProtoWriter();
    inner.int(1, 5);
    const outer = new ProtoWriter();
    outer.message(7, inner);
    expect(hex(outer.finish())).toBe('3a020805');
  });

  it('refuses integers it cannot represent exactly', () => {
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow('onnx-proto: 1.5 is not a safe integer');
    expect(() => new ProtoWriter().int(1, 2 ** 60)).toThrow(/is not a safe integer$/);
  });

  it('encodes a ModelProto with ir_version first and the default-domain opset last', () => {
    const bytes = encodeModel({
      irVersion: 8,
      opsetVersion: 17,
      producerName: 'p',
      producerVersion: '1',
      graph: {
        name: 'g',
        nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'], name: 'y', attributes: {} }],
        initializers: [],
        inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', 2] }],
        outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 2] }],
      },
    });
    expect(hex(bytes.subarray(0, 2))).toBe('0808');
    // opset_import (field 8): domain '' then version 17
    expect(hex(bytes.subarray(bytes.length - 6))).toBe('42040a001011');
  });
});
