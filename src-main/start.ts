// `npm start`: the desktop app where Electron is installed; otherwise one line saying why not, and the same
// app in the browser through `ich serve` on the same workspace (building the renderer first if needed),
// printing the URL and opening it where a browser is available.
//   npm start [-- --workspace DIR] [--browser] [--no-open] [--no-build]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildMain } from './build.ts';
import { APP_FILES } from './desktop.ts';
import { detectElectron, onPath, openerCommand, parseStartArgs } from './launcher.ts';
import { chooseWorkspace, defaultUserDataDir } from './workspace-choice.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);
const args = parseStartArgs(process.argv.slice(2), process.env);

function ensureRenderer(): void {
  if (existsSync(path.join(root, APP_FILES.renderer, 'index.html'))) return;
  if (!args.build) {
    say('npm start: the renderer is not built (dist-renderer is missing, --no-build): the app shows a placeholder page');
    return;
  }
  say('npm start: building the renderer (dist-renderer is missing)');
  const vite = path.join(root, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) say('npm start: the renderer build failed; the app shows a placeholder page');
}

/** Passes Ctrl-C / SIGTERM on to the child and exits with its code. */
function follow(child: ChildProcess): void {
  const stop = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on('SIGINT', stop('SIGINT'));
  process.on('SIGTERM', stop('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

const electron = args.browser ? { ok: false as const, reason: 'started with --browser' } : detectElectron(createRequire(path.join(root, 'package.json')));

if (electron.ok) {
  ensureRenderer();
  await buildMain();
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  follow(spawn(electron.binary, [root, ...args.rest], { cwd: root, stdio: 'inherit', env }));
} else {
  say(`npm start: Electron is not installed here (${electron.reason}); opening the app in the browser through ich serve instead`);
  let choice;
  try {
    choice = chooseWorkspace({ argv: args.rest, env: process.env, userDataDir: defaultUserDataDir(), demoDir: path.join(root, APP_FILES.demo) });
  } catch (err) {
    say(`npm start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  if (choice.note) say(`npm start: ${choice.note}`);
  if (choice.installDemoFrom) {
    say(`npm start: installing the demo workspace into ${choice.dir} (first start)`);
    const r = spawnSync(process.execPath, [path.join(root, 'bin/ich.js'), 'demo', 'install', '--workspace', choice.dir, '--bundle', choice.installDemoFrom], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) {
      say('npm start: the demo install failed (see above)');
      process.exit(1);
    }
  }
  ensureRenderer();
  const child = spawn(process.execPath, [path.join(root, 'bin/ich.js'), 'serve', '--workspace', choice.dir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  follow(child);
  let first = true;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!first) return say(line);
    first = false;
    say(`ICH Viewer (workspace ${choice.dir}): ${line}`);
    const opener = args.open ? openerCommand(line, process.platform, process.env, (c) => onPath(c)) : null;
    if (!opener) return say(args.open ? 'npm start: no browser found here; open the URL above in one' : 'npm start: open the URL above in a browser');
    const o = spawn(opener[0], opener[1], { stdio: 'ignore', detached: true });
    o.on('error', () => say('npm start: could not start a browser; open the URL above in one'));
    o.unref();
  });
}
