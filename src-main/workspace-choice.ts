// Which workspace the app opens: `--workspace DIR`, else $ICH_WORKSPACE, else the last one used (settings.json
// in the app's user-data folder, written atomically), else the bundled demo, else, when the demo is missing,
// an empty workspace under user data. The demo (assets/demo) is a read-only bundle (src-ml/demo/demo-bundle.ts):
// it is installed once into <user data>/demo-workspace, a writable copy, and that copy is opened. Shared by the Electron main process and the browser
// fallback of `npm start`, so both open the same one. Plain Node, no Electron.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomicSync } from '../src-ml/base/atomic-write.ts';

export const APP_NAME = 'ICH Viewer';
export const SETTINGS_FILE = 'settings.json';
/** The demo bundle's manifest (src-ml/demo/demo-bundle.ts readDemoManifest). */
export const DEMO_MANIFEST = 'demo.json';
export const DEMO_WORKSPACE = 'demo-workspace';
const INDEX_FILE = 'index.sqlite';

export interface Settings {
  lastWorkspace?: string;
}

export type WorkspaceSource = 'argument' | 'environment' | 'last' | 'demo' | 'empty';

export interface WorkspaceChoice {
  dir: string;
  source: WorkspaceSource;
  /** One line for the user, when the choice needs explaining (the demo is missing). */
  note?: string;
  /** The demo bundle to install into `dir` first (`dir` holds no workspace yet). */
  installDemoFrom?: string;
}

/** Electron's app.getPath('userData') for this app, computed the same way without Electron. */
export function defaultUserDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (platform === 'win32') return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', APP_NAME);
  return path.posix.join(env.XDG_CONFIG_HOME || path.posix.join(home, '.config'), APP_NAME);
}

export function readSettings(userDataDir: string): Settings {
  try {
    const v = JSON.parse(readFileSync(path.join(userDataDir, SETTINGS_FILE), 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    const s = v as Record<string, unknown>;
    return typeof s.lastWorkspace === 'string' ? { lastWorkspace: s.lastWorkspace } : {};
  } catch {
    return {};
  }
}

/** Writes settings.json atomically (src-ml/base/atomic-write.ts: a flushed temporary file in the same folder, renamed over the old one). */
export function writeSettings(userDataDir: string, settings: Settings): void {
  mkdirSync(userDataDir, { recursive: true });
  const file = path.join(userDataDir, SETTINGS_FILE);
  writeFileAtomicSync(file, JSON.stringify(settings, null, 2) + '\n');
}

/** `--workspace DIR` or `--workspace=DIR`; null when absent. Throws when the flag has no value. */
export function workspaceFlag(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--workspace=')) return a.slice('--workspace='.length) || missing();
    if (a === '--workspace') {
      const v = argv[i + 1];
      return v && !v.startsWith('--') ? v : missing();
    }
  }
  return null;
}

function missing(): never {
  throw new Error('--workspace needs a folder');
}

export interface ChooseOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  userDataDir: string;
  /** The bundled demo (assets/demo): a bundle with demo.json, or a plain workspace folder. */
  demoDir: string;
  cwd?: string;
}

export function chooseWorkspace(o: ChooseOptions): WorkspaceChoice {
  const abs = (p: string) => path.resolve(o.cwd ?? process.cwd(), p);
  const flag = workspaceFlag(o.argv);
  if (flag) return { dir: abs(flag), source: 'argument' };
  if (o.env.ICH_WORKSPACE) return { dir: abs(o.env.ICH_WORKSPACE), source: 'environment' };
  const last = readSettings(o.userDataDir).lastWorkspace;
  if (last && path.isAbsolute(last) && existsSync(last)) return { dir: last, source: 'last' };
  if (existsSync(path.join(o.demoDir, DEMO_MANIFEST))) {
    const dir = path.join(o.userDataDir, DEMO_WORKSPACE);
    return existsSync(path.join(dir, INDEX_FILE)) ? { dir, source: 'demo' } : { dir, source: 'demo', installDemoFrom: o.demoDir };
  }
  if (existsSync(path.join(o.demoDir, INDEX_FILE))) return { dir: o.demoDir, source: 'demo' };
  const dir = path.join(o.userDataDir, 'workspace');
  return { dir, source: 'empty', note: `the bundled demo workspace (${o.demoDir}) is missing; opening an empty workspace at ${dir}` };
}
