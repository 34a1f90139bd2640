/**
 * The logit of the mean probability of N logit tensors of one shape: logit(mean_i sigmoid(x_i)). A bag of
 * independently trained nets (models/pooled-res.ts `assemblePooledResBag`) averages its members this way,
 * sigmoid first and then the mean, as the seed averages passes and folds, and stays one graph whose output
 * is logits like a single net's, so every consumer applies its sigmoid as before.
 *
 * Computed in log space, as logsumexp_i(log sigmoid(x_i)) - logsumexp_i(log sigmoid(-x_i)) (the 1/N of the
 * two means cancels), with log sigmoid(x) = -softplus(-x), on logits clipped to +-LOGIT_LIMIT: no 1 - p
 * cancellation near p = 1, no log(0), and only absolute rounding in log space. (ONNX Runtime's Sigmoid is
 * accurate to about 1e-8 absolute, which is a 3% error at sigmoid(-15); its Softplus is not needed closer.)
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** exp(80) = 5.5e34 is still a float32 (softplus of the clipped logits cannot overflow). */
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
      // logsumexp over the members, elementwise: m + log(sum exp(a_i - m)), m the members' max.
      const logSumExp = (as: tf.Tensor[]): tf.Tensor => {
        const m = as.reduce((a, b) => tf.maximum(a, b));
        return tf.add(m, tf.log(tf.addN(as.map((a) => tf.exp(tf.sub(a, m))))));
      };
      const logP = logSumExp(xs.map((x) => tf.neg(tf.softplus(tf.neg(x))))); // log sigmoid(x_i)
      const logQ = logSumExp(xs.map((x) => tf.neg(tf.softplus(x)))); // log sigmoid(-x_i)
      return tf.sub(logP, logQ);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), limit: this.limit };
  }
}
tf.serialization.registerClass(ProbabilityMean);
