// The decisions of `npm start` (src-main/start.ts), kept apart so tests can check them: is Electron usable
// here, and how to open a URL in the user's browser.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type ElectronStatus = { ok: true; binary: string } | { ok: false; reason: string };

/**
 * Whether the electron package and its binary exist; `load` is a require bound to the repository. The electron
 * package (since Electron 42) has no install script: its main downloads the binary on first require. Detection
 * never loads it, so it never starts that download (tests, offline machines, a fresh clone's `npm start`): the
 * binary is looked up where the download leaves it, `dist/` + the name in the package's path.txt.
 */
export function detectElectron(
  load: { resolve(id: string): string },
  exists: (p: string) => boolean = existsSync,
  read: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): ElectronStatus {
  let main: string;
  try {
    main = load.resolve('electron');
  } catch {
    return { ok: false, reason: 'the electron package is not installed (it is an optional dependency: left out by npm ci --omit=optional or a failed install)' };
  }
  const dir = path.dirname(main);
  let name: string;
  try {
    name = read(path.join(dir, 'path.txt')).trim();
  } catch {
    return { ok: false, reason: `the electron package has no binary (not downloaded yet: \`npx --no install-electron\` fetches it from github.com)` };
  }
  const binary = path.join(dir, 'dist', name);
  if (!name || !exists(binary)) return { ok: false, reason: `the Electron binary is missing (${binary}; \`npx --no install-electron\` fetches it)` };
  return { ok: true, binary };
}

/** The command that opens `url` in a browser, or null where none is available (no display, unknown OS). */
export function openerCommand(url: string, platform: NodeJS.Platform, env: NodeJS.ProcessEnv, onPath: (cmd: string) => boolean): [string, string[]] | null {
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return onPath('xdg-open') ? ['xdg-open', [url]] : null;
}

/** Whether an executable of that name is on PATH. */
export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  return (env.PATH ?? '').split(path.delimiter).some((dir) => dir && exts.some((e) => existsSync(path.join(dir, cmd + e))));
}

export interface StartArgs {
  /** --browser: skip Electron even where it is installed. */
  browser: boolean;
  /** --no-open (or ICH_NO_OPEN=1): print the URL, do not start a browser. */
  open: boolean;
  /** --no-build: never build the renderer (a missing one shows the placeholder page). */
  build: boolean;
  /** Everything else, passed on (--workspace DIR). */
  rest: string[];
}

export function parseStartArgs(argv: readonly string[], env: NodeJS.ProcessEnv): StartArgs {
  return {
    browser: argv.includes('--browser'),
    open: !argv.includes('--no-open') && env.ICH_NO_OPEN !== '1',
    build: !argv.includes('--no-build'),
    rest: argv.filter((a) => a !== '--browser' && a !== '--no-open' && a !== '--no-build'),
  };
}
