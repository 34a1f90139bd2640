// `npm start` as a newcomer runs it, for the browser tests: the launcher in a fresh user-data folder (so the demo
// is installed and opened), in the browser fallback, until it prints the URL; stop() ends it and removes the folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './workspace.ts';

export interface StartedApp {
  /** The fresh user-data folder (XDG_CONFIG_HOME). */
  home: string;
  /** The viewer's URL (with its token) and the workspace the launcher opened. */
  url: string;
  workspace: string;
  /** Every stdout line the launcher printed until the URL. */
  lines: string[];
  stop(): Promise<void>;
}

export async function startApp(prefix: string): Promise<StartedApp> {
  const home = mkdtempSync(path.join(tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: home, ICH_NO_OPEN: '1' };
  delete env['ICH_WORKSPACE'];
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src-main/start.ts', '--browser', '--no-build'], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await gone;
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const [url, workspace] = await new Promise<[string, string]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL from npm start in 90 s: ${lines.join(' | ')}`)), 90_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const m = /^ICH Viewer \(workspace (.+)\): (http:\/\/127\.0\.0\.1:\d+\/\S+)$/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve([m[2]!, m[1]!]);
        }
      });
      child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${lines.join(' | ')}`)));
    });
    return { home, url, workspace, lines, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
