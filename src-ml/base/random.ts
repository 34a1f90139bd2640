// A seeded random source: the same seed gives the same studies, folds, batches and augmentations on every
// machine (xoshiro128** on 32-bit integers; no Math.random in synth/, data/, train/ or predict/).

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(lo: number, hi: number): number;
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** Standard normal (Box-Muller, one value per call). */
  normal(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An independent stream derived from this one and a label, so adding draws in one part never shifts another. */
  fork(label: string): Rng;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** splitmix32: spreads one 32-bit seed over the four words of xoshiro's state. */
function splitmix(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRng(seed: number | string): Rng {
  const sm = splitmix(typeof seed === 'string' ? hashString(seed) : seed >>> 0 ^ Math.floor(seed / 2 ** 32));
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  if ((a | b | c | d) === 0) a = 1;
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    uniform: (lo, hi) => lo + (hi - lo) * rng.next(),
    int: (lo, hi) => lo + Math.floor(rng.next() * (hi - lo + 1)),
    normal: () => {
      const u = 1 - rng.next();
      const v = rng.next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => rng.next() < p,
    pick: (items) => {
      if (!items.length) throw new RangeError('pick from an empty list');
      return items[Math.floor(rng.next() * items.length)]!;
    },
    fork: (label) => createRng((nextU32() ^ hashString(label)) >>> 0),
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * mulberry32: a small seeded uniform generator on [0, 1), for test data and file mutations where a plain
 * function is handier than an Rng (the tests' fixtures were made with it; keep its sequence).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
