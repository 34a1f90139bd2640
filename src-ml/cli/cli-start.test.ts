// `ich --help` and every `ich <command> --help` must start without the engine: the command modules are
// imported per command (lazy-action.ts), so TensorFlow.js, the SQLite store and the model code stay unloaded.
// A module hook preloaded into the CLI records every module it resolves; the control case proves it sees
// TensorFlow.js when a command does load it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { IMPORT_ARCH_NAMES } from '../weights/arch-names.ts';
import { IMPORT_ARCHS } from '../weights/archs.ts';

const dir = tempDir('ich-cli-start-');
afterAll(() => dir.cleanup());

const HOOK = path.join(dir.dir, 'record-modules.mjs');
writeFileSync(HOOK, `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
const log = process.env.ICH_TEST_MODULE_LOG;
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    appendFileSync(log, r.url + '\\n');
    return r;
  },
});
`);

/** Runs the CLI with the hook; returns its exit status and every module URL it resolved. */
function loadedBy(args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const log = path.join(dir.dir, `modules-${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', HOOK, path.join(REPO_ROOT, 'bin', 'ich.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, ICH_TEST_MODULE_LOG: log },
  });
  return { status: r.status, stdout: r.stdout, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** Modules that only a command's action may load. */
const HEAVY = [/@tensorflow\//, /^node:sqlite$/, /\/src-ml\/(nn|models|train|predict|store|dicom|synth|host)\//];

const HELPS = [
  ['--help'], ['scan', '--help'], ['predict', '--help'], ['pipeline', '--help'], ['train', 'base', '--help'], ['serve', '--help'],
  ['demo', 'install', '--help'], ['models', 'list', '--help'], ['weights', 'import', '--help'], ['bench', 'train', '--help'],
];

describe('ich start', () => {
  it.each(HELPS.map((args) => ({ line: args.join(' '), args })))('ich $line loads no engine module', ({ args }) => {
    const r = loadedBy(args);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ich/);
    // The hook saw the CLI's own modules, so an empty list cannot pass for a clean one.
    expect(r.modules.some((m) => m.includes('/commander/'))).toBe(true);
    for (const heavy of HEAVY) expect(r.modules.filter((m) => heavy.test(m))).toEqual([]);
  });

  it('the hook does see TensorFlow.js when a command loads it', () => {
    const r = loadedBy(['weights', 'forward', path.join(dir.dir, 'missing'), '--input', 'x.npy', '--out', 'y.npy']);
    expect(r.status).toBe(1);
    expect(r.modules.some((m) => /@tensorflow\/tfjs/.test(m))).toBe(true);
  });

  it('the --arch help names exactly the archs ich weights import reads', () => {
    expect(Object.keys(IMPORT_ARCHS)).toEqual([...IMPORT_ARCH_NAMES]);
  });
});
