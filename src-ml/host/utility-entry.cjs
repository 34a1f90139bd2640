// What the desktop app's utility-process entries share (engine-process-entry.cjs, job-process-entry.cjs): the
// quiet node:sqlite warning and loading an engine module from the engine bundle while it is fresh (src-ml/bundle),
// else as TypeScript through tsx. CommonJS, the entry format every Electron utility process runs.
'use strict';

/** node:sqlite's ExperimentalWarning is noise for users; other warnings still show. */
function quietSqliteWarning() {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
    if (type === 'ExperimentalWarning' && /SQLite/i.test(String(warning))) return;
    emitWarning(warning, ...rest);
  };
}

/** The module at `source` (a path from the repository root, e.g. 'src-ml/cli/main.ts'), bundled or through tsx. */
async function loadEngineModule(source) {
  const { openBundle } = await import('../bundle/bundle-runtime.js');
  const bundle = openBundle();
  if (bundle) {
    bundle.install();
    return import(bundle.entryUrl(source));
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('tsx/esm/api').register();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { join } = require('node:path'), { pathToFileURL } = require('node:url');
  return import(pathToFileURL(join(__dirname, '..', '..', source)).href);
}

/** The first line of an error, for a one-line message. */
function firstLine(err) {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

module.exports = { quietSqliteWarning, loadEngineModule, firstLine };
