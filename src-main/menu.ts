// The application menu: open folder, reload, devtools (development only), zoom, quit, with shortcuts.
import type { MenuItemPort } from './electron-port.ts';

export interface MenuActions {
  openFolder: () => void;
  reload: () => void;
  toggleDevTools: () => void;
}

export interface MenuOptions {
  /** Unpackaged (npm start): the devtools item exists only then. */
  isDev: boolean;
  platform: NodeJS.Platform;
}

export function menuTemplate(actions: MenuActions, options: MenuOptions): MenuItemPort[] {
  const mac = options.platform === 'darwin';
  const file: MenuItemPort = {
    label: 'File',
    submenu: [
      { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: actions.openFolder },
      { type: 'separator' },
      mac ? { role: 'close' } : { label: 'Quit', accelerator: 'CmdOrCtrl+Q', role: 'quit' },
    ],
  };
  const view: MenuItemPort = {
    label: 'View',
    submenu: [
      { label: 'Reload', accelerator: 'CmdOrCtrl+R', click: actions.reload },
      ...(options.isDev ? [{ label: 'Toggle Developer Tools', accelerator: mac ? 'Alt+Cmd+I' : 'Ctrl+Shift+I', click: actions.toggleDevTools }] : []),
      { type: 'separator' },
      { role: 'resetZoom', accelerator: 'CmdOrCtrl+0' },
      { role: 'zoomIn', accelerator: 'CmdOrCtrl+=' },
      { role: 'zoomOut', accelerator: 'CmdOrCtrl+-' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const edit: MenuItemPort = {
    label: 'Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  };
  const appMenu: MenuItemPort[] = mac
    ? [{ label: 'ICH Viewer', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { label: 'Quit ICH Viewer', accelerator: 'Cmd+Q', role: 'quit' }] }]
    : [];
  return [...appMenu, file, edit, view];
}
