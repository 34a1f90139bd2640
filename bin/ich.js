#!/usr/bin/env node
// The `ich` command: runs the CLI from the engine bundle that `npm ci` built (src-ml/bundle), or, when a source is
// newer than that build (or there is none), the TypeScript itself through tsx while a rebuild runs in the
// background; so `npx ich` works right after `npm ci`, and right after any edit.
// The engine needs Node 22 (node:sqlite); when started by an older system node, re-run under the
// Node 22 that `npm ci` put in node_modules (the `node` devDependency).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    process.stderr.write(`ich: needs Node.js 22 or newer (this is ${process.version}); run npm ci to get it in node_modules\n`);
    process.exit(1);
  }
  const r = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// node:sqlite's ExperimentalWarning on Node 22 is noise for CLI users; other warnings still show.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' && /SQLite/i.test(String(warning))) return;
  emitWarning(warning, ...rest);
};
const argv = process.argv.slice(2);
const { openBundle } = await import('../src-ml/bundle/bundle-runtime.js');
const bundle = openBundle({ rebuild: true });
let main;
if (bundle) {
  // Stack traces (--verbose) point into the TypeScript; parsing the maps costs time, so only then.
  if (argv.includes('--verbose')) process.setSourceMapsEnabled(true);
  bundle.install();
  ({ main } = await import(bundle.entryUrl('src-ml/cli/main.ts')));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src-ml/cli/main.ts'));
}
process.exitCode = await main(argv);
