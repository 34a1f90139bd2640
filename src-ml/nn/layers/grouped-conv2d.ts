/**
 * Grouped 2-D convolution (ResNeXt cardinality), channels-last.
 *
 * One kernel [kh, kw, Cin/g, Cout]: output channels j*Cout/g .. (j+1)*Cout/g - 1 see input channels
 * j*Cin/g .. (j+1)*Cin/g - 1 (PyTorch's groups=g layout; torch weight [Cout, Cin/g, kh, kw] maps here
 * by transpose [2, 3, 1, 0]).
 *
 * Three exact-equivalent implementations, chosen by the backend and the `training` call argument:
 *  - webgpu: one kernel for the whole grouped convolution and its gradients (kernels/webgpu-grouped-conv.ts),
 *    training or not;
 *  - training (fit / trainOnBatch, or apply(x, {training: true})), and inference on tensorflow (tfjs-node-gpu):
 *    g convolutions on channel slices, concatenated (tf.split / tf.conv2d / tf.concat). On wasm,
 *    [8, 32, 32, 128] -> 128, 3x3, g = 32: forward+backward ~640 ms vs ~670 ms masked;
 *  - inference on wasm and cpu (predict, feature extraction): one conv with a block-diagonal kernel (tiled and
 *    masked): forward ~160 ms vs ~185-265 ms split on wasm. A GPU does g times the FLOPs for it, so GPU backends
 *    never take this path.
 *
 * padding: 'same' | 'valid' (TF semantics) or a number p = symmetric zero padding (PyTorch semantics;
 * differs from 'same' for even inputs with stride 2, which matters for ported ResNeXt weights).
 */
import * as tf from '@tensorflow/tfjs';
import { groupedConv2dFused, hasGroupedConvKernel } from '../kernels/webgpu-grouped-conv-op.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export type GroupedConvPadding = 'same' | 'valid' | number;
export type GroupedConvInitializer = 'heNormal' | 'glorotUniform' | 'zeros';

export interface GroupedConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  groups: number;
  strides?: number | [number, number];
  padding?: GroupedConvPadding;
  /** Default false (ResNeXt convs are followed by batch norm). */
  useBias?: boolean;
  kernelInitializer?: GroupedConvInitializer;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

type Initializer = ReturnType<typeof tf.initializers.zeros>;

function makeInitializer(name: GroupedConvInitializer): Initializer {
  switch (name) {
    case 'heNormal':
      return tf.initializers.heNormal({});
    case 'glorotUniform':
      return tf.initializers.glorotUniform({});
    case 'zeros':
      return tf.initializers.zeros();
  }
}

export type ConvPad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export class GroupedConv2D extends tf.layers.Layer {
  static className = 'ICHGroupedConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly groups: number;
  readonly strides: [number, number];
  readonly padding: GroupedConvPadding;
  readonly useBias: boolean;
  readonly kernelInitializer: GroupedConvInitializer;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: GroupedConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize);
    this.groups = args.groups;
    this.strides = pair(args.strides ?? 1);
    this.padding = args.padding ?? 'valid';
    this.useBias = args.useBias ?? false;
    this.kernelInitializer = args.kernelInitializer ?? 'heNormal';
    if (!Number.isInteger(this.groups) || this.groups < 1) throw new Error(`GroupedConv2D: groups must be a positive integer, got ${this.groups}`);
    if (this.filters % this.groups !== 0) {
      throw new Error(`GroupedConv2D: filters ${this.filters} are not divisible by groups ${this.groups}`);
    }
    if (typeof this.padding === 'number' && (!Number.isInteger(this.padding) || this.padding < 0)) {
      throw new Error(`GroupedConv2D: numeric padding must be a non-negative integer, got ${this.padding}`);
    }
  }

  private convPad(): ConvPad {
    if (typeof this.padding !== 'number') return this.padding;
    const p = this.padding;
    return [[0, 0], [p, p], [p, p], [0, 0]];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const cin = shape[3];
    if (shape.length !== 4 || cin == null) throw new Error('GroupedConv2D: expected an NHWC input with known channels');
    if (cin % this.groups !== 0) throw new Error(`GroupedConv2D: input channels ${cin} are not divisible by groups ${this.groups}`);
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight('kernel', [kh, kw, cin / this.groups, this.filters], 'float32',
      makeInitializer(this.kernelInitializer), undefined, true);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tf.initializers.zeros(), undefined, true);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.strides;
    const out = (n: number | null | undefined, k: number, s: number): number | null => {
      if (n == null) return null;
      if (this.padding === 'same') return Math.ceil(n / s);
      if (this.padding === 'valid') return Math.floor((n - k) / s) + 1;
      return Math.floor((n + 2 * this.padding - k) / s) + 1;
    };
    return [shape[0] ?? null, out(shape[1], kh, sh), out(shape[2], kw, sw), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> = {}): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (!this.kernel) throw new Error('GroupedConv2D: layer is not built');
      const impl = groupedConvImpl(kwargs['training'] === true);
      const y = impl(x, this.kernel.read() as tf.Tensor4D, this.groups, this.strides, this.convPad());
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      groups: this.groups,
      strides: [...this.strides],
      padding: this.padding,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
    };
  }
}
tf.serialization.registerClass(GroupedConv2D);

export function groupedConv2dLayer(args: GroupedConv2DArgs): GroupedConv2D {
  return new GroupedConv2D(args);
}

type GroupedConvImpl = (x: tf.Tensor4D, kernel: tf.Tensor4D, groups: number, strides: [number, number], pad: ConvPad) => tf.Tensor4D;

/** The implementation for the active backend (see the head of this file). */
export function groupedConvImpl(training: boolean, backend: string = tf.getBackend()): GroupedConvImpl {
  if (backend === tf.getBackend() && hasGroupedConvKernel()) return groupedConv2dFused;
  if (training || backend === 'tensorflow' || backend === 'webgpu') return groupedConv2d;
  return groupedConv2dMasked;
}

/**
 * Grouped convolution of x [B, H, W, Cin] with kernel [kh, kw, Cin/g, Cout] as g slice convolutions.
 */
export function groupedConv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, groups: number, strides: [number, number], pad: ConvPad): tf.Tensor4D {
  return tf.tidy(() => {
    if (groups === 1) return tf.conv2d(x, kernel, strides, pad) as tf.Tensor4D;
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const ks = tf.split(kernel, groups, 3) as tf.Tensor4D[];
    const ys = xs.map((xi, i) => tf.conv2d(xi, ks[i]!, strides, pad));
    return tf.concat(ys, 3) as tf.Tensor4D;
  });
}

/**
 * The same result as one dense convolution with a block-diagonal kernel [kh, kw, Cin, Cout]
 * (kernel tiled over the input axis and masked); faster than the slice version for inference on wasm.
 */
export function groupedConv2dMasked(x: tf.Tensor4D, kernel: tf.Tensor4D, groups: number, strides: [number, number], pad: ConvPad): tf.Tensor4D {
  return tf.tidy(() => {
    if (groups === 1) return tf.conv2d(x, kernel, strides, pad) as tf.Tensor4D;
    const [, , cinG, cout] = kernel.shape;
    const coutG = cout / groups;
    const mask = new Float32Array(cinG * groups * cout);
    for (let i = 0; i < cinG * groups; i++) {
      const g = Math.floor(i / cinG);
      for (let o = g * coutG; o < (g + 1) * coutG; o++) mask[i * cout + o] = 1;
    }
    const full = tf.mul(tf.tile(kernel, [1, 1, groups, 1]), tf.tensor4d(mask, [1, 1, cinG * groups, cout]));
    return tf.conv2d(x, full as tf.Tensor4D, strides, pad) as tf.Tensor4D;
  });
}
