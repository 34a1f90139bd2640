/**
 * One converter per tfjs layer class (stock and the project's own, src-ml/nn/layers): each turns one call of a
 * layer into ONNX nodes, inference semantics only (dropout is the identity, batch norm uses its moving
 * statistics). Spatial layers work channels-first (export-graph.ts `get`), the rest in tfjs order.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  attr, channelsFirstLayout, type Dim, type GraphBuilder, identityLayout, physicalAxis, sameLayout, transposeData, type Value,
} from './export-graph.ts';
import { type AttributeValue, DataType } from './onnx-proto.ts';
import { winogradApplies, winogradConv1d } from './export-winograd.ts';

export interface Weight {
  data: Float32Array;
  shape: number[];
}

export interface ConvertContext {
  g: GraphBuilder;
  layer: tf.layers.Layer;
  config: tf.serialization.ConfigDict;
  inputs: Value[];
  /** Logical (tfjs) output shapes of this call. */
  outShapes: Dim[][];
  /** The layer's weight by its last name part ('kernel', 'gamma', 'emb_0', ...); throws when absent. */
  weight(name: string): Weight;
  hasWeight(name: string): boolean;
  options: ExportOptions;
}

export interface ExportOptions {
  /** How a kernel-3 stride-1 Conv1D becomes ONNX: Winograd F(4, 3) MatMuls (default) or one Conv (for comparisons). */
  conv1d?: 'winograd' | 'conv';
}

export type Converter = (ctx: ConvertContext) => Value[];

function fail(ctx: ConvertContext, reason: string): never {
  throw new Error(`ONNX export: layer "${ctx.layer.name}" (${ctx.layer.getClassName()}): ${reason}`);
}

function num(ctx: ConvertContext, key: string, fallback?: number): number {
  const v = ctx.config[key];
  if (v == null && fallback !== undefined) return fallback;
  if (typeof v !== 'number') fail(ctx, `config ${key} is not a number`);
  return v;
}

/** A config entry that is a number or an array of n numbers, as an array of n. */
function tuple(ctx: ConvertContext, key: string, n: number, fallback: number): number[] {
  const v = ctx.config[key];
  if (v == null) return new Array<number>(n).fill(fallback);
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number')) return v as number[];
  fail(ctx, `config ${key} is not ${n} numbers`);
}

function str(ctx: ConvertContext, key: string, fallback: string): string {
  const v = ctx.config[key];
  if (v == null) return fallback;
  if (typeof v !== 'string') fail(ctx, `config ${key} is not a string`);
  return v;
}

function only(ctx: ConvertContext): Value {
  if (ctx.inputs.length !== 1) fail(ctx, `expected one input, got ${ctx.inputs.length}`);
  return ctx.inputs[0]!;
}

function outShape(ctx: ConvertContext, i = 0): Dim[] {
  const s = ctx.outShapes[i];
  if (!s) fail(ctx, `no output shape ${i}`);
  return s;
}

function checkChannelsLast(ctx: ConvertContext): void {
  const f = ctx.config['dataFormat'];
  if (f != null && f !== 'channelsLast') fail(ctx, `dataFormat ${String(f)} is not supported (channelsLast only)`);
}

/** The element-wise activation a tfjs layer config names, applied to v (same layout). */
export function activation(ctx: ConvertContext, v: Value, name: string): Value {
  const { g } = ctx;
  const base = `${ctx.layer.name}_${name}`;
  const unary = (op: string, attributes: Record<string, AttributeValue> = {}): Value => g.op(op, [v.name], base, v.shape, v.layout, attributes);
  switch (name) {
    case 'linear': return v;
    case 'relu': return unary('Relu');
    case 'sigmoid': return unary('Sigmoid');
    case 'tanh': return unary('Tanh');
    case 'elu': return unary('Elu', { alpha: attr.float(1) });
    case 'selu': return unary('Selu');
    case 'softplus': return unary('Softplus');
    case 'softsign': return unary('Softsign');
    case 'hardSigmoid': return unary('HardSigmoid', { alpha: attr.float(0.2), beta: attr.float(0.5) });
    case 'relu6': return clip(g, v, 0, 6, base);
    case 'softmax': return unary('Softmax', { axis: attr.int(physicalAxis(v, -1)) });
    default: fail(ctx, `activation "${name}" is not supported`);
  }
}

function clip(g: GraphBuilder, v: Value, lo: number, hi: number, base: string): Value {
  const min = g.floatConst(`${base}_min`, [lo], []);
  const max = g.floatConst(`${base}_max`, [hi], []);
  return g.op('Clip', [v.name, min, max], base, v.shape, v.layout);
}

/** TF padding of one spatial axis: [begin, end], or null for 'same' on an unknown size with stride > 1. */
function tfPads(padding: string, size: Dim, k: number, stride: number, dilation: number): [number, number] | null {
  const span = (k - 1) * dilation + 1;
  if (padding === 'valid') return [0, 0];
  if (padding === 'causal') return [span - 1, 0];
  let total: number;
  if (size == null) {
    if (stride !== 1) return null;
    total = span - 1;
  } else {
    total = Math.max((Math.ceil(size / stride) - 1) * stride + span - size, 0);
  }
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/**
 * Conv / pooling pads for the spatial axes of a channels-first input (begin..., end...), adding a pending
 * ZeroPadding2D of the input when the op pads with zeros. Returns the input to use and the pad attributes.
 */
function spatialPads(ctx: ConvertContext, input: Value, padding: string | number, k: number[], strides: number[], dilations: number[],
  absorbZeroPad: boolean): { x: Value; attrs: Record<string, AttributeValue> } {
  const rank = input.shape.length;
  const spatial = rank - 2;
  let x = input;
  const extraBegin = new Array<number>(spatial).fill(0);
  const extraEnd = new Array<number>(spatial).fill(0);
  if (absorbZeroPad && input.pendingPad && (padding === 'valid' || typeof padding === 'number')) {
    for (let i = 0; i < spatial; i++) {
      extraBegin[i] = input.pendingPad.begin[i + 1] ?? 0;
      extraEnd[i] = input.pendingPad.end[i + 1] ?? 0;
    }
    x = input.pendingPad.source;
  }
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const p = typeof padding === 'number' ? [padding, padding] as [number, number] : tfPads(padding, x.shape[i + 1] ?? null, k[i]!, strides[i]!, dilations[i]!);
    if (p === null) {
      if (extraBegin.some((e) => e > 0) || extraEnd.some((e) => e > 0)) fail(ctx, 'same padding on an unknown size after zero padding');
      return { x, attrs: { auto_pad: attr.string('SAME_UPPER') } };
    }
    begin.push(p[0] + extraBegin[i]!);
    end.push(p[1] + extraEnd[i]!);
  }
  return { x, attrs: { pads: attr.ints([...begin, ...end]) } };
}

function convolution(ctx: ConvertContext, spatial: number, groups: number, padding: string | number): Value[] {
  checkChannelsLast(ctx);
  const { g } = ctx;
  const input = only(ctx);
  if (input.shape.length !== spatial + 2) fail(ctx, `expected a rank-${spatial + 2} input, got rank ${input.shape.length}`);
  const kernel = ctx.weight('kernel');
  const k = kernel.shape.slice(0, spatial);
  const strides = tuple(ctx, 'strides', spatial, 1);
  const dilations = tuple(ctx, 'dilationRate', spatial, 1);
  if (spatial === 1 && ctx.options.conv1d !== 'conv' && typeof padding === 'string' && winogradApplies(k[0]!, strides[0]!, dilations[0]!, groups, input.shape[1] ?? null)) {
    const pads = tfPads(padding, input.shape[1]!, k[0]!, 1, 1)!;
    const y = winogradConv1d(g, {
      x: input, kernel: kernel.data, cin: kernel.shape[1]!, cout: kernel.shape[2]!, bias: ctx.hasWeight('bias') ? ctx.weight('bias').data : null,
      pads, outShape: outShape(ctx), name: ctx.layer.name,
    });
    return [activation(ctx, y, str(ctx, 'activation', 'linear'))];
  }
  const { x, attrs } = spatialPads(ctx, input, padding, k, strides, dilations, true);
  const xcf = g.get(x, channelsFirstLayout(x.shape.length));
  // tfjs [k..., Cin/g, Cout] -> ONNX [Cout, Cin/g, k...]
  const perm = [spatial + 1, spatial, ...Array.from({ length: spatial }, (_, i) => i)];
  const w = g.floatConst(`${ctx.layer.name}_W`, transposeData(kernel.data, kernel.shape, perm), perm.map((p) => kernel.shape[p]!));
  const ins = [xcf.name, w];
  if (ctx.hasWeight('bias')) {
    const b = ctx.weight('bias');
    ins.push(g.floatConst(`${ctx.layer.name}_B`, b.data, b.shape));
  }
  const out = outShape(ctx);
  const y = g.op('Conv', ins, ctx.layer.name, out, channelsFirstLayout(out.length), {
    ...attrs,
    kernel_shape: attr.ints(k),
    strides: attr.ints(strides),
    dilations: attr.ints(dilations),
    group: attr.int(groups),
  });
  return [activation(ctx, y, str(ctx, 'activation', 'linear'))];
}

function pooling(ctx: ConvertContext, spatial: number, op: 'MaxPool' | 'AveragePool'): Value[] {
  checkChannelsLast(ctx);
  const input = only(ctx);
  const k = tuple(ctx, 'poolSize', spatial, 2);
  const strides = ctx.config['strides'] == null ? k : tuple(ctx, 'strides', spatial, 1);
  // max pooling ignores padding, so a preceding zero padding is not the same thing; keep it as a Pad node.
  const { x, attrs } = spatialPads(ctx, input, str(ctx, 'padding', 'valid'), k, strides, new Array<number>(spatial).fill(1), false);
  const xcf = ctx.g.get(x, channelsFirstLayout(x.shape.length));
  const out = outShape(ctx);
  const extra: Record<string, AttributeValue> = op === 'AveragePool' ? { count_include_pad: attr.int(0) } : {};
  return [ctx.g.op(op, [xcf.name], ctx.layer.name, out, channelsFirstLayout(out.length), {
    ...attrs, ...extra, kernel_shape: attr.ints(k), strides: attr.ints(strides),
  })];
}

/** Reduces every axis between batch and channels: [B, ..., C] -> [B, C]. */
function globalPool(ctx: ConvertContext, op: 'ReduceMean' | 'ReduceMax'): Value[] {
  checkChannelsLast(ctx);
  const x = ctx.g.any(only(ctx));
  const rank = x.shape.length;
  const axes = Array.from({ length: rank - 2 }, (_, i) => physicalAxis(x, i + 1));
  return [ctx.g.op(op, [x.name], ctx.layer.name, outShape(ctx), identityLayout(2), { axes: attr.ints(axes), keepdims: attr.int(0) })];
}

function batchNorm(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const input = only(ctx);
  const rank = input.shape.length;
  const axis = num(ctx, 'axis', -1);
  if (axis !== -1 && axis !== rank - 1) fail(ctx, `axis ${axis} is not supported (last axis only)`);
  const x = g.get(input, channelsFirstLayout(rank));
  const mean = ctx.weight('moving_mean');
  const c = mean.shape[0]!;
  const n = ctx.layer.name;
  const gamma = ctx.hasWeight('gamma') ? ctx.weight('gamma').data : new Float32Array(c).fill(1);
  const beta = ctx.hasWeight('beta') ? ctx.weight('beta').data : new Float32Array(c);
  const ins = [
    x.name,
    g.floatConst(`${n}_scale`, gamma, [c]),
    g.floatConst(`${n}_bias`, beta, [c]),
    g.floatConst(`${n}_mean`, mean.data, [c]),
    g.floatConst(`${n}_var`, ctx.weight('moving_variance').data, [c]),
  ];
  return [g.op('BatchNormalization', ins, n, outShape(ctx), x.layout, { epsilon: attr.float(num(ctx, 'epsilon', 1e-3)) })];
}

function dense(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const input = g.any(only(ctx));
  const rank = input.shape.length;
  // A MatMul works on the last axis whatever the others hold: a time-major sequence needs no transpose.
  const x = rank >= 3 && input.layout[rank - 1] === rank - 1 ? input : g.get(input);
  const kernel = ctx.weight('kernel');
  const n = ctx.layer.name;
  const w = g.floatConst(`${n}_W`, kernel.data, kernel.shape);
  const out = outShape(ctx);
  const bias = ctx.hasWeight('bias') ? ctx.weight('bias') : null;
  let y: Value;
  if (x.shape.length === 2) {
    const ins = [x.name, w];
    if (bias) ins.push(g.floatConst(`${n}_B`, bias.data, bias.shape));
    y = g.op('Gemm', ins, n, out, identityLayout(2));
  } else {
    y = g.op('MatMul', [x.name, w], bias ? `${n}_matmul` : n, out, x.layout);
    if (bias) y = g.op('Add', [y.name, g.floatConst(`${n}_B`, bias.data, bias.shape)], n, out, y.layout);
  }
  return [activation(ctx, y, str(ctx, 'activation', 'linear'))];
}

/** The common layout for a multi-input element-wise op or concat: the first input's. */
function alignInputs(ctx: ConvertContext): Value[] {
  const rank = ctx.inputs[0]?.shape.length;
  if (ctx.inputs.some((v) => v.shape.length !== rank)) fail(ctx, 'inputs of different ranks are not supported');
  const first = ctx.g.any(ctx.inputs[0]!);
  return [first, ...ctx.inputs.slice(1).map((v) => ctx.g.get(v, first.layout))];
}

function merge(op: 'Sum' | 'Mul' | 'Sub' | 'Mean' | 'Max' | 'Min'): Converter {
  return (ctx) => {
    const xs = alignInputs(ctx);
    const out = outShape(ctx);
    if (op === 'Mul' || op === 'Sub') {
      // binary in ONNX: fold left
      let acc = xs[0]!;
      xs.slice(1).forEach((x, i) => {
        acc = ctx.g.op(op, [acc.name, x.name], i === xs.length - 2 ? ctx.layer.name : `${ctx.layer.name}_${i}`, out, acc.layout);
      });
      return [acc];
    }
    return [ctx.g.op(op, xs.map((x) => x.name), ctx.layer.name, out, xs[0]!.layout)];
  };
}

function concatenate(ctx: ConvertContext): Value[] {
  const xs = alignInputs(ctx);
  const axis = physicalAxis(xs[0]!, num(ctx, 'axis', -1));
  return [ctx.g.op('Concat', xs.map((x) => x.name), ctx.layer.name, outShape(ctx), xs[0]!.layout, { axis: attr.int(axis) })];
}

function nonUnit(dims: Dim[]): Dim[] {
  return dims.filter((d) => d !== 1);
}

/**
 * tfjs Reshape. When the channel axis is kept and only unit axes come or go elsewhere (the SE block's
 * [B, C] -> [B, 1, 1, C]), a channels-first input reshapes to the channels-first output with no transpose.
 */
function reshape(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const input = g.any(only(ctx));
  const out = outShape(ctx);
  const inC = input.shape[input.shape.length - 1];
  const outC = out[out.length - 1];
  const outMiddle = out.slice(1, -1);
  const cf = sameLayout(input.layout, channelsFirstLayout(input.shape.length)) && out.length >= 3 && inC != null && inC === outC
    && outMiddle.every((d) => d != null) && nonUnit(input.shape.slice(1, -1)).join(',') === nonUnit(outMiddle).join(',');
  if (cf) {
    const shape = g.int64Const(`${ctx.layer.name}_shape`, [0, inC, ...(outMiddle as number[])]);
    return [g.op('Reshape', [input.name, shape], ctx.layer.name, out, channelsFirstLayout(out.length))];
  }
  const x = g.get(input);
  const target = ctx.config['targetShape'];
  if (!Array.isArray(target)) fail(ctx, 'config targetShape is not an array');
  // 0 copies the batch size from the input
  const shape = g.int64Const(`${ctx.layer.name}_shape`, [0, ...(target as number[]).map((d) => (d == null ? -1 : d))]);
  return [g.op('Reshape', [x.name, shape], ctx.layer.name, out, identityLayout(out.length))];
}

function flatten(ctx: ConvertContext): Value[] {
  const x = ctx.g.get(only(ctx));
  return [ctx.g.op('Flatten', [x.name], ctx.layer.name, outShape(ctx), identityLayout(2), { axis: attr.int(1) })];
}

function permute(ctx: ConvertContext): Value[] {
  const input = ctx.g.any(only(ctx));
  const dims = ctx.config['dims'];
  if (!Array.isArray(dims)) fail(ctx, 'config dims is not an array');
  const q = [0, ...(dims as number[])];
  const perm = q.map((a) => input.layout.indexOf(a));
  const out = outShape(ctx);
  return [ctx.g.op('Transpose', [input.name], ctx.layer.name, out, identityLayout(out.length), { perm: attr.ints(perm) })];
}

function pairs(ctx: ConvertContext, key: string): [[number, number], [number, number]] {
  const v = ctx.config[key];
  if (typeof v === 'number') return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    const p = v.map((e) => (typeof e === 'number' ? [e, e] : e)) as unknown[];
    if (p.every((e) => Array.isArray(e) && e.length === 2 && e.every((x) => typeof x === 'number'))) return p as [[number, number], [number, number]];
  }
  fail(ctx, `config ${key} is not a padding spec`);
}

/** Recorded, not emitted: a following 'valid' convolution absorbs it (see Value.pendingPad). */
function zeroPadding2d(ctx: ConvertContext): Value[] {
  checkChannelsLast(ctx);
  const input = only(ctx);
  const [[t, b], [l, r]] = pairs(ctx, 'padding');
  const out = outShape(ctx);
  const source = ctx.g.any(input);
  return [{
    name: ctx.g.unique(ctx.layer.name),
    shape: out,
    layout: source.layout,
    elemType: source.elemType,
    pendingPad: { source, begin: [0, t, l, 0], end: [0, b, r, 0] },
  }];
}

const INT64_MAX_SAFE = Number.MAX_SAFE_INTEGER;

function cropping2d(ctx: ConvertContext): Value[] {
  checkChannelsLast(ctx);
  const { g } = ctx;
  const x = g.any(only(ctx));
  const [[t, b], [l, r]] = pairs(ctx, 'cropping');
  const n = ctx.layer.name;
  const ins = [
    x.name,
    g.int64Const(`${n}_starts`, [t, l]),
    g.int64Const(`${n}_ends`, [b > 0 ? -b : INT64_MAX_SAFE, r > 0 ? -r : INT64_MAX_SAFE]),
    g.int64Const(`${n}_axes`, [physicalAxis(x, 1), physicalAxis(x, 2)]),
  ];
  return [g.op('Slice', ins, n, outShape(ctx), x.layout)];
}

function identity(ctx: ConvertContext): Value[] {
  return [only(ctx)];
}

function reluLayer(ctx: ConvertContext): Value[] {
  const x = ctx.g.any(only(ctx));
  const max = ctx.config['maxValue'];
  if (typeof max === 'number') return [clip(ctx.g, x, 0, max, ctx.layer.name)];
  return [ctx.g.op('Relu', [x.name], ctx.layer.name, x.shape, x.layout)];
}

function activationLayer(ctx: ConvertContext): Value[] {
  const x = ctx.g.any(only(ctx));
  return [activation(ctx, x, str(ctx, 'activation', 'linear'))];
}

function leakyRelu(ctx: ConvertContext): Value[] {
  const x = ctx.g.any(only(ctx));
  return [ctx.g.op('LeakyRelu', [x.name], ctx.layer.name, x.shape, x.layout, { alpha: attr.float(num(ctx, 'alpha', 0.3)) })];
}

function softmaxLayer(ctx: ConvertContext): Value[] {
  const x = ctx.g.any(only(ctx));
  const axis = ctx.config['axis'];
  if (Array.isArray(axis)) fail(ctx, 'a softmax over several axes is not supported');
  return [ctx.g.op('Softmax', [x.name], ctx.layer.name, x.shape, x.layout, { axis: attr.int(physicalAxis(x, typeof axis === 'number' ? axis : -1)) })];
}

/**
 * ICHWindowing: sigmoid(HU * k_c + b_c) per output channel, then instance normalisation (affine off).
 * [B, H, W, 1] channels-first is [B, 1, H, W]; broadcasting against [C, 1, 1] gives [B, C, H, W].
 */
function windowingLayer(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const input = only(ctx);
  const x = g.get(input, channelsFirstLayout(input.shape.length));
  const n = ctx.layer.name;
  const k = ctx.weight('kernel');
  const c = k.shape[3]!;
  const out = outShape(ctx);
  const cf = channelsFirstLayout(4);
  const scaled = g.op('Mul', [x.name, g.floatConst(`${n}_k`, k.data, [c, 1, 1])], `${n}_mul`, out, cf);
  const shifted = g.op('Add', [scaled.name, g.floatConst(`${n}_b`, ctx.weight('bias').data, [c, 1, 1])], `${n}_add`, out, cf);
  const windows = g.op('Sigmoid', [shifted.name], `${n}_sigmoid`, out, cf);
  const ins = [windows.name, g.floatConst(`${n}_ones`, new Float32Array(c).fill(1), [c]), g.floatConst(`${n}_zeros`, new Float32Array(c), [c])];
  return [g.op('InstanceNormalization', ins, n, out, cf, { epsilon: attr.float(num(ctx, 'epsilon', 1e-5)) })];
}

/**
 * ICHProbabilityMean (nn/layers/probability-mean.ts), the logit of the members' mean probability, in log space
 * as the layer computes it: logsumexp_i(-softplus(-x_i)) - logsumexp_i(-softplus(x_i)), x clipped to +-limit.
 */
function probabilityMeanLayer(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const xs = alignInputs(ctx);
  const n = ctx.layer.name;
  const limit = num(ctx, 'limit');
  const out = outShape(ctx);
  const layout = xs[0]!.layout;
  const op = (type: string, ins: Value[], name: string): Value => g.op(type, ins.map((v) => v.name), name, out, layout);
  const clipped = xs.map((x, i) => clip(g, x, -limit, limit, `${n}_clip${i}`));
  // log sigmoid(s * x_i) = -softplus(-s * x_i), for s = 1 (p) and s = -1 (q)
  const logSig = (x: Value, i: number, tag: string, negate: boolean): Value =>
    op('Neg', [op('Softplus', [negate ? op('Neg', [x], `${n}_${tag}in${i}`) : x], `${n}_${tag}sp${i}`)], `${n}_${tag}${i}`);
  const logSumExp = (as: Value[], tag: string): Value => {
    const m = op('Max', as, `${n}_${tag}max`);
    const sum = op('Sum', as.map((a, i) => op('Exp', [op('Sub', [a, m], `${n}_${tag}shift${i}`)], `${n}_${tag}exp${i}`)), `${n}_${tag}sum`);
    return op('Add', [m, op('Log', [sum], `${n}_${tag}log`)], `${n}_${tag}lse`);
  };
  const logP = logSumExp(clipped.map((x, i) => logSig(x, i, 'p', true)), 'p');
  const logQ = logSumExp(clipped.map((x, i) => logSig(x, i, 'q', false)), 'q');
  return [op('Sub', [logP, logQ], n)];
}

/** ICHChannelGroupMaxPool: spatial max [B, C], then the max in each run of groupSize channels [B, C/g]. */
function channelGroupMaxPoolLayer(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const input = only(ctx);
  const x = g.any(input);
  const gs = num(ctx, 'groupSize');
  const n = ctx.layer.name;
  const c = x.shape[3];
  if (c == null) fail(ctx, 'the channel dimension must be known');
  const axes = [physicalAxis(x, 1), physicalAxis(x, 2)];
  const spatial = g.op('ReduceMax', [x.name], gs === 1 ? n : `${n}_spatial`, [x.shape[0] ?? null, c], identityLayout(2),
    { axes: attr.ints(axes), keepdims: attr.int(0) });
  if (gs === 1) return [spatial];
  const grouped = g.op('Reshape', [spatial.name, g.int64Const(`${n}_shape`, [0, c / gs, gs])], `${n}_groups`, [x.shape[0] ?? null, c / gs, gs], identityLayout(3));
  return [g.op('ReduceMax', [grouped.name], n, outShape(ctx), identityLayout(2), { axes: attr.ints([2]), keepdims: attr.int(0) })];
}

/**
 * ICHCategoricalEmbedding as one Gather: the tables sit in one block table [sum(card) + 1, sum(dims)] (table i at
 * rows offset_i.., columns of its own block, zeros elsewhere; the last row all zeros). Code j of column i reads
 * row offset_i + j, or the zero row when j is outside 0 .. card_i - 1 (tfjs's one-hot gives zeros there); the
 * [.., columns, sum(dims)] rows are summed over the columns, each output entry having one non-zero term.
 */
function categoricalEmbeddingLayer(ctx: ConvertContext): Value[] {
  const { g } = ctx;
  const x = g.get(only(ctx));
  const n = ctx.layer.name;
  const cards = ctx.config['cardinalities'] as number[] | undefined;
  const dims = ctx.config['dims'] as number[] | undefined;
  if (!Array.isArray(cards) || !Array.isArray(dims) || cards.length !== dims.length) fail(ctx, 'config cardinalities/dims are missing');
  const rows = cards.reduce((a, b) => a + b, 0);
  const width = dims.reduce((a, b) => a + b, 0);
  const table = new Float32Array((rows + 1) * width);
  const offsets: number[] = [];
  let row = 0;
  let col = 0;
  cards.forEach((card, i) => {
    const t = ctx.weight(`emb_${i}`);
    const d = dims[i]!;
    for (let r = 0; r < card; r++) for (let j = 0; j < d; j++) table[(row + r) * width + col + j] = t.data[r * d + j]!;
    offsets.push(row);
    row += card;
    col += d;
  });
  const rank = x.shape.length;
  const idShape = x.shape;
  const lay = identityLayout(rank);
  const I64 = DataType.INT64;
  const BOOL = DataType.BOOL;
  const codes = x.elemType === DataType.INT32
    ? g.op('Cast', [x.name], `${n}_codes`, idShape, lay, { to: attr.int(I64) }, I64)
    : g.op('Cast', [g.op('Round', [x.name], `${n}_round`, idShape, lay).name], `${n}_codes`, idShape, lay, { to: attr.int(I64) }, I64);
  const atLeast0 = g.op('GreaterOrEqual', [codes.name, g.int64Const(`${n}_zero`, [0], [])], `${n}_ge0`, idShape, lay, {}, BOOL);
  const belowCard = g.op('Less', [codes.name, g.int64Const(`${n}_cards`, cards)], `${n}_ltcard`, idShape, lay, {}, BOOL);
  const valid = g.op('And', [atLeast0.name, belowCard.name], `${n}_valid`, idShape, lay, {}, BOOL);
  const shifted = g.op('Add', [codes.name, g.int64Const(`${n}_offsets`, offsets)], `${n}_rows`, idShape, lay, {}, I64);
  const index = g.op('Where', [valid.name, shifted.name, g.int64Const(`${n}_zero_row`, [rows], [])], `${n}_index`, idShape, lay, {}, I64);
  const gathered = g.op('Gather', [g.floatConst(`${n}_table`, table, [rows + 1, width]), index.name], `${n}_gather`,
    [...idShape, width], identityLayout(rank + 1), { axis: attr.int(0) });
  return [g.op('ReduceSum', [gathered.name, g.int64Const(`${n}_axes`, [rank - 1])], n, outShape(ctx), lay, { keepdims: attr.int(0) })];
}

function groupedConv2dLayer(ctx: ConvertContext): Value[] {
  const padding = ctx.config['padding'];
  if (typeof padding !== 'number' && padding !== 'same' && padding !== 'valid') fail(ctx, 'config padding is not same, valid or a number');
  return convolution(ctx, 2, num(ctx, 'groups'), padding);
}

/** Converters by tfjs class name. */
export const CONVERTERS: Record<string, Converter> = {
  Conv2D: (ctx) => convolution(ctx, 2, 1, str(ctx, 'padding', 'valid')),
  Conv1D: (ctx) => convolution(ctx, 1, 1, str(ctx, 'padding', 'valid')),
  ICHGroupedConv2D: groupedConv2dLayer,
  BatchNormalization: batchNorm,
  Dense: dense,
  ReLU: reluLayer,
  LeakyReLU: leakyRelu,
  Activation: activationLayer,
  Softmax: softmaxLayer,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Add: merge('Sum'),
  Multiply: merge('Mul'),
  Subtract: merge('Sub'),
  Average: merge('Mean'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Concatenate: concatenate,
  Reshape: reshape,
  Flatten: flatten,
  Permute: permute,
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  MaxPooling2D: (ctx) => pooling(ctx, 2, 'MaxPool'),
  AveragePooling2D: (ctx) => pooling(ctx, 2, 'AveragePool'),
  MaxPooling1D: (ctx) => pooling(ctx, 1, 'MaxPool'),
  AveragePooling1D: (ctx) => pooling(ctx, 1, 'AveragePool'),
  GlobalAveragePooling2D: (ctx) => globalPool(ctx, 'ReduceMean'),
  GlobalAveragePooling1D: (ctx) => globalPool(ctx, 'ReduceMean'),
  GlobalMaxPooling2D: (ctx) => globalPool(ctx, 'ReduceMax'),
  GlobalMaxPooling1D: (ctx) => globalPool(ctx, 'ReduceMax'),
  ICHWindowing: windowingLayer,
  ICHChannelGroupMaxPool: channelGroupMaxPoolLayer,
  ICHProbabilityMean: probabilityMeanLayer,
  ICHCategoricalEmbedding: categoricalEmbeddingLayer,
};
