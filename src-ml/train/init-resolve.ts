// Where a base CNN starts, decided from the preset model, the flags and the imported bodies' meta.json files
// only (base-init.ts has the whole story and copies the weights in): no tfjs here, so the engine host's
// training preflight can refuse a request without loading the model code.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../store/workspace.ts';
import { BODY_WEIGHTS_KIND, type BodyWeightsMeta } from '../weights/body-meta.ts';
import type { BaseModelPreset } from './presets.ts';

/** The folder of imported bodies a preset's `init` names by default, relative to the workspace. */
export const DEFAULT_INIT_DIR = 'weights';

export interface InitFlags {
  /** `--init <dir>`: an `ich weights import` folder, or a folder of them named by arch. */
  initDir?: string;
  /** `--from-scratch`: random init, with the preset's from-scratch rates where it has them. */
  fromScratch?: boolean;
}

/** How a run's weights start; recorded in the run's config and the model's meta.json. */
export type BaseInit =
  | { kind: 'imported'; dir: string; arch: string; sha256: string | null; source: string | null }
  | { kind: 'model'; from: string }
  | { kind: 'random'; rates: 'preset' | 'from-scratch' };

export interface ResolvedInit {
  /** The model to train: the preset's, with its from-scratch rates under --from-scratch. */
  model: BaseModelPreset;
  init: BaseInit;
}

function readMeta(dir: string): BodyWeightsMeta {
  const file = path.join(dir, 'meta.json');
  let meta: BodyWeightsMeta;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as BodyWeightsMeta;
  } catch (err) {
    throw new Error(`${file}: not readable as JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (meta?.kind !== BODY_WEIGHTS_KIND) throw new Error(`${dir} is not an imported body (meta.json kind ${JSON.stringify(meta?.kind)}, expected "${BODY_WEIGHTS_KIND}"; write one with ich weights import)`);
  return meta;
}

/**
 * The imported body for `arch` under `dir`: `dir` itself when it holds one (its arch must be `arch`), else
 * `dir/<arch>`; null when neither exists. Throws one line for an imported body of another arch.
 */
export function findImportedBody(dir: string, arch: string, modelName: string): { dir: string; meta: BodyWeightsMeta } | null {
  const candidates = [dir, path.join(dir, arch)];
  for (const d of candidates) {
    if (!existsSync(path.join(d, 'meta.json'))) continue;
    const meta = readMeta(d);
    if (meta.arch !== arch) {
      throw new Error(`${d} holds ${meta.arch} weights, but model ${modelName} is ${arch}: import the ${arch} checkpoint (ich weights import <checkpoint> --arch ${arch} --out ${path.join(dir, arch)})`);
    }
    return { dir: d, meta };
  }
  return null;
}

const importHint = (dir: string, arch: string): string => `ich weights import <checkpoint> --arch ${arch} --out ${path.join(dir, arch)}`;

/**
 * The model a run trains and where its weights start, from the preset model and the flags. Reads only
 * meta.json files, so every flag error shows before a backend starts. Throws one line when a model
 * with an ImageNet `init` has no weights and --from-scratch is not given.
 */
export function resolveBaseInit(ws: Workspace, presetName: string, m: BaseModelPreset, flags: InitFlags = {}, via: 'cli' | 'app' = 'cli'): ResolvedInit {
  // The remedies name what the user can set where they are: the CLI's flags, or the training panel's fields.
  const [initWord, scratchWord] = via === 'cli' ? ['--init', '--from-scratch'] : ['Init weights folder', 'From scratch'];
  if (flags.initDir && flags.fromScratch) throw new Error(`${initWord} and ${scratchWord} exclude each other: give one`);
  if (m.initFrom) return { model: m, init: { kind: 'model', from: m.initFrom } };
  if (flags.fromScratch) {
    const model = m.init ? { ...m, optimizer: { ...m.optimizer, lr: { ...m.init.fromScratch.lr } } } : m;
    return { model, init: { kind: 'random', rates: m.init ? 'from-scratch' : 'preset' } };
  }
  const explicit = flags.initDir ? path.resolve(flags.initDir) : undefined;
  const dir = explicit ?? (m.init ? path.resolve(ws.dir, m.init.dir ?? DEFAULT_INIT_DIR) : undefined);
  if (!dir) return { model: m, init: { kind: 'random', rates: 'preset' } };
  const found = findImportedBody(dir, m.arch, m.name);
  if (!found) {
    if (explicit) throw new Error(`${initWord} ${explicit}: no imported ${m.arch} weights (neither ${path.join(explicit, 'meta.json')} nor ${path.join(explicit, m.arch, 'meta.json')}); write them with ${importHint(explicit, m.arch)}`);
    throw new Error(`preset ${presetName} model ${m.name} fine-tunes ImageNet weights (the seed's rates would leave a random body where it starts) and ${path.join(dir, m.arch)} holds none: `
      + `import them (${importHint(dir, m.arch)}), ${via === 'cli' ? 'point --init at a folder of imported weights, or give --from-scratch' : 'set the Init weights folder to a folder of imported weights, or tick From scratch'} to train from random init with the preset's from-scratch rates`);
  }
  return {
    model: m,
    init: { kind: 'imported', dir: found.dir, arch: found.meta.arch, sha256: found.meta.source?.sha256 ?? null, source: found.meta.source?.file ?? null },
  };
}

/** One line for the log. */
export function describeInit(init: BaseInit): string {
  if (init.kind === 'imported') return `starts from the imported ${init.arch} body in ${init.dir}`;
  if (init.kind === 'model') return `starts from ${init.from}`;
  return init.rates === 'from-scratch' ? "starts from random init (--from-scratch: the preset's from-scratch learning rates)" : 'starts from random init';
}
