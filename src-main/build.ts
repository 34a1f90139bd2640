// `npm run build:main`: bundles the Electron main process and the preload into out/main (esbuild).
// main.cjs: CommonJS, so `require('electron')` runs before the app's 'ready' (schemes must be registered
// first); node_modules stay external (the packaged app carries them). preload.cjs: one self-contained
// CommonJS file, as a sandboxed preload must be, requiring only electron. The engine process is not
// bundled: it runs the TypeScript engine through tsx (src-ml/host/engine-process-entry.cjs), like the CLI.
import { build, type BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: 'linked',
  external: ['electron'],
  logLevel: 'warning',
};

export async function buildMain(): Promise<void> {
  await Promise.all([
    build({ ...common, entryPoints: ['src-main/main.ts'], outfile: 'out/main/main.cjs', packages: 'external' }),
    build({ ...common, entryPoints: ['src-main/preload.ts'], outfile: 'out/main/preload.cjs' }),
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildMain();
  process.stdout.write('built out/main/main.cjs and out/main/preload.cjs\n');
}
