/**
 * The logit of the mean probability of N logit tensors of one shape: logit(mean_i sigmoid(x_i)). A bag of
 * independently trained nets (models/pooled-res.ts `assemblePooledResBag`) averages its members this way,
 * sigmoid first and then the mean, as the seed averages passes and folds, and stays one graph whose output
 * is logits like a single net's, so every consumer applies its sigmoid as before.
 *
 * Computed as log(mean sigmoid(x)) - log(mean sigmoid(-x)) on logits clipped to +-LOGIT_LIMIT: no 1 - p
 * cancellation near p = 1, and no log(0) in float32.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** sigmoid(-80) = 1.8e-35 is still a normal float32; beyond it the mean's log would be -Infinity. */
export const LOGIT_LIMIT = 80;

function shapesOf(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[]) : [inputShape as tf.Shape];
}

export interface ProbabilityMeanArgs extends LayerArgs {
  /** Logits are clipped to +-limit first (default LOGIT_LIMIT; in the config for the ONNX exporter). */
  limit?: number;
}

export class ProbabilityMean extends tf.layers.Layer {
  static className = 'ICHProbabilityMean';
  readonly limit: number;

  constructor(args: ProbabilityMeanArgs = {}) {
    super(args);
    this.limit = args.limit ?? LOGIT_LIMIT;
    if (!(this.limit > 0 && this.limit <= LOGIT_LIMIT)) throw new Error(`ProbabilityMean: limit must be in (0, ${LOGIT_LIMIT}], got ${this.limit}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shapes = shapesOf(inputShape);
    if (shapes.length < 2) throw new Error(`ProbabilityMean: needs at least 2 inputs, got ${shapes.length}`);
    const first = JSON.stringify(shapes[0]);
    if (shapes.some((s) => JSON.stringify(s) !== first)) throw new Error(`ProbabilityMean: inputs differ in shape (${shapes.map((s) => JSON.stringify(s)).join(', ')})`);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapesOf(inputShape)[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = (Array.isArray(inputs) ? inputs : [inputs]).map((x) => tf.clipByValue(x, -this.limit, this.limit));
      const meanOf = (ts: tf.Tensor[]): tf.Tensor => tf.div(tf.addN(ts), ts.length);
      const p = meanOf(xs.map((x) => tf.sigmoid(x)));
      const q = meanOf(xs.map((x) => tf.sigmoid(tf.neg(x))));
      return tf.sub(tf.log(p), tf.log(q));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), limit: this.limit };
  }
}
tf.serialization.registerClass(ProbabilityMean);
