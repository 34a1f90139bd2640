/**
 * Channel-group global max pooling (seed head, docs/seed-pipeline.md section 3): NHWC [B, H, W, C] -> [B, C/g].
 * Output j is the max over channels j*g .. j*g+g-1 and all spatial positions
 * (the seed's max_pool3d with kernel (g, H, W) on the (B, 1, C, H, W) view).
 * SENet 2048/8 = 256, DenseNet161 2208/4 = 552, DenseNet169 1664/8 = 208.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface ChannelGroupMaxPoolArgs extends LayerArgs {
  /** Consecutive channels per output value (the seed's extra_pool). */
  groupSize: number;
}

export class ChannelGroupMaxPool extends tf.layers.Layer {
  static className = 'ICHChannelGroupMaxPool';
  readonly groupSize: number;

  constructor(args: ChannelGroupMaxPoolArgs) {
    super(args);
    if (!Number.isInteger(args.groupSize) || args.groupSize < 1) {
      throw new Error(`ChannelGroupMaxPool: groupSize must be a positive integer, got ${args.groupSize}`);
    }
    this.groupSize = args.groupSize;
  }

  private checkChannels(channels: number | null | undefined): number {
    if (channels == null) throw new Error('ChannelGroupMaxPool: the channel dimension must be known');
    if (channels % this.groupSize !== 0) {
      throw new Error(`ChannelGroupMaxPool: ${channels} channels are not divisible by groupSize ${this.groupSize}`);
    }
    return channels / this.groupSize;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 4) throw new Error(`ChannelGroupMaxPool: expected an NHWC input, got rank ${shape.length}`);
    this.checkChannels(shape[3]);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.checkChannels(shape[3])];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, , , c] = x.shape;
      const groups = this.checkChannels(c);
      // spatial max first (B x C values), then the max inside each channel group
      const spatial = tf.max(x, [1, 2]);
      if (this.groupSize === 1) return spatial;
      return tf.max(tf.reshape(spatial, [b, groups, this.groupSize]), 2);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groupSize: this.groupSize };
  }
}
tf.serialization.registerClass(ChannelGroupMaxPool);

export function channelGroupMaxPool(args: ChannelGroupMaxPoolArgs): ChannelGroupMaxPool {
  return new ChannelGroupMaxPool(args);
}
