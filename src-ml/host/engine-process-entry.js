// Entry of the desktop app's engine host process (Electron utilityProcess.fork of this file, with
// `--workspace DIR`). The engine runs as TypeScript through tsx, as the `ich` CLI does (bin/ich.js).
import { register } from 'tsx/esm/api';

// node:sqlite's ExperimentalWarning is noise here; other warnings still show.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && /SQLite/i.test(String(warning))) return;
  emitWarning(warning, ...rest);
};
register();
const { runEngineProcess } = await import('./engine-process.ts');
await runEngineProcess(process.argv.slice(2), process.parentPort);
