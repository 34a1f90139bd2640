// Entry of the desktop app's engine host process (Electron utilityProcess.fork of this file, with
// `--workspace DIR [--install-demo BUNDLE]`). The engine runs as TypeScript through tsx, as the `ich` CLI does
// (bin/ich.js). CommonJS, the entry format every Electron utility process runs; the engine itself is loaded
// as ESM through the dynamic import.
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { register } = require('tsx/esm/api');

// node:sqlite's ExperimentalWarning is noise here; other warnings still show.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && /SQLite/i.test(String(warning))) return;
  emitWarning(warning, ...rest);
};
register();
import('./engine-process.ts')
  .then((m) => m.runEngineProcess(process.argv.slice(2), process.parentPort))
  .catch((err) => {
    process.stderr.write(`engine-process: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    process.exit(1);
  });
