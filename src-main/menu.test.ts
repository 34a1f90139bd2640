import { describe, expect, it, vi } from 'vitest';
import type { MenuItemPort } from './electron-port.ts';
import { menuTemplate } from './menu.ts';

const flat = (items: MenuItemPort[]): MenuItemPort[] => items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);

describe('menuTemplate', () => {
  const actions = () => ({ openFolder: vi.fn(), reload: vi.fn(), toggleDevTools: vi.fn() });

  it('open folder, reload and quit have shortcuts; clicks reach the actions', () => {
    const a = actions();
    const items = flat(menuTemplate(a, { isDev: false, platform: 'linux' }));
    const open = items.find((i) => i.label === 'Open Folder…')!;
    expect(open.accelerator).toBe('CmdOrCtrl+O');
    open.click!();
    expect(a.openFolder).toHaveBeenCalledOnce();
    const reload = items.find((i) => i.label === 'Reload')!;
    expect(reload.accelerator).toBe('CmdOrCtrl+R');
    reload.click!();
    expect(a.reload).toHaveBeenCalledOnce();
    expect(items.find((i) => i.role === 'quit')?.accelerator).toBe('CmdOrCtrl+Q');
  });

  it('developer tools only in development', () => {
    const dev = flat(menuTemplate(actions(), { isDev: true, platform: 'linux' }));
    const prod = flat(menuTemplate(actions(), { isDev: false, platform: 'linux' }));
    expect(dev.some((i) => /Developer Tools/.test(i.label ?? ''))).toBe(true);
    expect(prod.some((i) => /Developer Tools/.test(i.label ?? ''))).toBe(false);
  });

  it('macOS gets the app menu with quit on Cmd+Q', () => {
    const mac = menuTemplate(actions(), { isDev: false, platform: 'darwin' });
    expect(mac[0]!.label).toBe('ICH Viewer');
    expect(flat(mac[0]!.submenu!).find((i) => i.role === 'quit')?.accelerator).toBe('Cmd+Q');
  });
});
