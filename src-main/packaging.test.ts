// electron-builder.yml cannot be exercised here (electron-builder downloads Electron); this checks it
// against package.json, the main-process build and the files the app opens at run time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildMain } from './build.ts';
import { APP_FILES } from './desktop.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string; scripts: Record<string, string>; optionalDependencies: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

interface BuilderConfig {
  appId: string;
  productName: string;
  electronVersion: string;
  asar: boolean;
  electronFuses: Record<string, boolean>;
  files: string[];
  asarUnpack: string[];
  directories: { output: string; buildResources: string };
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
}

const config = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** electron-builder's rule: a file is packed when the last pattern matching it is not a negation. */
function packed(file: string): boolean {
  let result = false;
  for (const p of config.files) {
    const neg = p.startsWith('!');
    if (path.matchesGlob(file, neg ? p.slice(1) : p)) result = !neg;
  }
  return result;
}

describe('electron-builder.yml', () => {
  beforeAll(async () => {
    await buildMain();
  });

  it('targets AppImage + deb, dmg, nsis; has an app id and name', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9]+)+$/);
    expect(config.productName).toBe('ICH Viewer');
    expect(config.linux.target.sort()).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.asar).toBe(true);
  });

  it('the Electron version is the one package.json installs, and electron is never a runtime dependency', () => {
    expect(config.electronVersion).toBe(pkg.optionalDependencies.electron);
    expect(pkg.dependencies.electron).toBeUndefined();
    expect(packed('node_modules/electron/dist/electron')).toBe(false);
  });

  it('package.json main is a file the build produces, and it is packed with the preload', () => {
    expect(pkg.main).toBe('out/main/main.cjs');
    expect(existsSync(path.join(root, pkg.main))).toBe(true);
    expect(existsSync(path.join(root, APP_FILES.preload))).toBe(true);
    expect(packed(pkg.main)).toBe(true);
    expect(packed(APP_FILES.preload)).toBe(true);
    expect(packed('package.json')).toBe(true);
  });

  it('the preload bundle is self-contained: it requires electron and nothing else (a sandboxed preload can load no module)', () => {
    const preload = readFileSync(path.join(root, APP_FILES.preload), 'utf8');
    expect([...new Set([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]))]).toEqual(['electron']);
    expect(preload).not.toMatch(/\bimport\s*\(/);
  });

  it('packs the renderer, the engine (no tests) and the demo workspace the app opens', () => {
    expect(packed(`${APP_FILES.renderer}/index.html`)).toBe(true);
    expect(packed(`${APP_FILES.renderer}/assets/index-abc.js`)).toBe(true);
    expect(packed(APP_FILES.engineEntry)).toBe(true);
    expect(existsSync(path.join(root, APP_FILES.engineEntry))).toBe(true);
    expect(packed('src-ml/host/engine-process.ts')).toBe(true);
    expect(packed('src-ml/presets/tiny.json')).toBe(true);
    expect(existsSync(path.join(root, 'src-ml/presets/tiny.json'))).toBe(true);
    expect(packed('src-ml/host/engine-process.test.ts')).toBe(false);
    expect(packed('src-shared/engine-methods.ts')).toBe(true);
    expect(packed('src-shared/windows.test.ts')).toBe(false);
    expect(packed(`${APP_FILES.demo}/index.sqlite`)).toBe(true);
    expect(packed('src-main/main.ts')).toBe(false);
    expect(packed('e2e/viewer.e2e.ts')).toBe(false);
  });

  it('packs the job entry and what it loads; no host code relies on running the app binary as Node', () => {
    // The engine's jobs (ich pipeline/predict) are forked by main from this entry: bin/ich.js is not in the package.
    expect(packed(APP_FILES.jobEntry)).toBe(true);
    expect(packed('bin/ich.js')).toBe(false);
    expect(pkg.dependencies.tsx).toBeDefined(); // production dependencies are packed with node_modules
    for (const entry of [APP_FILES.jobEntry, APP_FILES.engineEntry, 'src-ml/host/utility-entry.cjs']) {
      const text = readFileSync(path.join(root, entry), 'utf8');
      const relative = [...text.matchAll(/(?:import|require)\(\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
      expect(relative.length, entry).toBeGreaterThan(0);
      for (const rel of relative) {
        const file = path.posix.join(path.posix.dirname(entry), rel);
        expect(existsSync(path.join(root, file)), file).toBe(true);
        expect(packed(file), file).toBe(true);
      }
    }
    // The engine modules the entries load by repository path (bundled or through tsx): present and packed.
    for (const [entry, source] of [[APP_FILES.jobEntry, 'src-ml/cli/main.ts'], [APP_FILES.engineEntry, 'src-ml/host/engine-process.ts']] as const) {
      expect(readFileSync(path.join(root, entry), 'utf8')).toContain(`loadEngineModule('${source}')`);
      expect(existsSync(path.join(root, source)), source).toBe(true);
      expect(packed(source), source).toBe(true);
    }
    // The packaged app's runAsNode fuse is off: ELECTRON_RUN_AS_NODE does nothing there.
    const hostDir = path.join(root, 'src-ml/host');
    for (const f of readdirSync(hostDir).filter((n) => /\.(ts|js|cjs)$/.test(n) && !n.endsWith('.test.ts'))) {
      expect(readFileSync(path.join(hostDir, f), 'utf8'), f).not.toMatch(/ELECTRON_RUN_AS_NODE['"]?\s*[:=]/);
    }
  });

  it('flips the Electron fuses: no run-as-node, NODE_OPTIONS or --inspect; the app only from an integrity-checked app.asar', () => {
    // electron-builder 26's FuseOptionsV1 names (app-builder-lib scheme.json); a misspelt key would be ignored.
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // onlyLoadAppFromAsar: the entry and the preload must be inside app.asar, not unpacked beside it.
    expect(config.asar).toBe(true);
    for (const f of [pkg.main, APP_FILES.preload, 'package.json']) expect(config.asarUnpack.some((p) => path.matchesGlob(f, p)), f).toBe(false);
  });

  it('unpacks wasm and the optional native tfjs modules from the asar', () => {
    const unpacked = (f: string) => config.asarUnpack.some((p) => path.matchesGlob(f, p));
    expect(unpacked('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')).toBe(true);
    expect(unpacked('node_modules/@cornerstonejs/codec-charls/dist/charlswasm_decode.wasm')).toBe(true);
    expect(unpacked('node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node')).toBe(true);
    expect(unpacked('node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2')).toBe(true);
    expect(unpacked('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1')).toBe(true);
    expect(unpacked('out/main/main.cjs')).toBe(false);
  });

  it('npm run dist builds renderer and main first, then runs electron-builder with this file', () => {
    expect(pkg.scripts.dist).toMatch(/build:renderer.*build:main.*electron-builder@\d+\.\d+\.\d+ --config electron-builder\.yml/);
    expect(config.directories.buildResources).not.toBe('assets');
  });
});
