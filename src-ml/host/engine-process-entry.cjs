// Entry of the desktop app's engine host process (Electron utilityProcess.fork of this file, with
// `--workspace DIR [--install-demo BUNDLE]`). As the `ich` CLI does (bin/ich.js), the engine runs from the
// engine bundle while it is fresh (src-ml/bundle), else as TypeScript through tsx. CommonJS, the entry format
// every Electron utility process runs; the engine itself is loaded as ESM through the dynamic import.
'use strict';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { quietSqliteWarning, loadEngineModule, firstLine } = require('./utility-entry.cjs');

quietSqliteWarning();
loadEngineModule('src-ml/host/engine-process.ts')
  .then((m) => m.runEngineProcess(process.argv.slice(2), process.parentPort))
  .catch((err) => {
    process.stderr.write(`engine-process: ${firstLine(err)}\n`);
    process.exit(1);
  });
