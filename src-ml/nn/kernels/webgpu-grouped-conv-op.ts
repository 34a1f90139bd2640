/**
 * Grouped 2-D convolution as one kernel (NHWC, kernel [kh, kw, Cin/g, Cout], PyTorch's groups=g layout), for GPU
 * backends that implement it: one dispatch per layer instead of g slice convolutions or a g-times larger masked one.
 * The forward kernel and its two gradient kernels are registered for webgpu in webgpu-grouped-conv.ts; this module
 * holds the op and its gradient only (no WebGPU code), so the layer can import it on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs';

export const GROUPED_CONV2D = 'ICHGroupedConv2D';
export const GROUPED_CONV2D_BACKPROP_INPUT = 'ICHGroupedConv2DBackpropInput';
export const GROUPED_CONV2D_BACKPROP_FILTER = 'ICHGroupedConv2DBackpropFilter';

export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

export interface GroupedConvAttrs {
  strides: [number, number];
  pad: 'same' | 'valid' | ExplicitPad;
  groups: number;
}

/** The shared geometry of the three kernels (the output size and the padding before the first row and column). */
export function groupedConvInfo(xShape: number[], filterShape: number[], attrs: GroupedConvAttrs): backend_util.Conv2DInfo {
  const [b, h, w, cin] = xShape as [number, number, number, number];
  const [kh, kw, cinG, cout] = filterShape as [number, number, number, number];
  if (cin !== cinG * attrs.groups) throw new Error(`${GROUPED_CONV2D}: ${cin} input channels, expected ${cinG} x ${attrs.groups} groups`);
  if (cout % attrs.groups !== 0) throw new Error(`${GROUPED_CONV2D}: ${cout} output channels are not divisible by ${attrs.groups} groups`);
  return backend_util.computeConv2DInfo([b, h, w, cin], [kh, kw, cinG, cout], attrs.strides, 1, attrs.pad, undefined, false, 'channelsLast');
}

function asAttrs(a: GroupedConvAttrs, extra: Record<string, unknown> = {}): NamedAttrMap {
  return { strides: a.strides, pad: a.pad, groups: a.groups, ...extra } as unknown as NamedAttrMap;
}

/** True when the active backend has the one-kernel grouped convolution. */
export function hasGroupedConvKernel(): boolean {
  return tf.getKernel(GROUPED_CONV2D, tf.getBackend()) !== undefined;
}

export function groupedConv2dFused(x: tf.Tensor4D, filter: tf.Tensor4D, groups: number, strides: [number, number], pad: GroupedConvAttrs['pad']): tf.Tensor4D {
  // the backend's own convolution (a tiled matrix product) is the faster one without groups
  if (groups === 1) return tf.conv2d(x, filter, strides, pad);
  return tf.engine().runKernel(GROUPED_CONV2D, { x, filter }, asAttrs({ strides, pad, groups })) as tf.Tensor4D;
}

let gradientRegistered = false;

/** Registers the op's gradient (once per process; the same for every backend that has the kernels). */
export function registerGroupedConvGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: GROUPED_CONV2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const a = attrs as unknown as GroupedConvAttrs;
      const d = dy as tf.Tensor4D;
      return {
        x: () => tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_INPUT, { dy: d, filter }, asAttrs(a, { inputShape: x.shape })) as Tensor,
        filter: () => tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_FILTER, { x, dy: d }, asAttrs(a, { filterShape: filter.shape })) as Tensor,
      };
    },
  });
}
