/**
 * The seed's WarmupExpCosineWithWarmupRestartsSchedule (docs/seed-pipeline.md section 3): one cosine restart per
 * cycle (an epoch) with a short linear warmup at the start of each, under an exponential envelope.
 *   p = step / tTotal, c = (p * cycles) mod 1, w = warmupPerCycle * cycles
 *   mult = exp(-tau * p) * (c < w ? c / w : 0.5 * (1 + cos(pi * (c - w) / (1 - w))))
 * The seed used warmup 0.002 per cycle; the LR of a parameter group is its base LR times mult.
 */
export interface ScheduleConfig {
  /** Number of restarts over the run (the seed: the number of epochs). */
  cycles: number;
  /** Envelope decay (the seed: 1; 1.5 for the DenseNet second stage). */
  tau: number;
  /** Warmup fraction per cycle (the seed: 0.002). */
  warmup: number;
}

export const SEED_SCHEDULE_WARMUP = 0.002;

export function lrMultiplier(step: number, tTotal: number, cfg: ScheduleConfig): number {
  if (!(tTotal > 0)) throw new RangeError(`lrMultiplier: tTotal must be > 0, got ${tTotal}`);
  const p = step / tTotal;
  const w = cfg.warmup * cfg.cycles;
  // Python's % on floats: result has the sign of the divisor, so c is in [0, 1) for p >= 0.
  const pc = p * cfg.cycles;
  const c = pc - Math.floor(pc);
  const envelope = Math.exp(-cfg.tau * p);
  if (w > 0 && c < w) return envelope * (c / w);
  return envelope * 0.5 * (1 + Math.cos((Math.PI * (c - w)) / (1 - w)));
}
