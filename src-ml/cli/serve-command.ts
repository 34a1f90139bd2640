// `ich serve --workspace W [--port N] [--static dir]`: the web host. The first line on stdout is the URL to
// open (token included), so scripts and tests can read it; Ctrl-C (or SIGTERM) cancels running jobs after
// their committed work and closes the server.
import path from 'node:path';
import type { Command } from 'commander';
import type { WebHost } from '../host/web-host.ts';

// The host and the store are imported when `ich serve` runs, so registering the command (every `ich` start) stays cheap.
const webHost = () => import('../host/web-host.ts');

export interface ServeFlags {
  workspace?: string;
  port: string;
  static?: string;
}

function portOf(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be an integer from 0 to 65535, got "${value}"`);
  return n;
}

/** Starts the host and prints its URL; resolves with the host once it listens. */
export async function startServe(flags: ServeFlags, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<WebHost> {
  const [{ defaultStaticDir, startWebHost }, { defaultWorkspaceDir }] = await Promise.all([webHost(), import('../store/workspace.ts')]);
  const host = await startWebHost({
    workspace: flags.workspace ?? defaultWorkspaceDir(),
    port: portOf(flags.port),
    staticDir: flags.static ? path.resolve(flags.static) : defaultStaticDir(),
  });
  out(host.url);
  return host;
}

export interface ServeHooks {
  /** Called once the host listens (tests close it through this). */
  onStart?: (host: WebHost) => void;
}

/** Serves until SIGINT/SIGTERM (or until the host is closed), then closes cleanly. */
export async function serveCommand(flags: ServeFlags, hooks: ServeHooks = {}): Promise<void> {
  const host = await startServe(flags);
  const { defaultStaticDir } = await webHost();
  const renderer = flags.static ? `renderer from ${path.resolve(flags.static)}` : defaultStaticDir() ? 'renderer from dist-renderer' : 'renderer not built (placeholder page)';
  process.stderr.write(`ich serve: workspace ${host.service.workspaceDir}; ${renderer}; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      void host.close();
    };
    host.server.once('close', () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      host.close().then(resolve, resolve);
    });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    hooks.onStart?.(host);
  });
}

export function registerServeCommand(program: Command, hooks: ServeHooks = {}): void {
  program.command('serve')
    .description('serve the viewer and the engine API on 127.0.0.1, guarded by a token; prints the URL to open as its first line')
    .option('--workspace <dir>', 'workspace folder (default: $ICH_WORKSPACE or ./ich-workspace)')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 = any free port; fix one for an SSH tunnel)', '0')
    .option('--static <dir>', 'folder of the built renderer (default: dist-renderer of the repository, if built)')
    .action((flags: ServeFlags) => serveCommand(flags, hooks));
}
