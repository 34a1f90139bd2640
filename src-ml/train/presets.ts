/**
 * Presets: every hyper-parameter of a pipeline run, as versioned JSON in src-ml/presets/ (`tiny` for
 * CPU demos and tests, `rsna` for the seed's settings on a GPU). Loaded and checked here, so a typo in
 * a preset fails at once with the field named, not hours into a run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../base/errors.ts';
import { BASE_ARCHS } from '../models/base-cnn-presets.ts';
import type { AugmentName, TtaAugmentName } from '../data/augment-presets.ts';
import type { LossName } from '../nn/losses.ts';
import { TRAIN_PRESETS } from '../../src-shared/stages.ts';

export const PRESET_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'presets');
/** The built-in presets (files in PRESET_DIR): the contract's list, the names the GUI may launch. */
export const PRESET_NAMES = TRAIN_PRESETS;

export type { AugmentName, TtaAugmentName };

export interface FoldSpec {
  k: number;
  seed: number;
  /**
   * Draw the folds as a stratified group KFold (patients kept whole, each label's positives spread evenly:
   * data/folds.ts) instead of the seed's shuffled KFold. Small data sets need it; at the RSNA size the two agree.
   */
  stratify?: boolean;
}

/**
 * Where a base model's body starts when it starts from no other model (no initFrom): the seed fine-tuned
 * ImageNet weights, so its learning rates are fine-tuning rates, far too small to train a random body
 * (the DenseNet transitions at 0 would even stay random for good). Such a model names its ImageNet start
 * here; base-init.ts finds the weights (`ich weights import` folders) or refuses, unless the run is
 * started with --from-scratch, which trains from random init with `fromScratch.lr` instead.
 */
export interface BaseInitPreset {
  weights: 'imagenet';
  /**
   * Imported bodies: a folder written by `ich weights import`, or a folder holding one such folder per arch
   * (`<dir>/<arch>/`). Relative to the workspace folder; default 'weights' (`<workspace>/weights/<arch>/`).
   * The --init flag overrides it.
   */
  dir?: string;
  /** The learning rates of a run from random init (--from-scratch), one per parameter group as optimizer.lr. */
  fromScratch: { lr: Record<string, number>; note?: string };
}

export interface BaseModelPreset {
  name: string;
  arch: string;
  /** Start from this model's weights for the same fold (the seed's focal and DenseNet stage-2 runs). */
  initFrom?: string;
  /** Start from imported ImageNet weights (models without initFrom); see BaseInitPreset. */
  init?: BaseInitPreset;
  folds?: FoldSpec;
  imageSize: number;
  epochs: number;
  /** Schedule restarts over the run (default: epochs). */
  cycles?: number;
  /** Floor on optimizer steps over the run: small data repeat each epoch's sampling (default: none). */
  minSteps?: number;
  /** With keep 'best': average the weights of the best N epochs when that validates no worse (default 1). */
  bestAverage?: number;
  batchSize: number;
  sampler: { negativeFraction: number; perClassRepeats?: number[] };
  loss: LossName;
  augment: AugmentName;
  keep: 'best' | 'last';
  optimizer: { weightDecay: number; maxGradNorm: number; lr: Record<string, number> };
  schedule: { tau: number; warmup: number };
  features?: { trainCopies: number; testCopies: number; augment: TtaAugmentName; batchSize: number };
  note?: string;
}

/** Pooled-Res (docs/seed-pipeline.md section 4). */
export interface PooledResPreset {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  /** Schedule restarts over all epochs (the seed: 2), envelope tau and warmup as in the base schedule. */
  cycles: number;
  tau: number;
  warmup: number;
  /** Average the parameters of the best N epochs (the seed: 3; 1 = keep the best). */
  bestAverage: number;
  trainCopies: number;
  valCopies: number;
  oofPasses: number;
  testCopies: number;
  testPasses: number;
  /** Floor on optimizer steps over the run: few series repeat each epoch (default: none). */
  minSteps?: number;
  /**
   * Standardise the input features with the fold's training statistics, as the shallow NN does (default
   * false: the seed's Yuval model reads raw features). Saved in the model's meta.json as inputNorm.
   */
  zscore?: boolean;
  /** Inverted dropout on the training samples' input features, 0 <= p < 1 (default 0: the seed has none). */
  inputDropout?: number;
  /**
   * Independently initialised and shuffled nets per fold, each trained and its epochs chosen as the seed's
   * one net is, saved as one graph that averages their probabilities (default 1: the seed's single net).
   */
  bag?: number;
}

/** The shallow NN (docs/seed-pipeline.md section 5). lrSteps: [learning rate, epochs] in order; Adam is re-created each epoch. */
export interface ShallowPreset {
  batchSize: number;
  betas: [number, number];
  /** Coupled L2 weight decay, as torch.optim.Adam's weight_decay. */
  weightDecay: number;
  lrSteps: [number, number][];
  passes: number;
  /** Floor on optimizer steps over the run (default: none); the weighted fine-tune has its own. */
  minSteps?: number;
  weighted: { lrSteps: [number, number][]; minSteps?: number };
  /**
   * Independently initialised and shuffled nets per fold, each trained as the seed's one net is, saved as one
   * graph that averages their probabilities (default 1: the seed's single net). The weighted fine-tune goes
   * on from that graph as a whole.
   */
  bag?: number;
}

export interface Preset {
  name: string;
  version: number;
  description: string;
  folds: FoldSpec;
  base: BaseModelPreset[];
  pooledRes: PooledResPreset;
  shallow: ShallowPreset;
  /** Data-parallel ranks for training on the wasm backend, at most (capped by the cores; ICH_TRAIN_WORKERS overrides; default 1). */
  trainWorkers?: number;
}

function fail(where: string, what: string): never {
  throw new Error(`preset ${where}: ${what}`);
}

function num(v: unknown, where: string, min: number, max = Infinity, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(where, `expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, where: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(where, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function checkFolds(f: unknown, where: string): FoldSpec {
  const o = (f ?? {}) as Record<string, unknown>;
  if (o.stratify !== undefined && typeof o.stratify !== 'boolean') fail(`${where}.stratify`, `expected true or false, got ${JSON.stringify(o.stratify)}`);
  return { k: num(o.k, `${where}.k`, 2, 20, true), seed: num(o.seed, `${where}.seed`, 0, 2 ** 32, true), ...(o.stratify ? { stratify: true } : {}) };
}

function checkInit(v: unknown, w: string, groups: string[], hasInitFrom: boolean): void {
  if (hasInitFrom) fail(w, 'a model with initFrom starts from that model: it takes no init');
  const o = (v ?? {}) as Record<string, unknown>;
  oneOf(o.weights, `${w}.weights`, ['imagenet'] as const);
  if (o.dir !== undefined && (typeof o.dir !== 'string' || o.dir === '')) fail(`${w}.dir`, `expected a folder path, got ${JSON.stringify(o.dir)}`);
  const fs = (o.fromScratch ?? {}) as Record<string, unknown>;
  if (typeof fs.lr !== 'object' || fs.lr === null) fail(`${w}.fromScratch`, 'lr must map parameter groups to learning rates (the rates of a run from random init)');
  const got = Object.keys(fs.lr).sort();
  if (got.join(',') !== [...groups].sort().join(',')) fail(`${w}.fromScratch.lr`, `must name the groups of optimizer.lr (${[...groups].sort().join(', ')}), got ${got.join(', ') || 'none'}`);
  for (const [g, lr] of Object.entries(fs.lr)) num(lr, `${w}.fromScratch.lr.${g}`, 0, 10);
}

export function validatePreset(raw: unknown, source: string): Preset {
  const p = (raw ?? {}) as Record<string, unknown>;
  if (typeof p.name !== 'string' || !p.name) fail(source, 'name is missing');
  const where = `${source}`;
  num(p.version, `${where}.version`, 1, Infinity, true);
  const folds = checkFolds(p.folds, `${where}.folds`);
  if (!Array.isArray(p.base) || p.base.length === 0) fail(where, 'base must list at least one model');
  const names = new Set<string>();
  const base = (p.base as Record<string, unknown>[]).map((m, i) => {
    const w = `${where}.base[${i}]`;
    if (typeof m.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(m.name)) fail(w, `name must be [A-Za-z0-9_.-]+, got ${JSON.stringify(m.name)}`);
    if (names.has(m.name)) fail(w, `duplicate model name ${m.name}`);
    if (typeof m.arch !== 'string' || !(m.arch in BASE_ARCHS)) fail(w, `unknown arch ${JSON.stringify(m.arch)} (known: ${Object.keys(BASE_ARCHS).join(', ')})`);
    if (m.initFrom !== undefined && (typeof m.initFrom !== 'string' || !names.has(m.initFrom))) fail(w, `initFrom must name an earlier model, got ${JSON.stringify(m.initFrom)}`);
    names.add(m.name);
    num(m.imageSize, `${w}.imageSize`, 32, 2048, true);
    num(m.epochs, `${w}.epochs`, 1, 1000, true);
    if (m.cycles !== undefined) num(m.cycles, `${w}.cycles`, 1, 1000, true);
    if (m.minSteps !== undefined) num(m.minSteps, `${w}.minSteps`, 0, 1e7, true);
    if (m.bestAverage !== undefined) num(m.bestAverage, `${w}.bestAverage`, 1, 100, true);
    num(m.batchSize, `${w}.batchSize`, 1, 4096, true);
    const s = (m.sampler ?? {}) as Record<string, unknown>;
    num(s.negativeFraction, `${w}.sampler.negativeFraction`, 0, 1);
    if (s.perClassRepeats !== undefined && (!Array.isArray(s.perClassRepeats) || s.perClassRepeats.length !== 6)) fail(w, 'sampler.perClassRepeats must have 6 entries');
    oneOf(m.loss, `${w}.loss`, ['bce', 'focal'] as const);
    oneOf(m.augment, `${w}.augment`, ['se', 'se-shift20', 'densenet', 'light', 'none'] as const);
    oneOf(m.keep, `${w}.keep`, ['best', 'last'] as const);
    const o = (m.optimizer ?? {}) as Record<string, unknown>;
    num(o.weightDecay, `${w}.optimizer.weightDecay`, 0, 1);
    num(o.maxGradNorm, `${w}.optimizer.maxGradNorm`, 0);
    if (typeof o.lr !== 'object' || o.lr === null) fail(w, 'optimizer.lr must map parameter groups to learning rates');
    for (const [g, lr] of Object.entries(o.lr)) num(lr, `${w}.optimizer.lr.${g}`, 0, 10);
    if (m.init !== undefined) checkInit(m.init, `${w}.init`, Object.keys(o.lr), m.initFrom !== undefined);
    const sc = (m.schedule ?? {}) as Record<string, unknown>;
    num(sc.tau, `${w}.schedule.tau`, 0, 100);
    num(sc.warmup, `${w}.schedule.warmup`, 0, 0.5);
    if (m.features !== undefined) {
      const f = m.features as Record<string, unknown>;
      num(f.trainCopies, `${w}.features.trainCopies`, 1, 64, true);
      num(f.testCopies, `${w}.features.testCopies`, 1, 64, true);
      oneOf(f.augment, `${w}.features.augment`, ['se-tta', 'se-tta-mild', 'light', 'none'] as const);
      num(f.batchSize, `${w}.features.batchSize`, 1, 4096, true);
    }
    if (m.folds !== undefined) checkFolds(m.folds, `${w}.folds`);
    return m as unknown as BaseModelPreset;
  });
  const pr = (p.pooledRes ?? {}) as Record<string, unknown>;
  for (const key of ['epochs', 'batchSize', 'cycles', 'bestAverage', 'trainCopies', 'valCopies', 'oofPasses', 'testCopies', 'testPasses']) {
    num(pr[key], `${where}.pooledRes.${key}`, 1, 100000, true);
  }
  for (const key of ['lr', 'weightDecay', 'maxGradNorm', 'tau', 'warmup']) num(pr[key], `${where}.pooledRes.${key}`, 0, 100);
  const sh = (p.shallow ?? {}) as Record<string, unknown>;
  num(sh.batchSize, `${where}.shallow.batchSize`, 1, 4096, true);
  if (pr.minSteps !== undefined) num(pr.minSteps, `${where}.pooledRes.minSteps`, 0, 1e7, true);
  if (pr.bag !== undefined) num(pr.bag, `${where}.pooledRes.bag`, 1, 16, true);
  if (pr.inputDropout !== undefined) num(pr.inputDropout, `${where}.pooledRes.inputDropout`, 0, 0.95);
  if (pr.zscore !== undefined && typeof pr.zscore !== 'boolean') fail(`${where}.pooledRes.zscore`, `expected true or false, got ${JSON.stringify(pr.zscore)}`);
  if (sh.minSteps !== undefined) num(sh.minSteps, `${where}.shallow.minSteps`, 0, 1e7, true);
  if (sh.bag !== undefined) num(sh.bag, `${where}.shallow.bag`, 1, 16, true);
  const wmin = (sh.weighted as Record<string, unknown> | undefined)?.minSteps;
  if (wmin !== undefined) num(wmin, `${where}.shallow.weighted.minSteps`, 0, 1e7, true);
  num(sh.passes, `${where}.shallow.passes`, 1, 1000, true);
  num(sh.weightDecay, `${where}.shallow.weightDecay`, 0, 1);
  const steps = (v: unknown, w: string): void => {
    if (!Array.isArray(v) || v.length === 0) fail(w, 'expected a list of [learning rate, epochs]');
    v.forEach((st: unknown, i) => {
      if (!Array.isArray(st) || st.length !== 2) fail(`${w}[${i}]`, 'expected [learning rate, epochs]');
      num(st[0], `${w}[${i}][0]`, 0, 10);
      num(st[1], `${w}[${i}][1]`, 1, 1000, true);
    });
  };
  steps(sh.lrSteps, `${where}.shallow.lrSteps`);
  steps((sh.weighted as Record<string, unknown> | undefined)?.lrSteps, `${where}.shallow.weighted.lrSteps`);
  if (!Array.isArray(sh.betas) || sh.betas.length !== 2) fail(`${where}.shallow.betas`, 'expected [beta1, beta2]');
  if (p.trainWorkers !== undefined) num(p.trainWorkers, `${where}.trainWorkers`, 1, 256, true);
  return {
    name: p.name as string, version: p.version as number, description: String(p.description ?? ''), folds, base,
    pooledRes: pr as unknown as PooledResPreset, shallow: sh as unknown as ShallowPreset,
    ...(p.trainWorkers !== undefined ? { trainWorkers: p.trainWorkers as number } : {}),
  };
}

/** A preset by name (tiny, rsna) or a path to a preset JSON file. */
export function loadPreset(nameOrPath: string): Preset {
  // ICH_PRESET_DIR: where the named presets are read from (tests give tiny data a preset without step floors).
  const dir = process.env.ICH_PRESET_DIR || PRESET_DIR;
  const file = (PRESET_NAMES as readonly string[]).includes(nameOrPath) ? path.join(dir, `${nameOrPath}.json`) : path.resolve(nameOrPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`preset ${file}: ${errorMessage(err)}`);
  }
  return validatePreset(raw, file);
}

/** The folds a model trains on: its own, or the preset's; `override` (the --folds flag) wins. */
export function foldsOf(preset: Preset, model: BaseModelPreset, override?: FoldSpec): FoldSpec {
  return override ?? model.folds ?? preset.folds;
}
