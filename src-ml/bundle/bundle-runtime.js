// The engine bundle at run time. `ich` (bin/ich.js) and the desktop app's engine process run the engine from an
// esbuild bundle of its TypeScript (built by build-bundle.js when `npm ci` runs `prepare`, and again in the
// background whenever a source changed), because loading the sources through tsx costs about 0.3 s of CPU per
// start on top of the imports themselves. The bundle is used only while every file it was built from still has
// the size and mtime recorded in its manifest; otherwise the caller runs the sources through tsx, as before.
// Plain JavaScript with Node built-ins only: it runs before anything can compile TypeScript.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import module from 'node:module';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Builds live in <root>/b-<time>-<pid>/; <root>/current.json names the published one. */
export const BUNDLE_ROOT = path.join(REPO_ROOT, 'node_modules', '.cache', 'ich-engine');
export const MANIFEST = 'current.json';
export const BUILD_SCRIPT = fileURLToPath(new URL('./build-bundle.js', import.meta.url));
/** Set by a process running from the bundle (its build folder), for the worker threads it starts. */
export const BUNDLE_ENV = 'ICH_ENGINE_BUNDLE';
/** ICH_NO_BUNDLE=1: always run the sources through tsx (and never start a rebuild). */
export const NO_BUNDLE_ENV = 'ICH_NO_BUNDLE';

const LOCK = 'build.lock';
const FAILED = 'failed.json';
/** A rebuild that has not finished by then is taken for dead. */
const LOCK_STALE_MS = 120_000;
/** After a failed build (say, a source being edited does not parse), no new try for this long. */
const RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * The published manifest, if every input still matches its recorded size and mtime; otherwise null.
 * @returns {{ format: 1, dir: string, entries: Record<string, string>, inputs: [string, number, number][] } | null}
 */
export function freshManifest(root = BUNDLE_ROOT, repo = REPO_ROOT) {
  let m;
  try {
    m = JSON.parse(readFileSync(path.join(root, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
  if (m?.format !== 1 || typeof m.dir !== 'string' || !Array.isArray(m.inputs) || typeof m.entries !== 'object') return null;
  for (const [file, size, mtimeMs] of m.inputs) {
    const st = statSync(path.join(repo, file), { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtimeMs) return null;
  }
  return m;
}

/**
 * The bundle this process can run from, or null. `entryUrl(source)` gives the bundled module of an entry
 * (repo-relative source path); `install()` makes imports of those sources' file URLs (worker modules, loss
 * modules named by URL) load the bundled module instead, so no TypeScript is loaded beside the bundle.
 */
export function openBundle({ root = BUNDLE_ROOT, repo = REPO_ROOT, rebuild = false } = {}) {
  delete process.env[BUNDLE_ENV]; // inherited from a parent process: this one decides for itself
  if (process.env[NO_BUNDLE_ENV] === '1' || typeof module.registerHooks !== 'function') return null;
  const m = freshManifest(root, repo);
  if (!m) {
    if (rebuild) requestRebuild(root, repo);
    return null;
  }
  return bundleOf(path.join(root, m.dir), m, repo);
}

/**
 * The build a worker thread's parent runs from (BUNDLE_ENV), read from the build's own copy of its manifest,
 * so main thread and workers run the same build even if a newer one was published in between; null if none.
 */
export function parentBundle(repo = REPO_ROOT) {
  const dir = process.env[BUNDLE_ENV];
  if (!dir || typeof module.registerHooks !== 'function') return null;
  try {
    return bundleOf(dir, JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')), repo);
  } catch {
    return null;
  }
}

function bundleOf(dir, m, repo) {
  const bySource = new Map(Object.entries(m.entries).map(([source, out]) => [pathToFileURL(path.join(repo, source)).href, pathToFileURL(path.join(dir, out)).href]));
  return {
    dir,
    /** Whether the module at this file URL is a bundled entry. */
    has(url) {
      return bySource.has(url);
    },
    entryUrl(source) {
      const out = m.entries[source];
      if (!out) throw new Error(`${path.join(dir, MANIFEST)}: no bundled entry for ${source}`);
      return pathToFileURL(path.join(dir, out)).href;
    },
    install() {
      process.env[BUNDLE_ENV] = dir;
      // V8's compiled code of the bundle and the packages it loads (TensorFlow.js is megabytes of JavaScript), kept
      // inside the build so it goes with it: about 0.07 s less CPU per start of a command that loads tfjs.
      module.enableCompileCache?.(path.join(dir, '.compile-cache'));
      module.registerHooks({
        resolve(specifier, context, next) {
          const r = next(specifier, context);
          const bundled = bySource.get(r.url);
          return bundled ? { ...r, url: bundled, format: 'module' } : r;
        },
      });
    },
  };
}

/** Starts a detached rebuild unless one is running or one failed a moment ago; never throws. */
export function requestRebuild(root = BUNDLE_ROOT, repo = REPO_ROOT) {
  // Inside Electron a Node child would need ELECTRON_RUN_AS_NODE (forbidden by the packaged app's fuses, and its
  // app.asar is read-only anyway): the app runs from the sources through tsx instead.
  if (process.versions.electron) return false;
  try {
    const failed = statSync(path.join(root, FAILED), { throwIfNoEntry: false });
    if (failed && Date.now() - failed.mtimeMs < RETRY_AFTER_FAILURE_MS) return false;
    const lock = path.join(root, LOCK);
    const held = statSync(lock, { throwIfNoEntry: false });
    if (held && Date.now() - held.mtimeMs < LOCK_STALE_MS) return false;
    if (held) rmSync(lock, { force: true });
    mkdirSync(root, { recursive: true });
    closeSync(openSync(lock, 'wx')); // only one of several processes starting at once gets it
    const child = spawn(process.execPath, [BUILD_SCRIPT, '--background', '--root', root, '--repo', repo], {
      cwd: repo, detached: true, stdio: 'ignore', env: process.env,
    });
    child.on('error', () => rmSync(lock, { force: true }));
    child.unref();
    return true;
  } catch {
    return false; // no cache folder yet, read-only install, ...: the sources run through tsx
  }
}
