/**
 * WGSL kernels of the grouped convolution (webgpu-grouped-conv-op.ts) for tfjs-backend-webgpu: forward, input
 * gradient and filter gradient, each a direct loop over one group's channels. Grouped convolutions are thin
 * (ResNeXt32x4d: 4 to 32 channels per group), so a direct loop stays close to memory speed; what it saves is the
 * g-fold FLOPs of the block-masked dense convolution and the 3g dispatches of slicing into groups.
 *
 * The filter gradient sums over every output pixel of the batch (B*OH*OW terms per weight): it runs in chunks of
 * pixels, one thread per (chunk, weight), and a second pass adds the chunks in order, so the result does not depend
 * on scheduling.
 */
import { backend_util, util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { webgpu_util, type WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  GROUPED_CONV2D,
  GROUPED_CONV2D_BACKPROP_FILTER,
  GROUPED_CONV2D_BACKPROP_INPUT,
  groupedConvInfo,
  type GroupedConvAttrs,
} from './webgpu-grouped-conv-op.ts';

type Program = Parameters<WebGPUBackend['runWebGPUProgram']>[0];
type Uniforms = Array<{ type: string; data: number[] }>;

const WORKGROUP: [number, number, number] = [64, 1, 1];

/** A flat-dispatch program: one thread per output element, `index` its flat position. */
function flatProgram(name: string, outputShape: number[], variableNames: string[], uniforms: string, body: string): Program {
  const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
  return {
    outputShape,
    shaderKey: name,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, WORKGROUP),
    workgroupSize: WORKGROUP,
    variableNames,
    uniforms,
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  } as unknown as Program;
}

function geometryUniforms(info: backend_util.Conv2DInfo, groups: number): Uniforms {
  return [
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [groups] },
  ];
}

const GEOMETRY = 'strides : vec2<i32>, pads : vec2<i32>, groups : i32,';

function checkFloat(kernel: string, ...tensors: TensorInfo[]): void {
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`${kernel} (webgpu): only float32 is supported, got ${t.dtype}`);
  }
}

// y[b, oh, ow, co] = sum over kh, kw, ci < Cin/g of x[b, oh*s + kh - p, ow*s + kw - p, g(co)*Cin/g + ci] * w[kh, kw, ci, co]
const FORWARD = `
  let coords = getCoordsFromIndex(index);
  let cinG = uniforms.wShape[2];
  let cout = uniforms.wShape[3];
  let ci0 = (coords[3] / (cout / uniforms.groups)) * cinG;
  var acc = 0.0;
  for (var kh = 0; kh < uniforms.wShape[0]; kh++) {
    let ih = coords[1] * uniforms.strides[0] + kh - uniforms.pads[0];
    if (ih < 0 || ih >= uniforms.xShape[1]) { continue; }
    for (var kw = 0; kw < uniforms.wShape[1]; kw++) {
      let iw = coords[2] * uniforms.strides[1] + kw - uniforms.pads[1];
      if (iw < 0 || iw >= uniforms.xShape[2]) { continue; }
      let xBase = ((coords[0] * uniforms.xShape[1] + ih) * uniforms.xShape[2] + iw) * uniforms.xShape[3] + ci0;
      let wBase = (kh * uniforms.wShape[1] + kw) * cinG * cout + coords[3];
      for (var ci = 0; ci < cinG; ci++) {
        acc += x[xBase + ci] * w[wBase + ci * cout];
      }
    }
  }
  setOutputAtIndex(index, acc);`;

// dx[b, ih, iw, ci] = sum over kh, kw and the group's output channels co of dy[b, oh, ow, co] * w[kh, kw, ci mod Cin/g, co]
// where ih = oh*s + kh - p
const BACKPROP_INPUT = `
  let coords = getCoordsFromIndex(index);
  let cinG = uniforms.wShape[2];
  let cout = uniforms.wShape[3];
  let coutG = cout / uniforms.groups;
  let g = coords[3] / cinG;
  let cil = coords[3] - g * cinG;
  let co0 = g * coutG;
  var acc = 0.0;
  for (var kh = 0; kh < uniforms.wShape[0]; kh++) {
    let ohs = coords[1] + uniforms.pads[0] - kh;
    if (ohs < 0 || ohs % uniforms.strides[0] != 0) { continue; }
    let oh = ohs / uniforms.strides[0];
    if (oh >= uniforms.dyShape[1]) { continue; }
    for (var kw = 0; kw < uniforms.wShape[1]; kw++) {
      let ows = coords[2] + uniforms.pads[1] - kw;
      if (ows < 0 || ows % uniforms.strides[1] != 0) { continue; }
      let ow = ows / uniforms.strides[1];
      if (ow >= uniforms.dyShape[2]) { continue; }
      let dyBase = ((coords[0] * uniforms.dyShape[1] + oh) * uniforms.dyShape[2] + ow) * cout + co0;
      let wBase = ((kh * uniforms.wShape[1] + kw) * cinG + cil) * cout + co0;
      for (var co = 0; co < coutG; co++) {
        acc += dy[dyBase + co] * w[wBase + co];
      }
    }
  }
  setOutputAtIndex(index, acc);`;

// partial[chunk, (kh, kw, ci, co)] = the filter gradient's sum over the chunk's output pixels p = (b, oh, ow)
const BACKPROP_FILTER_CHUNKS = `
  let coords = getCoordsFromIndex(index);
  let cout = uniforms.dyShape[3];
  let cinG = uniforms.xShape[3] / uniforms.groups;
  let co = coords[1] % cout;
  let t = coords[1] / cout;
  let ci = t % cinG;
  let kk = t / cinG;
  let kw = kk % uniforms.filterDims[1];
  let kh = kk / uniforms.filterDims[1];
  let xc = (co / (cout / uniforms.groups)) * cinG + ci;
  let ohw = uniforms.dyShape[1] * uniforms.dyShape[2];
  let total = uniforms.dyShape[0] * ohw;
  let start = coords[0] * uniforms.perChunk;
  let end = min(total, start + uniforms.perChunk);
  var acc = 0.0;
  for (var p = start; p < end; p++) {
    let b = p / ohw;
    let r = p - b * ohw;
    let oh = r / uniforms.dyShape[2];
    let ow = r - oh * uniforms.dyShape[2];
    let ih = oh * uniforms.strides[0] + kh - uniforms.pads[0];
    let iw = ow * uniforms.strides[1] + kw - uniforms.pads[1];
    if (ih >= 0 && ih < uniforms.xShape[1] && iw >= 0 && iw < uniforms.xShape[2]) {
      acc += x[((b * uniforms.xShape[1] + ih) * uniforms.xShape[2] + iw) * uniforms.xShape[3] + xc] * dy[p * cout + co];
    }
  }
  setOutputAtIndex(index, acc);`;

// dw[i] = sum over chunks of partial[chunk, i], in chunk order
const SUM_CHUNKS = `
  let n = uniforms.partialShape[1];
  var acc = 0.0;
  for (var c = 0; c < uniforms.partialShape[0]; c++) {
    acc += partial[c * n + index];
  }
  setOutputAtIndex(index, acc);`;

/** Output pixels per chunk of the filter gradient: enough chunks to fill a GPU, few enough to keep the partials small. */
export function filterGradChunks(pixels: number, weights: number): { chunks: number; perChunk: number } {
  const TARGET_THREADS = 1 << 20;
  const MAX_PARTIAL = 1 << 24;
  let chunks = Math.max(1, Math.min(pixels, Math.ceil(TARGET_THREADS / weights), Math.floor(MAX_PARTIAL / weights)));
  const perChunk = Math.ceil(pixels / chunks);
  chunks = Math.ceil(pixels / perChunk);
  return { chunks, perChunk };
}

interface KernelArgs<I> {
  inputs: I;
  backend: WebGPUBackend;
  attrs: NamedAttrMap;
}

function forward({ inputs: { x, filter }, backend, attrs }: KernelArgs<{ x: TensorInfo; filter: TensorInfo }>): TensorInfo {
  checkFloat(GROUPED_CONV2D, x, filter);
  const a = attrs as unknown as GroupedConvAttrs;
  const info = groupedConvInfo(x.shape, filter.shape, a);
  const program = flatProgram('ichGroupedConv2d', info.outShape, ['x', 'w'], GEOMETRY, FORWARD);
  return backend.runWebGPUProgram(program, [x, filter], 'float32', geometryUniforms(info, a.groups));
}

function backpropInput({ inputs: { dy, filter }, backend, attrs }: KernelArgs<{ dy: TensorInfo; filter: TensorInfo }>): TensorInfo {
  checkFloat(GROUPED_CONV2D_BACKPROP_INPUT, dy, filter);
  const a = attrs as unknown as GroupedConvAttrs & { inputShape: number[] };
  const info = groupedConvInfo(a.inputShape, filter.shape, a);
  const program = flatProgram('ichGroupedConv2dDx', a.inputShape, ['dy', 'w'], GEOMETRY, BACKPROP_INPUT);
  return backend.runWebGPUProgram(program, [dy, filter], 'float32', geometryUniforms(info, a.groups));
}

function backpropFilter({ inputs: { x, dy }, backend, attrs }: KernelArgs<{ x: TensorInfo; dy: TensorInfo }>): TensorInfo {
  checkFloat(GROUPED_CONV2D_BACKPROP_FILTER, x, dy);
  const a = attrs as unknown as GroupedConvAttrs & { filterShape: number[] };
  const info = groupedConvInfo(x.shape, a.filterShape, a);
  const weights = util.sizeFromShape(a.filterShape);
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const { chunks, perChunk } = filterGradChunks(pixels, weights);
  const chunkProgram = flatProgram('ichGroupedConv2dDwChunks', [chunks, weights], ['x', 'dy'],
    `${GEOMETRY} filterDims : vec2<i32>, perChunk : i32,`, BACKPROP_FILTER_CHUNKS);
  const partial = backend.runWebGPUProgram(chunkProgram, [x, dy], 'float32', [
    ...geometryUniforms(info, a.groups),
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [perChunk] },
  ]);
  try {
    return backend.runWebGPUProgram(flatProgram('ichGroupedConv2dDwSum', a.filterShape, ['partial'], '', SUM_CHUNKS), [partial], 'float32');
  } finally {
    backend.disposeData(partial.dataId);
  }
}

export const webGpuGroupedConvKernels: readonly KernelConfig[] = [
  { kernelName: GROUPED_CONV2D, backendName: 'webgpu', kernelFunc: forward as unknown as KernelFunc },
  { kernelName: GROUPED_CONV2D_BACKPROP_INPUT, backendName: 'webgpu', kernelFunc: backpropInput as unknown as KernelFunc },
  { kernelName: GROUPED_CONV2D_BACKPROP_FILTER, backendName: 'webgpu', kernelFunc: backpropFilter as unknown as KernelFunc },
];
