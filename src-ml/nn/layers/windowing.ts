/**
 * Learnable CT windowing ("WSO", docs/seed-pipeline.md section 2): 1-channel HU image -> C windowed channels.
 *
 * Per channel c: y_c = sigmoid(w_c * HU + b_c), initialised w_c = 1/W_c, b_c = 0.5 - C_c/W_c
 * (so y_c = sigmoid((HU - C_c)/W_c + 0.5)), then per-image, per-channel instance normalisation
 * (affine=False, eps 1e-5, biased variance over H and W). Channels-last (NHWC).
 *
 * The weights are stored like the seed's 1x1 Conv2d(1 -> C): kernel [1, 1, 1, C] (HWIO) and bias [C].
 * A 1x1 conv with one input channel is a per-channel scale and shift, so it is computed as a
 * broadcast multiply-add (cheaper than conv2d and with plain elementwise gradients).
 * Both weights are trainable; findWindowingWeights() returns them for the optimizer's tiny-LR group.
 */
import * as tf from '@tensorflow/tfjs';

/** [center, width] in HU. */
export type WindowSpec = readonly [number, number];

/** SE-nets: brain, subdural, soft tissue. */
export const SE_NET_WINDOWS: readonly WindowSpec[] = [[40, 80], [80, 200], [40, 400]];
/** DenseNets (Production): brain, subdural, bone. */
export const DENSENET_WINDOWS: readonly WindowSpec[] = [[40, 80], [80, 200], [600, 2800]];

export const INSTANCE_NORM_EPSILON = 1e-5;

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface WindowingArgs extends LayerArgs {
  /** Windows as [center, width] pairs, one per output channel (default SE_NET_WINDOWS). */
  windows?: readonly WindowSpec[];
  /** Instance-norm epsilon (default 1e-5). */
  epsilon?: number;
  /** Initial sharpness of every window (default 1, the seed's). */
  gain?: number;
}

/**
 * Initial (kernel, bias) per channel for the given windows: g/W and 0.5 - g*C/W. The seed's gain g = 1 gives
 * a soft window (the whole width maps to sigmoid 0.5..0.73), which an ImageNet-pretrained body at 512 px
 * copes with; a small body trained from scratch does not (measured: a 300k-parameter CNN at 64 px reached
 * 3.5-11% over the prevalence baseline with g = 1 and 42% with g = 8, same data and steps), so the tiny
 * presets start sharper. Any g is still the seed's layer: sigmoid(k*HU + b), then instance normalisation.
 */
export function windowInitialWeights(windows: readonly WindowSpec[], gain = 1): { kernel: number[]; bias: number[] } {
  return {
    kernel: windows.map(([, w]) => gain / w),
    bias: windows.map(([c, w]) => 0.5 - (gain * c) / w),
  };
}

/** Per-image, per-channel instance normalisation of an NHWC tensor (affine=False, biased variance). */
export function instanceNorm2d(x: tf.Tensor4D, epsilon = INSTANCE_NORM_EPSILON): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))) as tf.Tensor4D;
  });
}

export class Windowing extends tf.layers.Layer {
  static className = 'ICHWindowing';
  /** Names (relative to the layer) of the trainable weights: `${layer.name}/kernel`, `${layer.name}/bias`. */
  static readonly weightNames = ['kernel', 'bias'] as const;

  readonly windows: WindowSpec[];
  readonly epsilon: number;
  readonly gain: number;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: WindowingArgs = {}) {
    super(args);
    const windows = (args.windows ?? SE_NET_WINDOWS).map(([c, w]) => [c, w] as [number, number]);
    if (windows.length === 0) throw new Error('Windowing: at least one window is required');
    for (const [c, w] of windows) {
      if (!Number.isFinite(c) || !Number.isFinite(w) || w <= 0) {
        throw new Error(`Windowing: invalid window [${c}, ${w}] (width must be a positive number)`);
      }
    }
    this.windows = windows;
    this.epsilon = args.epsilon ?? INSTANCE_NORM_EPSILON;
    this.gain = args.gain ?? 1;
    if (!(this.gain > 0)) throw new Error(`Windowing: gain must be positive, got ${this.gain}`);
  }

  get channels(): number {
    return this.windows.length;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 4 || shape[3] !== 1) {
      throw new Error(`Windowing: expected an NHWC input with 1 channel, got shape [${shape.join(', ')}]`);
    }
    const c = this.channels;
    const init = windowInitialWeights(this.windows, this.gain);
    this.kernel = this.addWeight('kernel', [1, 1, 1, c], 'float32', tf.initializers.zeros(), undefined, true);
    this.bias = this.addWeight('bias', [c], 'float32', tf.initializers.zeros(), undefined, true);
    const kernel = this.kernel;
    const bias = this.bias;
    tf.tidy(() => {
      kernel.write(tf.tensor4d(init.kernel, [1, 1, 1, c]));
      bias.write(tf.tensor1d(init.bias));
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, shape[1] ?? null, shape[2] ?? null, this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (!this.kernel || !this.bias) throw new Error('Windowing: layer is not built');
      const k = tf.reshape(this.kernel.read(), [this.channels]);
      const y = tf.sigmoid(tf.add(tf.mul(x, k), this.bias.read())) as tf.Tensor4D;
      return instanceNorm2d(y, this.epsilon);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      windows: this.windows.map(([c, w]) => [c, w]),
      epsilon: this.epsilon,
      gain: this.gain,
    };
  }
}
tf.serialization.registerClass(Windowing);

/** Factory in the style of tf.layers.*. */
export function windowing(args: WindowingArgs = {}): Windowing {
  return new Windowing(args);
}

/** The trainable window weights (kernel, bias) of every Windowing layer in a model, for the WSO LR group. */
export function findWindowingWeights(model: tf.LayersModel): tf.LayerVariable[] {
  return model.layers.filter((l): l is Windowing => l instanceof Windowing).flatMap((l) => l.trainableWeights);
}
