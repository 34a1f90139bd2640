// The desktop app's wiring, written against the Electron port (electron-port.ts) so a test can drive it
// with fakes: privileged app:// scheme, locked-down session, guarded web contents, the engine host process,
// the IPC router, the app:// protocol handler (renderer files + indexed DICOM bytes), the menu, the native
// folder dialog, and the one window.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { validateRequest } from '../src-shared/engine-methods.ts';
import { createAppProtocolHandler } from './app-protocol.ts';
import type { BrowserWindowPort, ElectronPort } from './electron-port.ts';
import { EngineHost } from './engine-host.ts';
import { relayJobs, type JobRelay } from './job-relay.ts';
import { EVENT_CHANNEL, type OpenFolderResult } from './ipc-contract.ts';
import { registerIpcRouter } from './ipc-router.ts';
import { menuTemplate } from './menu.ts';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_START_URL, guardWebContents, lockDownSession, mainWindowOptions } from './security.ts';
import { chooseWorkspace, defaultUserDataDir, writeSettings, type WorkspaceChoice } from './workspace-choice.ts';

/** Files of the app, relative to app.getAppPath() (the repository in development, the asar when packaged). */
export const APP_FILES = {
  preload: 'out/main/preload.cjs',
  renderer: 'dist-renderer',
  engineEntry: 'src-ml/host/engine-process-entry.cjs',
  /** A training or predict job (`ich pipeline|predict`), forked on the engine's request (job-relay.ts). */
  jobEntry: 'src-ml/host/job-process-entry.cjs',
  demo: 'assets/demo',
} as const;

/** The engine process's arguments: its workspace, and the demo bundle to install there on first start. */
export function engineArgs(choice: WorkspaceChoice): string[] {
  return ['--workspace', choice.dir, ...(choice.installDemoFrom ? ['--install-demo', choice.installDemoFrom] : [])];
}

export interface DesktopOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface Desktop {
  workspace: WorkspaceChoice;
  host: EngineHost;
  window: () => BrowserWindowPort | null;
}

/** Starts the app; resolves once the window is loading. Null when another instance already runs. */
export async function startDesktop(electron: ElectronPort, options: DesktopOptions): Promise<Desktop | null> {
  const { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, utilityProcess } = electron;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Before 'ready': the scheme's privileges, the guard on every web contents, the user-data folder.
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  const userData = defaultUserDataDir();
  app.setPath('userData', userData);
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  const root = app.getAppPath();
  const file = (rel: string) => path.join(root, rel);
  const choice = chooseWorkspace({ argv: options.argv, env: options.env, userDataDir: userData, demoDir: file(APP_FILES.demo) });
  if (choice.note) log(choice.note);
  if (choice.installDemoFrom) log(`installing the demo workspace into ${choice.dir} (first start)`);

  await app.whenReady();
  lockDownSession(session.defaultSession);

  let win: BrowserWindowPort | null = null;
  const send = (channel: string, payload: unknown) => {
    if (win && !win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(channel, payload);
  };
  // The engine's jobs are utility processes too, forked here on its request (a utility process cannot fork one).
  let jobs: JobRelay | null = null;
  const forkEngine = () => {
    const engine = utilityProcess.fork(file(APP_FILES.engineEntry), engineArgs(choice), { serviceName: 'ICH Viewer engine', stdio: 'inherit' });
    jobs = relayJobs(engine, {
      forkJob: (args) => utilityProcess.fork(file(APP_FILES.jobEntry), args, { serviceName: 'ICH Viewer job', stdio: 'pipe' }),
      log,
    });
    return engine;
  };
  const host = new EngineHost({
    fork: forkEngine,
    onEvent: (e) => send(EVENT_CHANNEL, e),
    onNotice: log,
    onReady: (workspace) => {
      try {
        writeSettings(userData, { lastWorkspace: workspace });
      } catch (err) {
        log(`could not save settings in ${userData}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  });

  const rendererDir = existsSync(path.join(file(APP_FILES.renderer), 'index.html')) ? file(APP_FILES.renderer) : null;
  if (!rendererDir) log('the renderer is not built (npm run build:renderer); showing the placeholder page');
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir, fileOfImage: (id) => host.indexedFileOfImage(id) }));

  const openFolder = async (): Promise<OpenFolderResult> => {
    const r = await dialog.showOpenDialog({ title: 'Open a folder of DICOM files', buttonLabel: 'Index folder', properties: ['openDirectory', 'dontAddToRecent'] });
    const chosen = r.filePaths[0];
    if (r.canceled || !chosen) return null;
    const { jobId } = (await host.call('addFolder', validateRequest('addFolder', { path: chosen }))) as { jobId: string };
    return { path: chosen, jobId };
  };
  registerIpcRouter(ipcMain, { callEngine: (method, body) => host.call(method, body), openFolder });

  const isDev = !app.isPackaged;
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({
    openFolder: () => {
      openFolder().catch((err: unknown) => dialog.showErrorBox('Open folder', err instanceof Error ? err.message : String(err)));
    },
    reload: () => win?.webContents.reload(),
    toggleDevTools: () => win?.webContents.toggleDevTools(),
  }, { isDev, platform: process.platform })));

  host.start();
  app.on('window-all-closed', () => {
    jobs?.stop();
    host.stop();
    app.quit();
  });
  app.on('second-instance', () => win?.focus());

  win = new BrowserWindow(mainWindowOptions(file(APP_FILES.preload), isDev));
  const w = win;
  w.on('ready-to-show', () => w.show());
  w.on('closed', () => {
    if (win === w) win = null;
  });
  log(`ICH Viewer: workspace ${choice.dir} (${choice.source})`);
  await w.loadURL(APP_START_URL);
  return { workspace: choice, host, window: () => win };
}
