// Entry of a job in the desktop app (`ich pipeline ...`, `ich predict ...`): the main process forks this file as
// an Electron utility process with the `ich` arguments (src-main/job-relay.ts) and relays its stdout and stderr
// to the engine process. It runs the CLI's main(argv) as bin/ich.js does (the engine bundle while it is fresh,
// else the TypeScript through tsx), without bin/ich.js's Node-version re-exec or background rebuild: both would
// start process.execPath, which here is the app itself. CommonJS, the entry format every utility process runs.
'use strict';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { quietSqliteWarning, loadEngineModule, firstLine } = require('./utility-entry.cjs');

quietSqliteWarning();

/** Exits once stdout and stderr took everything written before: a utility process does not end by itself. */
function finish(code) {
  let left = 2;
  const done = () => {
    if (--left === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

// Cancel from the main process: what Ctrl-C does to the CLI (a command's abortOnSigint stops it between steps,
// keeping committed work). Before a command listens for it (still loading), the job just ends as cancelled.
process.parentPort?.on('message', ({ data }) => {
  if (data?.type !== 'cancel') return;
  if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
  else finish(130);
});

loadEngineModule('src-ml/cli/main.ts')
  .then((m) => m.main(process.argv.slice(2)))
  .then((code) => finish(typeof code === 'number' ? code : 0), (err) => {
    process.stderr.write(`ich: ${firstLine(err)}\n`);
    finish(1);
  });
