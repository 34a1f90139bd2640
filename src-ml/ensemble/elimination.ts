// Backward elimination (docs/seed-pipeline.md section 7 step 1): the loss is the competition metric (probabilities
// clipped at 1e-15) of the simple mean of the kept models, optionally with per-image weights. Greedily
// drop the model whose removal lowers that loss most; stop when no removal lowers it (or one model is
// left). Ties go to the lowest model index, as numpy's argmin.
import { KAGGLE_EPS } from '../metrics/log-loss.ts';
import { imageWeightedLogLoss, N_CLASSES } from './image-weighted-loss.ts';

export interface EliminationStep {
  /** Index into the models array. */
  dropped: number;
  /** Loss of the mean of the models kept after this drop. */
  loss: number;
}

export interface EliminationResult {
  /** Indices of the kept models, ascending. */
  kept: number[];
  steps: EliminationStep[];
  /** Loss of the mean of all models. */
  initialLoss: number;
}

export function backwardElimination(models: readonly Float32Array[], labels: Uint8Array, weights?: Float32Array): EliminationResult {
  if (models.length === 0) throw new Error('elimination: no models');
  const len = labels.length;
  if (len === 0 || len % N_CLASSES !== 0) throw new Error(`elimination: ${len} labels is not a positive multiple of ${N_CLASSES}`);
  models.forEach((m, j) => {
    if (m.length !== len) throw new Error(`elimination: model ${j} has ${m.length} values for ${len} labels`);
  });
  const sum = new Float64Array(len);
  for (const m of models) for (let t = 0; t < len; t++) sum[t]! += m[t]!;
  const mean = new Float64Array(len);
  const lossOfMeanWithout = (drop: number, kept: number): number => {
    const m = drop >= 0 ? models[drop]! : undefined;
    const count = m ? kept - 1 : kept;
    for (let t = 0; t < len; t++) mean[t] = (sum[t]! - (m ? m[t]! : 0)) / count;
    return imageWeightedLogLoss(mean, labels, weights, KAGGLE_EPS).loss;
  };
  const kept = models.map((_, j) => j);
  const initialLoss = lossOfMeanWithout(-1, kept.length);
  let current = initialLoss;
  const steps: EliminationStep[] = [];
  while (kept.length > 1) {
    let best = -1;
    let bestLoss = Infinity;
    for (const j of kept) {
      const l = lossOfMeanWithout(j, kept.length);
      if (l < bestLoss) {
        bestLoss = l;
        best = j;
      }
    }
    if (!(bestLoss < current)) break;
    const m = models[best]!;
    for (let t = 0; t < len; t++) sum[t]! -= m[t]!;
    kept.splice(kept.indexOf(best), 1);
    steps.push({ dropped: best, loss: bestLoss });
    current = bestLoss;
  }
  return { kept, steps, initialLoss };
}
