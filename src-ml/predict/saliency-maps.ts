/**
 * The engine's saliency maps (EngineClient.getSaliency): the base CNNs of a model version (every fold of every
 * base family in its snapshot), loaded once per version and kept while it is the one asked for, and the maps
 * they make (saliency.ts) kept in memory per (version, image, label), the least recently used dropped past
 * `cacheSize`. Calls run one at a time, so a version change never frees nets a running call still uses.
 */
import path from 'node:path';
import { parseModelId } from '../base/model-id.ts';
import { loadPreparedSliceShaped, type SliceRef } from '../data/slice-images.ts';
import type { BaseCnnArch } from '../models/base-cnn-presets.ts';
import { initBackend } from '../nn/backend.ts';
import { loadModel } from '../nn/model-io.ts';
import { disposeSaliencyNet, mapToImageGrid, saliencyNetFrom, sliceSaliency, type SaliencyMethod, type SaliencyNet } from './saliency.ts';

/** What a version is to this module: its name and the models of its snapshot. */
export interface SaliencyVersion {
  version: string;
  /** Model ids in the snapshot. */
  models: readonly string[];
  /** Absolute folder of the snapshot's models (<modelsDir>/<id>/model.json ...). */
  modelsDir: string;
}

export interface ComputedSaliency {
  version: string;
  method: SaliencyMethod;
  /** The base CNNs averaged, by model id. */
  models: string[];
  /** Over the stored image's whole pixel grid: width / height = columns / rows. */
  width: number;
  height: number;
  /** Row-major width x height, 0..1. */
  values: Float32Array;
  /** Milliseconds the map took to compute (0 for a cached one: `cached`). */
  ms: number;
  cached: boolean;
}

export interface SaliencyMapsOptions {
  /** Maps kept in memory (default 256: at most 128 x 128 floats each). */
  cacheSize?: number;
  /** Choose the TensorFlow.js backend on first use (default true; tests that chose one pass false). */
  initBackend?: boolean;
  /** Where the backend line goes (default stderr). */
  log?: (line: string) => void;
  /** Tests: force a method instead of the choice by feature-map size. */
  method?: SaliencyMethod;
}

interface BaseMeta {
  stage?: string;
  archConfig?: BaseCnnArch;
  imageSize?: number;
}

/** Full-head members (pooled-res, shallow, shallow-weighted) are not image models. */
const FULL_HEAD = /^(pooled-res|shallow-weighted|shallow)\./;

export class SaliencyMaps {
  private nets: { version: string; nets: SaliencyNet[] } | null = null;
  private readonly cache = new Map<string, Omit<ComputedSaliency, 'cached'>>();
  private queue: Promise<unknown> = Promise.resolve();
  private backendReady: Promise<unknown> | null = null;
  private closed = false;

  constructor(private readonly options: SaliencyMapsOptions = {}) {}

  /** The map of `label` (index into the six labels) on one slice, from `version`'s base CNNs. */
  compute(version: SaliencyVersion, ref: SliceRef, label: number): Promise<ComputedSaliency> {
    const run = this.queue.then(() => this.computeNow(version, ref, label));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frees the nets and the cache; later calls load again. */
  dispose(): Promise<void> {
    const done = this.queue.then(() => {
      this.dropNets();
      this.cache.clear();
    });
    this.queue = done;
    return done;
  }

  /** Disposes and refuses further calls (the engine is closing). */
  async close(): Promise<void> {
    this.closed = true;
    await this.dispose();
  }

  private async computeNow(version: SaliencyVersion, ref: SliceRef, label: number): Promise<ComputedSaliency> {
    if (this.closed) throw new Error('the engine is closing');
    const key = `${version.version}\u0000${ref.imageId}\u0000${label}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return { ...hit, ms: 0, cached: true };
    }
    const t0 = performance.now();
    const nets = await this.netsOf(version);
    let shape: { rows: number; columns: number } | null = null;
    const images = new Map<number, Float32Array>();
    const imageOf = async (size: number) => {
      let img = images.get(size);
      if (!img) {
        const loaded = await loadPreparedSliceShaped(ref, size);
        shape = { rows: loaded.rows, columns: loaded.columns };
        images.set(size, (img = loaded.image));
      }
      return img;
    };
    const { map, size, method } = await sliceSaliency(nets, imageOf, label, this.options.method);
    const { rows, columns } = shape ?? { rows: size, columns: size };
    const grid = mapToImageGrid(map, size, rows, columns);
    const out = { version: version.version, method, models: nets.map((n) => n.id), ...grid, ms: performance.now() - t0 };
    this.cache.set(key, out);
    while (this.cache.size > (this.options.cacheSize ?? 256)) this.cache.delete(this.cache.keys().next().value!);
    return { ...out, cached: false };
  }

  private async netsOf(version: SaliencyVersion): Promise<SaliencyNet[]> {
    if (this.nets?.version === version.version) return this.nets.nets;
    this.dropNets();
    if (this.options.initBackend !== false) {
      this.backendReady ??= initBackend({ purpose: 'infer' }, { log: this.options.log ?? ((line) => process.stderr.write(`${line}\n`)) });
      await this.backendReady;
    }
    const nets: SaliencyNet[] = [];
    try {
      const ids = version.models.filter((id) => parseModelId(id) && !FULL_HEAD.test(id)).sort();
      for (const id of ids) {
        const { model, meta } = await loadModel<BaseMeta>(path.join(version.modelsDir, id));
        try {
          if (meta.stage !== 'base' || !meta.archConfig || !meta.imageSize) continue;
          nets.push(saliencyNetFrom(id, meta.archConfig, meta.imageSize, model.getWeights()));
        } finally {
          model.dispose();
        }
      }
    } catch (err) {
      for (const n of nets) disposeSaliencyNet(n);
      throw err;
    }
    if (nets.length === 0) throw new Error(`model version ${version.version} has no base CNN to compute a saliency map with`);
    this.nets = { version: version.version, nets };
    return nets;
  }

  private dropNets(): void {
    for (const n of this.nets?.nets ?? []) disposeSaliencyNet(n);
    this.nets = null;
  }
}

