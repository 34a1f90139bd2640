/**
 * A kernel-3, stride-1 Conv1D lowered as Winograd F(4, 3) (Lavin & Gray 2016): each run of 4 outputs is computed
 * from a 6-wide input tile with 6 channel products instead of 12, so the matrix work halves (BenchSeq on one
 * core: 10.7 ms against 17.5 ms for ONNX Runtime's Conv, outputs within 5e-7).
 *
 * The graph works time-major, [L, B, C] (layout [1, 0, 2]): the tiles are then one Gather along axis 0, every
 * transform is one MatMul over a [6, ...] stack, and the 6 channel products are one batched MatMul
 * [6, T*B, Cin] x [6, Cin, Cout] whose rows (T*B) are many enough to keep every core busy. Consecutive
 * convolutions, ReLUs and residual adds stay time-major with no transposes between them.
 */
import { attr, type Dim, type GraphBuilder, type Value } from './export-graph.ts';

/** Physical axis i holds logical axis TIME_MAJOR[i]: [B, L, C] stored as [L, B, C]. */
export const TIME_MAJOR = [1, 0, 2];

const M = 4; // outputs per tile
const R = 3; // kernel taps
const TILE = M + R - 1;

// Input transform B^T (6 x 6), kernel transform G (6 x 3), output transform A^T (4 x 6); points 0, ±1, ±2, ∞.
const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

/** The transformed kernel [6, Cin, Cout]: G applied along the taps of a tfjs kernel [3, Cin, Cout] (in float64). */
export function winogradKernel(kernel: Float32Array, cin: number, cout: number): Float32Array {
  const plane = cin * cout;
  if (kernel.length !== R * plane) throw new Error(`Winograd kernel: ${kernel.length} values for [${R}, ${cin}, ${cout}]`);
  const out = new Float32Array(TILE * plane);
  for (let i = 0; i < TILE; i++) {
    const gi = G[i]!;
    for (let p = 0; p < plane; p++) out[i * plane + p] = gi[0]! * kernel[p]! + gi[1]! * kernel[plane + p]! + gi[2]! * kernel[2 * plane + p]!;
  }
  return out;
}

/** Whether a Conv1D can take this lowering: kernel 3, stride 1, dilation 1, one group, a known length. */
export function winogradApplies(k: number, stride: number, dilation: number, groups: number, length: Dim): boolean {
  return k === R && stride === 1 && dilation === 1 && groups === 1 && length != null && length > 0;
}

export interface WinogradConv {
  /** Input, any layout, logical [B, L, Cin] with L known. */
  x: Value;
  /** tfjs kernel [3, Cin, Cout]. */
  kernel: Float32Array;
  cin: number;
  cout: number;
  bias: Float32Array | null;
  /** Zeros added before and after the sequence (same: [1, 1], valid: [0, 0], causal: [2, 0]). */
  pads: [number, number];
  /** Logical output shape [B, Lout, Cout]. */
  outShape: Dim[];
  name: string;
}

/** Emits the convolution; the result is time-major (TIME_MAJOR). */
export function winogradConv1d(g: GraphBuilder, c: WinogradConv): Value {
  const length = c.x.shape[1];
  if (length == null) throw new Error(`ONNX export: ${c.name}: Winograd needs a known sequence length`);
  const [padBegin, padEnd] = c.pads;
  const outLength = length + padBegin + padEnd - (R - 1);
  if (outLength < 1) throw new Error(`ONNX export: ${c.name}: a length-${length} sequence is shorter than the kernel`);
  const tiles = Math.ceil(outLength / M);
  // Tiles read M * tiles + R - 1 positions; the ones past the padded end are zeros whose outputs are cut off.
  const tailPad = M * tiles + R - 1 - length - padBegin;
  const n = c.name;
  const lay = TIME_MAJOR;
  const batch = c.x.shape[0] ?? null;
  const x = g.get(c.x, lay);
  const padded = padBegin === 0 && tailPad === 0 ? x
    : g.op('Pad', [x.name, g.int64Const(`${n}_pads`, [padBegin, 0, 0, tailPad, 0, 0])], `${n}_pad`, [batch, length + padBegin + tailPad, c.cin], lay,
      { mode: attr.string('constant') });
  const tileIndex = Array.from({ length: TILE * tiles }, (_, i) => M * (i % tiles) + Math.floor(i / tiles));
  // [6, T, B, Cin]: position j of every tile (element (j, t) reads padded position 4t + j)
  const d = g.node('Gather', [padded.name, g.int64Const(`${n}_tiles`, tileIndex, [TILE, tiles])], `${n}_tiles`, { axis: attr.int(0) })[0]!;
  const flat = (v: string, dims: number[], suffix: string): string => g.node('Reshape', [v, g.int64Const(`${n}_${suffix}_shape`, dims)], `${n}_${suffix}`)[0]!;
  const u = g.node('MatMul', [g.floatConst(`${n}_BT`, BT.flat(), [TILE, TILE]), flat(d, [TILE, -1], 'd')], `${n}_u`)[0]!;
  const v = g.floatConst(`${n}_V`, winogradKernel(c.kernel, c.cin, c.cout), [TILE, c.cin, c.cout]);
  const m = g.node('MatMul', [flat(u, [TILE, -1, c.cin], 'u_rows'), v], `${n}_m`)[0]!;
  const y = g.node('MatMul', [g.floatConst(`${n}_AT`, AT.flat(), [M, TILE]), flat(m, [TILE, -1], 'm')], `${n}_y`)[0]!;
  // [4, T, B*Cout] -> [T, 4, B*Cout] -> [4T, B, Cout]: output 4t + r
  const byTile = g.node('Transpose', [flat(y, [M, tiles, -1], 'y_tiles')], `${n}_interleave`, { perm: attr.ints([1, 0, 2]) })[0]!;
  let out = flat(byTile, [M * tiles, -1, c.cout], 'out');
  if (M * tiles > outLength) {
    out = g.node('Slice', [out, g.int64Const(`${n}_start`, [0]), g.int64Const(`${n}_end`, [outLength]), g.int64Const(`${n}_axis`, [0])], `${n}_cut`)[0]!;
  }
  if (c.bias) out = g.node('Add', [out, g.floatConst(`${n}_B`, c.bias, [c.cout])], n)[0]!;
  return { name: out, shape: c.outShape, layout: lay, elemType: c.x.elemType };
}
