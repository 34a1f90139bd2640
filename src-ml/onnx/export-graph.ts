/**
 * The ONNX graph under construction while a tfjs model is exported: unique names, initializers, nodes, and
 * the layout of every value.
 *
 * tfjs is channels-last, ONNX's Conv / pooling / BatchNormalization are channels-first. Each exported value
 * records its logical (tfjs) shape and a layout: physical axis i holds logical axis layout[i]. Converters ask
 * for a value in the layout they need (`get`), which inserts one Transpose per (value, layout) at most, so a
 * chain of convolutions stays channels-first and transposes appear only where a layer needs tfjs order.
 */
import { type AttributeValue, DataType, type DataTypeCode, type NodeProto, type TensorProto } from './onnx-proto.ts';

export type Dim = number | null;

export interface Value {
  name: string;
  /** Logical (tfjs) shape, batch first. */
  shape: Dim[];
  layout: number[];
  elemType: DataTypeCode;
  /**
   * A ZeroPadding2D output not emitted yet: a following 'valid' convolution takes the padding into its own
   * pads; anything else materialises it as a Pad node. begin/end are per logical axis.
   */
  pendingPad?: { source: Value; begin: number[]; end: number[] };
}

export function identityLayout(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** NHWC -> NCHW (and NLC -> NCL): the channel axis moves to position 1. Rank <= 2 is unchanged. */
export function channelsFirstLayout(rank: number): number[] {
  if (rank <= 2) return identityLayout(rank);
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

export function sameLayout(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Physical axis of a logical axis (negative logical axes count from the end). */
export function physicalAxis(v: Value, logicalAxis: number): number {
  const a = logicalAxis < 0 ? logicalAxis + v.shape.length : logicalAxis;
  const p = v.layout.indexOf(a);
  if (p < 0) throw new Error(`axis ${logicalAxis} is outside a rank-${v.shape.length} value`);
  return p;
}

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  floats: (value: number[]): AttributeValue => ({ kind: 'floats', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
};

/** Reorders a row-major array of the given shape: output axis i is input axis perm[i]. */
export function transposeData(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const stridesByOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i]! * stridesByOut[i]!;
    out[o] = data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

function rawBytes(data: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  // ONNX raw_data is little-endian, as are the typed arrays on every platform Node runs on.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new Set<string>();
  private readonly converted = new Map<string, Value>();

  /** Marks names as taken (graph inputs and outputs) so no internal value gets them. */
  reserve(name: string): void {
    if (this.names.has(name)) throw new Error(`duplicate graph name "${name}"`);
    this.names.add(name);
  }

  /** `base`, or `base_2`, `base_3`, ... whichever is free; the result is reserved. */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  private initializer(base: string, dataType: DataTypeCode, dims: number[], raw: Uint8Array): string {
    const name = this.unique(base);
    this.initializers.push({ name, dataType, dims, raw });
    return name;
  }

  floatConst(base: string, data: Float32Array | number[], dims: number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const n = dims.reduce((a, b) => a * b, 1);
    if (arr.length !== n) throw new Error(`constant ${base}: ${arr.length} values for shape [${dims.join(', ')}]`);
    return this.initializer(base, DataType.FLOAT, dims, rawBytes(arr));
  }

  /** An int64 constant; dims [] makes a scalar. */
  int64Const(base: string, data: number[], dims: number[] = [data.length]): string {
    return this.initializer(base, DataType.INT64, dims, rawBytes(BigInt64Array.from(data.map((v) => BigInt(v)))));
  }

  /** Adds one node and returns its output names (fresh names built from `base`). */
  node(opType: string, inputs: string[], base: string, attributes: Record<string, AttributeValue> = {}, outputs = 1): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.unique(outputs === 1 ? base : `${base}_out${i}`));
    this.nodes.push({ opType, inputs, outputs: names, name: names[0]!, attributes });
    return names;
  }

  /** Adds one node writing to names the caller reserved (the graph outputs). */
  emit(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}): void {
    this.nodes.push({ opType, inputs, outputs, name: outputs[0]!, attributes });
  }

  /** Same as node() for a single output, returned as a Value with the given logical shape and layout. */
  op(opType: string, inputs: string[], base: string, shape: Dim[], layout: number[], attributes: Record<string, AttributeValue> = {},
    elemType: DataTypeCode = DataType.FLOAT): Value {
    const [name] = this.node(opType, inputs, base, attributes);
    return { name: name!, shape, layout, elemType };
  }

  /** Emits a pending ZeroPadding2D as a Pad node (zero fill), in the source's layout. */
  private materialise(v: Value): Value {
    const p = v.pendingPad;
    if (!p) return v;
    const key = `${v.name}\u0000pad`;
    const done = this.converted.get(key);
    if (done) return done;
    const src = this.materialise(p.source);
    const begin = src.layout.map((a) => p.begin[a] ?? 0);
    const end = src.layout.map((a) => p.end[a] ?? 0);
    const pads = this.int64Const(`${v.name}_pads`, [...begin, ...end]);
    const out = this.op('Pad', [src.name, pads], v.name, v.shape, src.layout, { mode: attr.string('constant') });
    this.converted.set(key, out);
    return out;
  }

  /** The value in whatever layout it already has (a pending zero padding emitted). */
  any(v: Value): Value {
    return this.materialise(v);
  }

  /** The value in the requested layout (default: tfjs order), adding a Transpose the first time it is needed. */
  get(v: Value, layout: number[] = identityLayout(v.shape.length)): Value {
    const m = this.materialise(v);
    if (sameLayout(m.layout, layout)) return m;
    const key = `${m.name}\u0000${layout.join(',')}`;
    const done = this.converted.get(key);
    if (done) return done;
    // output axis i = physical axis of logical layout[i]
    const perm = layout.map((a) => m.layout.indexOf(a));
    const out = this.op('Transpose', [m.name], `${m.name}_t`, m.shape, layout, { perm: attr.ints(perm) }, m.elemType);
    this.converted.set(key, out);
    return out;
  }
}
