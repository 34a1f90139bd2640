// The wiring of desktop.ts with a fake Electron: what happens before 'ready', the window's options, the
// engine process arguments, the IPC channels, the protocol, the menu, the folder dialog.
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type {
  BrowserWindowOptionsPort, ElectronPort, IpcInvokeEventPort, MenuItemPort, ProtocolHandler, UtilityForkOptionsPort, UtilityProcessPort, WebContentsPort,
} from './electron-port.ts';
import { ENGINE_METHODS } from '../src-ml/api/engine.ts';
import { startDesktop } from './desktop.ts';
import { readSettings } from './workspace-choice.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ich-desktop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeElectron(appRoot: string, dialogPath: string | null) {
  const log: string[] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => { readyResolve = r; });
  const appEvents = new EventEmitter();
  const handlers = new Map<string, (e: IpcInvokeEventPort, ...a: unknown[]) => Promise<unknown>>();
  const windows: { options: BrowserWindowOptionsPort; url?: string; contents: WebContentsPort & { sent: unknown[][] } }[] = [];
  const forks: { modulePath: string; args: string[]; options: UtilityForkOptionsPort | undefined; child: EventEmitter & { sent: unknown[]; killed: number } }[] = [];
  let protocolHandler: ProtocolHandler | null = null;
  let menu: MenuItemPort[] = [];
  const userData: string[] = [];
  const electron: ElectronPort = {
    app: Object.assign(appEvents, {
      isPackaged: false,
      whenReady: () => { log.push('whenReady'); return ready; },
      requestSingleInstanceLock: () => true,
      quit: vi.fn(),
      getAppPath: () => appRoot,
      getPath: () => userData[0]!,
      setPath: (_n: 'userData', p: string) => { userData.push(p); },
    }) as unknown as ElectronPort['app'],
    BrowserWindow: Object.assign(function BrowserWindow(this: unknown, options: BrowserWindowOptionsPort) {
      const contents = Object.assign(new EventEmitter(), {
        sent: [] as unknown[][], setWindowOpenHandler: vi.fn(), send(...a: unknown[]) { contents.sent.push(a); },
        reload: vi.fn(), toggleDevTools: vi.fn(), isDestroyed: () => false,
      });
      const w = Object.assign(new EventEmitter(), {
        options, webContents: contents, show: vi.fn(), focus: vi.fn(), isDestroyed: () => false,
        loadURL: async (url: string) => { rec.url = url; },
      });
      const rec: (typeof windows)[number] = { options, contents: contents as unknown as (typeof windows)[number]['contents'] };
      windows.push(rec);
      return w;
    }, { getAllWindows: () => [] }) as unknown as ElectronPort['BrowserWindow'],
    ipcMain: { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) },
    protocol: {
      registerSchemesAsPrivileged: (s) => void log.push(`privileged:${s.map((x) => x.scheme).join(',')}`),
      handle: (scheme, h) => { log.push(`handle:${scheme}`); protocolHandler = h; },
    },
    dialog: { showOpenDialog: async () => ({ canceled: dialogPath === null, filePaths: dialogPath ? [dialogPath] : [] }), showErrorBox: vi.fn() },
    Menu: { buildFromTemplate: (t) => ({ t }), setApplicationMenu: (m) => { menu = (m as { t: MenuItemPort[] }).t; } },
    session: { defaultSession: { setPermissionRequestHandler: () => void log.push('permissions'), setPermissionCheckHandler: () => void log.push('permission checks'), webRequest: { onBeforeRequest: () => void log.push('webRequest') } } },
    utilityProcess: {
      fork: (modulePath, args, options) => {
        const child = Object.assign(new EventEmitter(), { sent: [] as unknown[], killed: 0, pid: 1, stdout: null, stderr: null, postMessage(m: unknown) { child.sent.push(m); }, kill: () => (child.killed++, true) });
        forks.push({ modulePath, args: args ?? [], options, child });
        return child as unknown as UtilityProcessPort;
      },
    },
  };
  return { electron, log, readyResolve, appEvents, handlers, windows, forks, userData, protocol: () => protocolHandler!, menu: () => menu };
}

describe('startDesktop', () => {
  it('wires the app securely around the engine process', async () => {
    const appRoot = path.join(tmp, 'app');
    mkdirSync(path.join(appRoot, 'assets', 'demo'), { recursive: true });
    writeFileSync(path.join(appRoot, 'assets', 'demo', 'demo.json'), '{"format":1}');
    process.env.XDG_CONFIG_HOME = path.join(tmp, 'config');
    const f = fakeElectron(appRoot, '/data/ct');
    const started = startDesktop(f.electron, { argv: [], env: {}, log: (l) => f.log.push(`log:${l}`) });
    // Before 'ready': the scheme is privileged and every web contents will be guarded.
    expect(f.log.filter((l) => !l.startsWith('log:')).slice(0, 2)).toEqual(['privileged:app', 'whenReady']);
    expect(f.log).toContain(`log:installing the demo workspace into ${path.join(tmp, 'config', 'ICH Viewer', 'demo-workspace')} (first start)`);
    expect(f.appEvents.listenerCount('web-contents-created')).toBe(1);
    expect(f.userData[0]).toBe(path.join(tmp, 'config', 'ICH Viewer'));
    f.readyResolve();
    const desktop = (await started)!;

    const demoWs = path.join(tmp, 'config', 'ICH Viewer', 'demo-workspace');
    const bundle = path.join(appRoot, 'assets', 'demo');
    expect(desktop.workspace).toEqual({ dir: demoWs, source: 'demo', installDemoFrom: bundle });
    expect(f.log).toContain('permissions');
    expect(f.log).toContain('permission checks');
    expect(f.log).toContain('webRequest');
    expect(f.log).toContain('handle:app');
    // The engine: the entry under the app, on the chosen workspace.
    expect(f.forks).toHaveLength(1);
    expect(f.forks[0]!.modulePath).toBe(path.join(appRoot, 'src-ml/host/engine-process-entry.cjs'));
    expect(f.forks[0]!.args).toEqual(['--workspace', demoWs, '--install-demo', bundle]);
    // One window, sandboxed, on the app's own origin.
    expect(f.windows).toHaveLength(1);
    expect(f.windows[0]!.url).toBe('app://ich/index.html');
    expect(f.windows[0]!.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, preload: path.join(appRoot, 'out/main/preload.cjs') });
    expect([...f.handlers.keys()].sort()).toEqual([...ENGINE_METHODS, 'openFolderDialog'].map((m) => `ich:${m}`).sort());
    expect(f.handlers.has('ich:getSeries')).toBe(true);

    // The engine says ready: the workspace is remembered; its events reach the window.
    const child = f.forks[0]!.child;
    child.emit('message', { type: 'ready', workspace: demoWs });
    expect(readSettings(f.userData[0]!)).toEqual({ lastWorkspace: demoWs });
    const ev = { type: 'job', jobId: 'scan-1', kind: 'scan', stage: 'scan', done: 0, total: 0, status: 'queued' };
    child.emit('message', { type: 'event', event: ev });
    expect(f.windows[0]!.contents.sent).toEqual([['ich:event', ev]]);

    // The folder dialog starts a scan of the chosen folder.
    const app = { senderFrame: { url: 'app://ich/index.html' } };
    const opened = f.handlers.get('ich:openFolderDialog')!(app, {});
    await new Promise((r) => setTimeout(r, 0));
    const req = child.sent.at(-1) as { id: number; method: string; body: unknown };
    expect(req).toMatchObject({ type: 'request', method: 'addFolder', body: { path: '/data/ct' } });
    child.emit('message', { type: 'response', id: req.id, ok: true, value: { jobId: 'scan-2' } });
    expect(await opened).toEqual({ ok: true, value: { path: '/data/ct', jobId: 'scan-2' } });
    // A foreign frame gets nothing.
    expect(await f.handlers.get('ich:info')!({ senderFrame: { url: 'https://evil.example/' } })).toMatchObject({ ok: false, error: { code: 'refused' } });

    // The protocol serves DICOM only through the engine's index lookup.
    const dicom = f.protocol()(new Request('app://ich/dicom/1.2.3'));
    await new Promise((r) => setTimeout(r, 0));
    const fileReq = child.sent.at(-1) as { id: number; type: string; imageId: string };
    expect(fileReq).toMatchObject({ type: 'file', imageId: '1.2.3' });
    child.emit('message', { type: 'response', id: fileReq.id, ok: false, error: { code: 'not_found', message: 'no image 1.2.3' } });
    expect((await dicom).status).toBe(404);

    // Menu: devtools in development (unpackaged).
    const labels = f.menu().flatMap((m) => (m.submenu ?? []).map((i) => i.label));
    expect(labels).toContain('Toggle Developer Tools');

    // The engine's jobs: main forks the job entry for a valid command line (and refuses others), as a utility process with piped output.
    child.emit('message', { type: 'job-start', jobId: 1, args: ['predict', '--workspace', demoWs, '--events', '--no-progress', '--missing'] });
    child.emit('message', { type: 'job-start', jobId: 2, args: ['serve', '--workspace', demoWs] });
    expect(f.forks).toHaveLength(2);
    expect(f.forks[1]).toMatchObject({ modulePath: path.join(appRoot, 'src-ml/host/job-process-entry.cjs'), options: { stdio: 'pipe', serviceName: 'ICH Viewer job' } });
    expect(f.forks[1]!.args).toEqual(['predict', '--workspace', demoWs, '--events', '--no-progress', '--missing']);
    expect(child.sent.at(-1)).toMatchObject({ type: 'job-exit', jobId: 2, code: null, error: expect.stringMatching(/^job refused: unknown command/) });

    // Closing the last window stops the engine and its jobs, and quits.
    f.appEvents.emit('window-all-closed');
    expect(f.forks[1]!.child.killed).toBe(1);
    expect(f.electron.app.quit).toHaveBeenCalled();
    await expect(desktop.host.call('info', {})).rejects.toThrow(/shut down/);
    delete process.env.XDG_CONFIG_HOME;
  });
});
