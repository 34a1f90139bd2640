// Builds the engine bundle that bundle-runtime.js runs (`npm ci` runs this as `prepare`; `ich` starts it in the
// background when a source changed): esbuild, ESM with code splitting, so each command's module and its imports
// (TensorFlow.js above all) still load only when that command runs; packages stay external. Entries: the CLI,
// the engine process, and every module that code names by URL (`new URL('./x.ts', import.meta.url)`: worker
// modules, loss modules), so those load from the bundle too.
//   node src-ml/bundle/build-bundle.js               build, print one line (never fails the install)
//   node src-ml/bundle/build-bundle.js --background  the same, silent; a failure is written to failed.json
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLE_ROOT, MANIFEST, REPO_ROOT } from './bundle-runtime.js';

/** Modules run by name rather than imported: the CLI and the desktop app's engine process. */
export const MAIN_ENTRIES = ['src-ml/cli/main.ts', 'src-ml/host/engine-process.ts'];
/** Files besides the bundled sources whose change must invalidate a build. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'src-ml/bundle/build-bundle.js'];
/** Old builds are deleted once this many newer ones exist and they are older than KEEP_MS (a long-running process may still load chunks from its build). */
const KEEP_BUILDS = 3;
const KEEP_MS = 3_600_000;

/** File mtimes can trail the clock (coarse kernel clock, 1-2 s resolution on some file systems): an input this close to the build's start counts as changed during it. */
const MTIME_SLACK_MS = 2000;

const URL_MODULE = /new URL\(\s*'(\.{1,2}\/[^']+\.ts)'\s*,\s*import\.meta\.url\s*\)/g;

function sourceFiles(dir, repo, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, repo, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** MAIN_ENTRIES and every existing .ts module that a non-test source of src-ml names by URL, repo-relative. */
export function discoverEntries(repo = REPO_ROOT) {
  const found = new Set(MAIN_ENTRIES.filter((e) => statSync(path.join(repo, e), { throwIfNoEntry: false })));
  for (const file of sourceFiles(path.join(repo, 'src-ml'), repo)) {
    for (const m of readFileSync(file, 'utf8').matchAll(URL_MODULE)) {
      const target = path.resolve(path.dirname(file), m[1]);
      if (statSync(target, { throwIfNoEntry: false })?.isFile()) found.add(path.relative(repo, target).split(path.sep).join('/'));
    }
  }
  return [...found].sort();
}

/** Output name of an entry: flat (every output in one folder, so import.meta.url means the same in each). */
export function entryName(source) {
  return source.replace(/\.ts$/, '').replaceAll('/', '__');
}

/**
 * esbuild plugin: `import.meta.url` in a source becomes that source's own URL (computed from the output's),
 * so paths next to the source (presets, worker entries, the repository root, createRequire) resolve as before.
 */
function sourceUrlPlugin(outdir) {
  return {
    name: 'ich-source-url',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (args.path.split(path.sep).includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = path.relative(outdir, args.path).split(path.sep).join('/');
        return {
          contents: text.replace(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
          loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
        };
      });
    },
  };
}

/**
 * esbuild plugin: a static import of a package whose module, for `import` as for `require`, is the same CommonJS
 * file becomes a require() of it. Same file, same instance, same exports; but Node's ESM import of CommonJS first
 * scans the whole file for its export names (cjs-module-lexer), which for @tensorflow/tfjs and its dependencies
 * costs about 0.15 s of CPU per start (ESM import 0.25 s, require 0.10 s, measured). Packages with an ES module
 * build, and dynamic imports, are left as they are.
 */
function requireCommonJsPlugin(repo) {
  const requireFrom = createRequire(path.join(repo, 'package.json'));
  const parent = pathToFileURL(path.join(repo, 'package.json')).href;
  const verdict = new Map();
  const sameCommonJs = (spec) => {
    if (!verdict.has(spec)) {
      let ok = false;
      try {
        const required = requireFrom.resolve(spec);
        const imported = fileURLToPath(import.meta.resolve(spec, parent));
        ok = required === imported && (required.endsWith('.cjs') || (required.endsWith('.js') && packageType(required) !== 'module'));
      } catch {
        ok = false; // not resolvable one way or the other: leave the import to Node
      }
      verdict.set(spec, ok);
    }
    return verdict.get(spec);
  };
  return {
    name: 'ich-require-commonjs',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.namespace === 'ich-require') return { path: args.path, external: true };
        if (args.kind !== 'import-statement' || args.path.startsWith('node:') || !sameCommonJs(args.path)) return undefined;
        return { path: args.path, namespace: 'ich-require' };
      });
      b.onLoad({ filter: /.*/, namespace: 'ich-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js', resolveDir: repo }));
    },
  };
}

/** "type" of the package.json nearest above a file. */
function packageType(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type ?? 'commonjs';
    } catch {
      if (path.dirname(dir) === dir) return 'commonjs';
    }
  }
}

/**
 * Builds into <root>/b-<time>-<pid>/ and publishes it in <root>/current.json, unless a source changed while
 * it was built (then the build is dropped: the next `ich` start asks again).
 * @returns {Promise<{ published: boolean, dir: string, modules: number, ms: number, reason?: string }>}
 */
export async function buildBundle({ repo = REPO_ROOT, root = BUNDLE_ROOT, entries = discoverEntries(repo) } = {}) {
  const { build } = await import('esbuild');
  const started = Date.now();
  const name = `b-${started}-${process.pid}`;
  const outdir = path.join(root, name);
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: repo,
    entryPoints: entries.map((e) => ({ in: e, out: entryName(e) })),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    keepNames: true, // as tsx does: class and function names stay what the sources say
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    // The require() that requireCommonJsPlugin's modules call: ESM has none of its own.
    banner: { js: "import { createRequire as __ichCreateRequire } from 'node:module'; const require = __ichCreateRequire(import.meta.url);" },
    plugins: [sourceUrlPlugin(outdir), requireCommonJsPlugin(repo)],
  });
  const files = [...new Set([...Object.keys(result.metafile.inputs), ...BUILD_INPUTS])].sort();
  const inputs = [];
  for (const file of files) {
    const st = statSync(path.join(repo, file), { throwIfNoEntry: false });
    if (!st) continue;
    if (st.mtimeMs >= started - MTIME_SLACK_MS) {
      rmSync(outdir, { recursive: true, force: true });
      return { published: false, dir: outdir, modules: files.length, ms: Date.now() - started, reason: `${file} changed during the build` };
    }
    inputs.push([file, st.size, st.mtimeMs]);
  }
  const manifest = { format: 1, dir: name, builtAt: new Date(started).toISOString(), entries: Object.fromEntries(entries.map((e) => [e, `${entryName(e)}.mjs`])), inputs };
  // The build's own copy is what worker threads read (bundle-runtime.js parentBundle); current.json publishes it.
  writeFileSync(path.join(outdir, MANIFEST), JSON.stringify(manifest));
  const tmp = path.join(root, `${MANIFEST}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest));
  renameSync(tmp, path.join(root, MANIFEST));
  removeOldBuilds(root, name);
  return { published: true, dir: outdir, modules: inputs.length, ms: Date.now() - started };
}

function removeOldBuilds(root, current) {
  const builds = readdirSync(root).filter((n) => n.startsWith('b-') && n !== current)
    .map((n) => ({ n, t: statSync(path.join(root, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n, t } of builds.slice(KEEP_BUILDS - 1)) {
    if (Date.now() - t > KEEP_MS) rmSync(path.join(root, n), { recursive: true, force: true });
  }
}

async function cli(argv) {
  const background = argv.includes('--background');
  const opt = (flag, fallback) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : fallback);
  const root = opt('--root', BUNDLE_ROOT);
  const repo = opt('--repo', REPO_ROOT);
  try {
    const r = await buildBundle({ repo, root });
    if (r.published) rmSync(path.join(root, 'failed.json'), { force: true });
    if (!background) {
      process.stdout.write(r.published
        ? `engine bundle: ${r.modules} files in ${r.ms} ms -> ${path.relative(repo, r.dir)}\n`
        : `engine bundle: not published (${r.reason}); ich runs the sources through tsx until the next build\n`);
    }
  } catch (err) {
    const first = err?.errors?.[0]; // esbuild's: { text, location: { file, line } }
    const reason = first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}` : err instanceof Error ? err.message.split('\n')[0] : String(err);
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'failed.json'), JSON.stringify({ at: new Date().toISOString(), reason }));
    if (!background) process.stdout.write(`engine bundle: not built (${reason}); ich runs the sources through tsx\n`);
  } finally {
    if (background) rmSync(path.join(root, 'build.lock'), { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli(process.argv.slice(2));
