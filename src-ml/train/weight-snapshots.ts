// Parameter snapshots of a model in plain arrays (no tensor held), and their average: how the stages keep
// their best epochs (or passes) and the seed's mean_model over the best of them.
import * as tf from '@tensorflow/tfjs';

/** Values of all of a model's weights (model.weights order). */
export interface WeightSnapshot {
  values: Float32Array[];
}

/** Read with await data(): the webgpu backend has no synchronous read in Node. */
export async function snapshotWeights(model: tf.LayersModel): Promise<WeightSnapshot> {
  return { values: await Promise.all(model.weights.map(async (w) => ((await w.read().data()) as Float32Array).slice())) };
}

export function restoreWeights(model: tf.LayersModel, snap: WeightSnapshot): void {
  const ws = model.weights;
  if (snap.values.length !== ws.length) throw new Error(`snapshot has ${snap.values.length} weights, the model ${ws.length}`);
  tf.tidy(() => model.setWeights(snap.values.map((v, i) => tf.tensor(v, ws[i]!.shape as number[]))));
}

/**
 * The seed's mean_model on a copy of the best: trainable parameters = mean over the snapshots, everything
 * else (batch-norm moving mean and variance) from `best`; `everyWeight` averages those too (the base CNN's
 * epochs, whose statistics drift little between the best epochs).
 */
export function averageSnapshots(model: tf.LayersModel, snaps: readonly WeightSnapshot[], best: WeightSnapshot, opts: { everyWeight?: boolean } = {}): WeightSnapshot {
  if (snaps.length === 0) throw new Error('averageSnapshots: no snapshots');
  const values = model.weights.map((w, i) => {
    if (!w.trainable && !opts.everyWeight) return best.values[i]!.slice();
    const sum = new Float64Array(best.values[i]!.length);
    for (const s of snaps) {
      const v = s.values[i]!;
      for (let j = 0; j < v.length; j++) sum[j] = sum[j]! + v[j]!;
    }
    return Float32Array.from(sum, (x) => x / snaps.length);
  });
  return { values };
}
