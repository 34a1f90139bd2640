// Builds native/build/ich-blas.node (OpenBLAS products for the wasm backend's kernels; see ich-blas.c) with the
// system C compiler. Run by `npm install` / `npm ci` (package.json "prepare"): it never fails the install. With no
// compiler, no Node headers or no OpenBLAS it prints one line and the engine stays on its wasm kernels.
//   node native/build-native.js            build (skipped when the addon is newer than its sources), one line
//   node native/build-native.js --force    rebuild
// -march=x86-64-v2, never -march=native: the binary must run on any x86-64 machine of the last decade
// (OpenBLAS picks its own kernels for the CPU at run time).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ADDON = path.join(HERE, 'build', 'ich-blas.node');
const SOURCE = path.join(HERE, 'ich-blas.c');

/** Folders holding node_api.h: Node's own install (node-gyp layout), then the Debian package's. */
function nodeIncludeDirs() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return [path.join(prefix, 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].filter((d) => existsSync(path.join(d, 'node_api.h')));
}

/** Folders holding cblas.h of OpenBLAS (Debian puts it under the multiarch triplet, others under openblas/). */
function blasIncludeDirs() {
  return ['/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu', '/usr/include/openblas', '/usr/local/include', '/opt/homebrew/opt/openblas/include', '/usr/local/opt/openblas/include', '/usr/include']
    .filter((d) => existsSync(path.join(d, 'cblas.h')));
}

function archFlags() {
  if (process.arch === 'x64') return ['-march=x86-64-v2'];
  return [];
}

/** Compiles the addon; returns one line saying what happened. Throws nothing. */
export function buildNative({ force = false } = {}) {
  if (process.env.ICH_NATIVE === '0') return 'native kernels: not built (ICH_NATIVE=0)';
  if (process.platform === 'win32') return 'native kernels: not built on Windows (no OpenBLAS build set up); the engine uses its wasm kernels';
  try {
    if (!force && existsSync(ADDON) && statSync(ADDON).mtimeMs > Math.max(statSync(SOURCE).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs)) {
      return `native kernels: up to date (${path.relative(process.cwd(), ADDON)})`;
    }
    const nodeInc = nodeIncludeDirs();
    if (nodeInc.length === 0) return 'native kernels: not built (no node_api.h found); the engine uses its wasm kernels';
    const blasInc = blasIncludeDirs();
    if (blasInc.length === 0) return 'native kernels: not built (no OpenBLAS: cblas.h not found; apt-get install libopenblas-dev); the engine uses its wasm kernels';
    const cc = process.env.CC || 'cc';
    mkdirSync(path.dirname(ADDON), { recursive: true });
    const tmp = `${ADDON}.${process.pid}.tmp`;
    const linkUndefined = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];
    const libDirs = ['/opt/homebrew/opt/openblas/lib', '/usr/local/opt/openblas/lib'].filter((d) => existsSync(d)).map((d) => `-L${d}`);
    const args = ['-O3', ...archFlags(), '-fPIC', '-shared', '-std=c11', '-Wall', '-Wextra', '-fvisibility=hidden',
      ...nodeInc.map((d) => `-I${d}`), ...blasInc.map((d) => `-I${d}`), SOURCE, '-o', tmp, ...libDirs, '-lopenblas', ...linkUndefined];
    try {
      execFileSync(cc, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      rmSync(tmp, { force: true });
      // A stale addon from older sources may lack functions the kernels call: better none.
      rmSync(ADDON, { force: true });
      const lines = String(err?.stderr ?? '').trim().split('\n');
      const why = lines.find((l) => /error|not found|cannot find/i.test(l)) ?? (err?.code ? String(err.code) : `exit status ${err?.status ?? '?'}`);
      return `native kernels: not built (${cc}: ${why.trim()}); the engine uses its wasm kernels`;
    }
    renameSync(tmp, ADDON);
    return `native kernels: built ${path.relative(process.cwd(), ADDON)} (OpenBLAS)`;
  } catch (err) {
    return `native kernels: not built (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); the engine uses its wasm kernels`;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${buildNative({ force: process.argv.includes('--force') })}\n`);
}
