// `ich --help` and every `ich <command> --help` must start without the engine: the command modules are
// imported per command (lazy-action.ts), so TensorFlow.js, the SQLite store and the model code stay unloaded,
// both when the sources run through tsx and from the engine bundle (src-ml/bundle, built here into a temporary
// folder). A module hook preloaded into the CLI records every module it resolves; the control case proves it
// sees TensorFlow.js when a command does load it.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../bundle/build-bundle.js';
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

// bin/ich.js's bundle branch, on a build of this checkout in a folder of its own (so the test does not depend on
// whether node_modules/.cache holds a fresh build), inside node_modules so that the packages resolve.
const BUNDLE_ROOT = path.join(REPO_ROOT, 'node_modules', '.cache', `ich-engine-test-${process.pid}`);
afterAll(() => rmSync(BUNDLE_ROOT, { recursive: true, force: true }));
const BUNDLED_ICH = path.join(dir.dir, 'ich-bundled.mjs');
writeFileSync(BUNDLED_ICH, `import { openBundle } from ${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'src-ml/bundle/bundle-runtime.js')).href)};
const bundle = openBundle({ root: ${JSON.stringify(BUNDLE_ROOT)} });
if (!bundle) throw new Error('the test build is not fresh');
bundle.install();
const { main } = await import(bundle.entryUrl('src-ml/cli/main.ts'));
process.exitCode = await main(process.argv.slice(2));
`);
let built: Awaited<ReturnType<typeof buildBundle>> | undefined;
beforeAll(async () => {
  // A source edited during the build drops it (build-bundle.js); in a working tree under edit, try again.
  for (let attempt = 0; attempt < 3 && !built?.published; attempt++) {
    if (attempt) await new Promise((r) => setTimeout(r, 2500));
    built = await buildBundle({ root: BUNDLE_ROOT });
  }
}, 120_000);

type Mode = 'tsx' | 'bundle';

/** Runs the CLI with the hook; returns its exit status and every module URL it resolved. */
function loadedBy(args: string[], mode: Mode = 'tsx'): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const log = path.join(dir.dir, `modules-${mode}-${args.join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`);
  writeFileSync(log, '');
  const script = mode === 'tsx' ? path.join(REPO_ROOT, 'bin', 'ich.js') : BUNDLED_ICH;
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', HOOK, script, ...args], {
    encoding: 'utf8', env: { ...process.env, ICH_TEST_MODULE_LOG: log, ICH_NO_BUNDLE: mode === 'tsx' ? '1' : '0' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** Modules that only a command's action may load. */
const HEAVY = [/@tensorflow\//, /^node:sqlite$/, /\/src-ml\/(nn|models|train|predict|store|dicom|synth|host)\//];

const HELPS = [
  ['--help'], ['scan', '--help'], ['predict', '--help'], ['pipeline', '--help'], ['train', 'base', '--help'], ['serve', '--help'],
  ['demo', 'install', '--help'], ['models', 'list', '--help'], ['weights', 'import', '--help'], ['bench', 'train', '--help'],
];

describe('ich start', () => {
  const cases = (['tsx', 'bundle'] as const).flatMap((mode) => HELPS.map((args) => ({ mode, line: args.join(' '), args })));
  it.each(cases)('$mode: ich $line loads no engine module', ({ mode, args }) => {
    expect(built?.published).toBe(true);
    const r = loadedBy(args, mode);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ich/);
    // The hook saw the CLI's own modules (from the bundle when bundled), so an empty list cannot pass for a clean one.
    expect(r.modules.some((m) => m.includes('/commander/'))).toBe(true);
    expect(r.modules.some((m) => m.startsWith(pathToFileURL(built!.dir).href))).toBe(mode === 'bundle');
    for (const heavy of HEAVY) expect(r.modules.filter((m) => heavy.test(m))).toEqual([]);
  });

  it.each(['tsx', 'bundle'] as const)('%s: the hook does see TensorFlow.js when a command loads it', (mode) => {
    const r = loadedBy(['weights', 'forward', path.join(dir.dir, 'missing'), '--input', 'x.npy', '--out', 'y.npy'], mode);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ich: /m);
    expect(r.modules.some((m) => /@tensorflow\/tfjs/.test(m))).toBe(true);
  });

  it('the --arch help names exactly the archs ich weights import reads', () => {
    expect(Object.keys(IMPORT_ARCHS)).toEqual([...IMPORT_ARCH_NAMES]);
  });
});
