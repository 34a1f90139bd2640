// Entry of the desktop app's engine host process (Electron utilityProcess.fork of this file, with
// `--workspace DIR [--install-demo BUNDLE]`). As the `ich` CLI does (bin/ich.js), the engine runs from the
// engine bundle while it is fresh (src-ml/bundle), else as TypeScript through tsx. CommonJS, the entry format
// every Electron utility process runs; the engine itself is loaded as ESM through the dynamic import.
'use strict';

// node:sqlite's ExperimentalWarning is noise here; other warnings still show.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && /SQLite/i.test(String(warning))) return;
  emitWarning(warning, ...rest);
};
async function loadEngine() {
  const { openBundle } = await import('../bundle/bundle-runtime.js');
  const bundle = openBundle();
  if (bundle) {
    bundle.install();
    return import(bundle.entryUrl('src-ml/host/engine-process.ts'));
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('tsx/esm/api').register();
  return import('./engine-process.ts');
}
loadEngine()
  .then((m) => m.runEngineProcess(process.argv.slice(2), process.parentPort))
  .catch((err) => {
    process.stderr.write(`engine-process: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exit(1);
  });
