// The shallow NN's embedding of the categorical metadata codes, as a serialisable layer.
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface CategoricalEmbeddingArgs extends LayerArgs {
  cardinalities: readonly number[];
  dims: readonly number[];
  /** Initialiser seed (tables are truncated normal, std 0.01, as in the seed). */
  seed?: number;
}

/**
 * One embedding table per categorical column: codes [..., C] -> concat_i table_i[code_i] [..., sum(dims)].
 * Looked up as oneHot(code) x table (a matMul) rather than a gather: tfjs computes the gradient of a
 * gather with UnsortedSegmentSum, which the wasm backend lacks, so tf.layers.embedding cannot train
 * there. A code outside 0 .. cardinality - 1 gets a zero vector (PyTorch would throw).
 * Weights `emb_<i>` [cardinality_i, dim_i], truncated normal with std 0.01 (fastai's init).
 */
export class CategoricalEmbedding extends tf.layers.Layer {
  static className = 'ICHCategoricalEmbedding';
  readonly cardinalities: number[];
  readonly dims: number[];
  private readonly initSeed: number | undefined;
  private tables: tf.LayerVariable[] = [];

  constructor(args: CategoricalEmbeddingArgs) {
    super(args);
    if (args.cardinalities.length !== args.dims.length || args.cardinalities.length === 0) {
      throw new Error(`CategoricalEmbedding: ${args.cardinalities.length} cardinalities but ${args.dims.length} dims`);
    }
    for (const n of [...args.cardinalities, ...args.dims]) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`CategoricalEmbedding: sizes must be positive integers, got ${n}`);
    }
    this.cardinalities = [...args.cardinalities];
    this.dims = [...args.dims];
    this.initSeed = args.seed;
  }

  get outputDim(): number {
    return this.dims.reduce((a, b) => a + b, 0);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape[shape.length - 1] !== this.cardinalities.length) {
      throw new Error(`CategoricalEmbedding: expected ${this.cardinalities.length} columns, got shape [${shape.join(', ')}]`);
    }
    this.tables = this.cardinalities.map((card, i) => {
      const seed = this.initSeed === undefined ? {} : { seed: this.initSeed + i };
      const init = tf.initializers.truncatedNormal({ mean: 0, stddev: 0.01, ...seed });
      return this.addWeight(`emb_${i}`, [card, this.dims[i]!], 'float32', init, undefined, true);
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
      const c = this.cardinalities.length;
      if (x.shape[x.rank - 1] !== c) throw new Error(`CategoricalEmbedding: expected ${c} columns, got [${x.shape.join(', ')}]`);
      const codes = tf.reshape(x.dtype === 'int32' ? x : tf.cast(tf.round(x), 'int32'), [-1, c]);
      const n = codes.shape[0]!;
      const parts = this.tables.map((table, i) => {
        const col = tf.reshape(tf.slice(codes, [0, i], [n, 1]), [n]);
        // int32 oneHot then a cast: the wasm backend's oneHot with dtype 'float32' returns zeros (tfjs 4.22).
        return tf.matMul(tf.cast(tf.oneHot(col, this.cardinalities[i]!), 'float32'), table.read());
      });
      const out = parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
      return tf.reshape(out, [...x.shape.slice(0, -1), this.outputDim]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), cardinalities: [...this.cardinalities], dims: [...this.dims] };
  }
}
tf.serialization.registerClass(CategoricalEmbedding);
