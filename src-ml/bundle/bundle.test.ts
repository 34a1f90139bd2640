// The engine bundle on a small stand-in repository: what a build publishes, when it counts as fresh, that a
// bundled module sees its source's import.meta.url and keeps its class names, that importing a bundled entry's
// source URL gives the bundled module (one instance, no TypeScript loaded beside it), and background rebuilds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/fixtures.ts';
import { buildBundle, discoverEntries, entryName } from './build-bundle.js';
import { BUNDLE_ENV, freshManifest, openBundle, parentBundle, requestRebuild } from './bundle-runtime.js';

const tmp = tempDir('ich-bundle-');
afterAll(() => tmp.cleanup());
const RUNTIME = path.resolve(import.meta.dirname, 'bundle-runtime.js');
const BUILD_SCRIPT = path.resolve(import.meta.dirname, 'build-bundle.js');

/** Writes files into a new stand-in repository, dated a minute back (a build drops inputs newer than its start). */
function fixtureRepo(name: string, files: Record<string, string>): string {
  const repo = path.join(tmp.dir, name);
  const old = new Date(Date.now() - 60_000);
  for (const [rel, text] of Object.entries({ 'package.json': '{"type":"module"}\n', ...files })) {
    const p = path.join(repo, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    utimesSync(p, old, old);
  }
  return repo;
}

const A_TS = `import { hit } from './w.ts';
class Named {
  constructor(private readonly x: number) {}
  get value(): number { return this.x; }
}
export const here: string = import.meta.url;
export const workerUrl = new URL('./w.ts', import.meta.url).href;
export const named = Named.name;
export const value = new Named(7).value;
export const loadsAtImport = hit();
`;
const W_TS = `const g = globalThis as { wLoads?: number };
g.wLoads = (g.wLoads ?? 0) + 1;
export function hit(): number { return g.wLoads ?? 0; }
`;

/** Runs `code` (an ES module body) in a fresh Node process; returns its last stdout line parsed as JSON. */
function runNode(code: string, env: Record<string, string> = {}): unknown {
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('engine bundle', () => {
  const repo = fixtureRepo('repo', { 'src-ml/a.ts': A_TS, 'src-ml/w.ts': W_TS, 'src-ml/a.test.ts': "new URL('./nope.ts', import.meta.url);\n" });
  const root = path.join(tmp.dir, 'cache');
  const entries = ['src-ml/a.ts', ...discoverEntries(repo)];

  it('finds the modules named by URL (tests aside) as entries, with flat output names', () => {
    expect(discoverEntries(repo)).toEqual(['src-ml/w.ts']);
    expect(entryName('src-ml/store/scan-worker.ts')).toBe('src-ml__store__scan-worker');
  });

  it('publishes a build whose inputs are the bundled sources, fresh until one changes', async () => {
    const r = await buildBundle({ repo, root, entries });
    expect(r.published).toBe(true);
    const m = freshManifest(root, repo)!;
    expect(m).not.toBeNull();
    expect(m.inputs.map((i) => i[0])).toEqual(['package.json', 'src-ml/a.ts', 'src-ml/w.ts']);
    expect(m.entries).toEqual({ 'src-ml/a.ts': 'src-ml__a.mjs', 'src-ml/w.ts': 'src-ml__w.mjs' });
    // Worker threads read the build's own copy.
    expect(JSON.parse(readFileSync(path.join(root, m.dir, 'current.json'), 'utf8'))).toEqual(m);
  });

  it('runs the bundled module with its source URL and class names; the source URL of an entry imports the bundled one', () => {
    const out = runNode(`
      import { openBundle } from ${JSON.stringify(pathToFileURL(RUNTIME).href)};
      const b = openBundle({ root: ${JSON.stringify(root)}, repo: ${JSON.stringify(repo)} });
      b.install();
      const a = await import(b.entryUrl('src-ml/a.ts'));
      const w = await import(a.workerUrl);
      console.log(JSON.stringify({ here: a.here, named: a.named, value: a.value, loads: w.hit(), env: process.env[${JSON.stringify(BUNDLE_ENV)}] }));
    `);
    expect(out).toEqual({
      here: pathToFileURL(path.join(repo, 'src-ml/a.ts')).href,
      named: 'Named',
      value: 7,
      loads: 1, // w.ts evaluated once: the import of its source URL got the bundled module a.ts already loaded
      env: path.join(root, freshManifest(root, repo)!.dir),
    });
    // V8's code cache lives in the build (and goes with it).
    expect(existsSync(path.join(root, freshManifest(root, repo)!.dir, '.compile-cache'))).toBe(true);
  });

  it('a worker thread finds its parent\'s build through the environment', () => {
    const dir = path.join(root, freshManifest(root, repo)!.dir);
    const saved = process.env[BUNDLE_ENV];
    process.env[BUNDLE_ENV] = dir;
    try {
      const b = parentBundle(repo);
      expect(b?.dir).toBe(dir);
      expect(b?.has(pathToFileURL(path.join(repo, 'src-ml/w.ts')).href)).toBe(true);
      expect(b?.has(pathToFileURL(path.join(repo, 'src-ml/other.ts')).href)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env[BUNDLE_ENV];
      else process.env[BUNDLE_ENV] = saved;
    }
  });

  it('ICH_NO_BUNDLE=1 turns it off', () => {
    const out = runNode(`
      import { openBundle } from ${JSON.stringify(pathToFileURL(RUNTIME).href)};
      console.log(JSON.stringify(openBundle({ root: ${JSON.stringify(root)}, repo: ${JSON.stringify(repo)} })));
    `, { ICH_NO_BUNDLE: '1' });
    expect(out).toBeNull();
  });

  it('an edited source makes it stale; one background rebuild (not two at once) publishes a fresh one', async () => {
    const before = freshManifest(root, repo)!.dir;
    const old = new Date(Date.now() - 30_000);
    writeFileSync(path.join(repo, 'src-ml/w.ts'), W_TS + 'export const added = 1;\n');
    utimesSync(path.join(repo, 'src-ml/w.ts'), old, old);
    expect(freshManifest(root, repo)).toBeNull();
    expect(openBundle({ root, repo })).toBeNull();
    expect(requestRebuild(root, repo)).toBe(true);
    expect(requestRebuild(root, repo)).toBe(false); // the first one holds the lock
    const deadline = Date.now() + 60_000;
    while (!freshManifest(root, repo) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const after = freshManifest(root, repo)!;
    expect(after).not.toBeNull();
    expect(after.dir).not.toBe(before);
    // The background build found every entry again (discoverEntries) and released its lock.
    expect(Object.keys(after.entries)).toEqual(['src-ml/w.ts']);
    expect(existsSync(path.join(root, 'build.lock'))).toBe(false);
  });

  it('imports a CommonJS package through require() (no export scan), an ES module package as an import', async () => {
    const pkgRepo = fixtureRepo('packages', {
      'node_modules/cjs-pkg/package.json': '{"name":"cjs-pkg","main":"index.js"}\n',
      'node_modules/cjs-pkg/index.js': 'exports.answer = 42;\n',
      'node_modules/esm-pkg/package.json': '{"name":"esm-pkg","type":"module","exports":"./index.js"}\n',
      'node_modules/esm-pkg/index.js': 'export const greeting = "hi";\n',
      'src-ml/p.ts': "import * as c from 'cjs-pkg';\nimport { greeting } from 'esm-pkg';\nexport const both = `${c.answer} ${greeting}`;\n",
    });
    const proot = path.join(pkgRepo, 'node_modules', '.cache', 'ich-engine');
    const r = await buildBundle({ repo: pkgRepo, root: proot, entries: ['src-ml/p.ts'] });
    expect(r.published).toBe(true);
    const text = readFileSync(path.join(r.dir, 'src-ml__p.mjs'), 'utf8');
    expect(text).toMatch(/require\("cjs-pkg"\)/);
    expect(text).toMatch(/from "esm-pkg"/);
    const out = runNode(`
      import { openBundle } from ${JSON.stringify(pathToFileURL(RUNTIME).href)};
      const b = openBundle({ root: ${JSON.stringify(proot)}, repo: ${JSON.stringify(pkgRepo)} });
      console.log(JSON.stringify((await import(b.entryUrl('src-ml/p.ts'))).both));
    `);
    expect(out).toBe('42 hi');
  });

  it('a failed build leaves the sources in charge, says where it failed, and is not retried at once', () => {
    const broken = fixtureRepo('broken', { 'src-ml/host/engine-process.ts': 'export const x = ;\n' });
    const broot = path.join(tmp.dir, 'broken-cache');
    const r = spawnSync(process.execPath, [BUILD_SCRIPT, '--root', broot, '--repo', broken], { encoding: 'utf8' });
    expect(r.status).toBe(0); // never fails an install
    expect(r.stdout).toMatch(/^engine bundle: not built \(src-ml\/host\/engine-process\.ts:1: /);
    expect(JSON.parse(readFileSync(path.join(broot, 'failed.json'), 'utf8')).reason).toMatch(/engine-process\.ts:1/);
    expect(freshManifest(broot, broken)).toBeNull();
    expect(requestRebuild(broot, broken)).toBe(false);
  });
});
