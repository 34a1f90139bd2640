// The part of Electron's main-process API the desktop shell uses, as our own types. The shell is written
// against this port, the real module (`await import('electron')`) is passed in at start-up, and tests pass
// fakes, so src-main type-checks and is tested without the electron package (which cannot be installed on
// every machine: its binary download needs github.com). `npm run typecheck` checks, where electron is
// installed, that the real module satisfies this port (src-main/check-electron-types.ts).

/** The request/response types of protocol.handle are the Fetch API's (global in Node 22 and Electron). */
export type ProtocolHandler = (request: Request) => Response | Promise<Response>;

export interface CustomSchemePort {
  scheme: string;
  privileges: {
    standard?: boolean;
    secure?: boolean;
    supportFetchAPI?: boolean;
    corsEnabled?: boolean;
    stream?: boolean;
    codeCache?: boolean;
  };
}

export interface ProtocolPort {
  registerSchemesAsPrivileged(schemes: CustomSchemePort[]): void;
  handle(scheme: string, handler: ProtocolHandler): void;
}

export interface WebPreferencesPort {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInWorker?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  webviewTag?: boolean;
  experimentalFeatures?: boolean;
  navigateOnDragDrop?: boolean;
  spellcheck?: boolean;
  devTools?: boolean;
}

export interface BrowserWindowOptionsPort {
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  title?: string;
  show?: boolean;
  backgroundColor?: string;
  webPreferences?: WebPreferencesPort;
}

export interface PreventableEventPort {
  preventDefault(): void;
}

export interface WindowOpenDetailsPort {
  url: string;
}

export interface WebContentsPort {
  setWindowOpenHandler(handler: (details: WindowOpenDetailsPort) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: PreventableEventPort, url: string) => void): this;
  on(event: 'will-redirect', listener: (event: PreventableEventPort, url: string) => void): this;
  on(event: 'will-attach-webview', listener: (event: PreventableEventPort) => void): this;
  send(channel: string, ...args: unknown[]): void;
  reload(): void;
  toggleDevTools(): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowPort {
  readonly webContents: WebContentsPort;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  isDestroyed(): boolean;
  on(event: 'ready-to-show', listener: () => void): this;
  on(event: 'closed', listener: () => void): this;
}

export interface BrowserWindowStatic {
  new (options: BrowserWindowOptionsPort): BrowserWindowPort;
  getAllWindows(): BrowserWindowPort[];
}

export interface AppPort {
  readonly isPackaged: boolean;
  whenReady(): Promise<void>;
  on(event: 'window-all-closed', listener: () => void): this;
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsPort) => void): this;
  on(event: 'second-instance', listener: () => void): this;
  requestSingleInstanceLock(): boolean;
  quit(): void;
  getAppPath(): string;
  getPath(name: 'userData'): string;
  setPath(name: 'userData', path: string): void;
}

/** The frame an IPC request came from; null once it navigated away or was destroyed. */
export interface IpcSenderFramePort {
  readonly url: string;
}

export interface IpcInvokeEventPort {
  readonly senderFrame: IpcSenderFramePort | null;
}

export interface IpcMainPort {
  handle(channel: string, listener: (event: IpcInvokeEventPort, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface OpenDialogOptionsPort {
  title?: string;
  buttonLabel?: string;
  properties?: ('openDirectory' | 'createDirectory' | 'dontAddToRecent')[];
}

export interface OpenDialogResultPort {
  canceled: boolean;
  filePaths: string[];
}

export interface DialogPort {
  showOpenDialog(options: OpenDialogOptionsPort): Promise<OpenDialogResultPort>;
  showErrorBox(title: string, content: string): void;
}

export type MenuRolePort = 'quit' | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll' | 'resetZoom' | 'zoomIn' | 'zoomOut'
  | 'togglefullscreen' | 'minimize' | 'close' | 'about' | 'hide' | 'hideOthers' | 'unhide' | 'services';

export interface MenuItemPort {
  label?: string;
  accelerator?: string;
  role?: MenuRolePort;
  type?: 'normal' | 'separator' | 'submenu';
  submenu?: MenuItemPort[];
  click?: () => void;
}

/** A built menu: only handed back to setApplicationMenu. */
export type MenuHandle = object;

export interface MenuStatic {
  buildFromTemplate(template: MenuItemPort[]): MenuHandle;
  setApplicationMenu(menu: MenuHandle | null): void;
}

export interface PermissionSessionPort {
  setPermissionRequestHandler(handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
  /** Synchronous checks (navigator.permissions.query, feature probes); the handler answers granted or not. */
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string, requestingOrigin: string) => boolean) | null): void;
  webRequest: {
    onBeforeRequest(filter: { urls: string[] }, listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void): void;
  };
}

export interface SessionStatic {
  readonly defaultSession: PermissionSessionPort;
}

/**
 * A child started by utilityProcess.fork. Messages are structured clones; 'exit' carries the exit code.
 * stdout/stderr exist with stdio 'pipe' only, and become null once the process exited.
 */
export interface UtilityProcessPort {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
  kill(): boolean;
}

export interface UtilityForkOptionsPort {
  serviceName?: string;
  stdio?: 'inherit' | 'pipe' | 'ignore';
  env?: Record<string, string | undefined>;
}

export interface UtilityProcessStatic {
  fork(modulePath: string, args?: string[], options?: UtilityForkOptionsPort): UtilityProcessPort;
}

export interface ElectronPort {
  app: AppPort;
  BrowserWindow: BrowserWindowStatic;
  ipcMain: IpcMainPort;
  protocol: ProtocolPort;
  dialog: DialogPort;
  Menu: MenuStatic;
  session: SessionStatic;
  utilityProcess: UtilityProcessStatic;
}

/** The renderer side of the preload: the subset of ipcRenderer it uses. */
export interface IpcRendererPort {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): this;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): this;
}

export interface ContextBridgePort {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}
