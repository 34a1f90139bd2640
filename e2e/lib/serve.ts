// `ich serve` as a child process: its first stdout line is the URL (with the token); plus a small client
// for the engine API, used by the tests as the reference the page is checked against.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ICH, REPO_ROOT } from './workspace.ts';

export interface Served {
  /** The URL `ich serve` printed, token included. */
  url: string;
  origin: string;
  token: string;
  api<T>(method: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startServe(workspace: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ICH, 'serve', '--workspace', workspace], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`ich serve exited ${code} before printing its URL: ${stderr.trim()}`)));
  });
  const u = new URL(url);
  const token = u.searchParams.get('token') ?? '';
  const api = async <T>(method: string, body: unknown = {}): Promise<T> => {
    const res = await fetch(new URL(`/api/${method}`, u.origin), {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'x-ich-token': token }, body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { url, origin: u.origin, token, api, stop };
}
