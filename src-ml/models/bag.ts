/**
 * A bag of independently trained nets of one architecture as one graph: the same inputs through every member
 * (layer names prefixed `bag{i}_`), their logits merged by ProbabilityMean (sigmoid, mean, logit), so a bag is
 * saved, exported to ONNX and served like a single net and keeps its output layer's name.
 */
import * as tf from '@tensorflow/tfjs';
import type { Sym } from './base-layers.ts';
import { ProbabilityMean } from '../nn/layers/probability-mean.ts';

/** Layer-name prefix of bag member i. */
export const bagPrefix = (i: number): string => `bag${i}_`;

/**
 * The bag of `members`: `body(prefix)` builds one member's layers on the bag's `inputs` (names prefixed) and
 * returns its logits; the members' weights are copied in, layer by layer; the members are left as they were.
 */
export function assembleBag(members: readonly tf.LayersModel[], inputs: Sym[], body: (prefix: string) => Sym, names: { output: string; model: string }): tf.LayersModel {
  if (members.length < 2) throw new Error(`a bag needs at least 2 members, got ${members.length}`);
  const outs = members.map((_, i) => body(bagPrefix(i)));
  const bag = tf.model({ inputs, outputs: new ProbabilityMean({ name: names.output }).apply(outs) as Sym, name: names.model });
  members.forEach((m, i) => {
    for (const layer of m.layers) {
      if (layer.weights.length > 0) bag.getLayer(`${bagPrefix(i)}${layer.name}`).setWeights(layer.getWeights());
    }
  });
  return bag;
}
