import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseWorkspace, defaultUserDataDir, readSettings, workspaceFlag, writeSettings } from './workspace-choice.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ich-choice-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dirs(name: string) {
  const base = path.join(tmp, name);
  const userData = path.join(base, 'user-data');
  const demo = path.join(base, 'demo');
  const last = path.join(base, 'last-ws');
  mkdirSync(base, { recursive: true });
  return { userData, demo, last };
}

describe('chooseWorkspace', () => {
  it('--workspace, then ICH_WORKSPACE, then the last one used, then the demo', () => {
    const d = dirs('order');
    mkdirSync(d.demo);
    writeFileSync(path.join(d.demo, 'index.sqlite'), '');
    mkdirSync(d.last);
    writeSettings(d.userData, { lastWorkspace: d.last });
    const base = { userDataDir: d.userData, demoDir: d.demo, cwd: '/cwd' };
    expect(chooseWorkspace({ ...base, argv: ['--workspace', 'rel'], env: { ICH_WORKSPACE: '/env' } })).toEqual({ dir: '/cwd/rel', source: 'argument' });
    expect(chooseWorkspace({ ...base, argv: ['--workspace=/abs'], env: {} })).toEqual({ dir: '/abs', source: 'argument' });
    expect(chooseWorkspace({ ...base, argv: [], env: { ICH_WORKSPACE: '/env' } })).toEqual({ dir: '/env', source: 'environment' });
    expect(chooseWorkspace({ ...base, argv: [], env: {} })).toEqual({ dir: d.last, source: 'last' });
    rmSync(d.last, { recursive: true });
    expect(chooseWorkspace({ ...base, argv: [], env: {} })).toEqual({ dir: d.demo, source: 'demo' });
  });

  it('a demo bundle (demo.json) is installed once into user data, then opened there', () => {
    const d = dirs('bundle');
    mkdirSync(d.demo);
    writeFileSync(path.join(d.demo, 'demo.json'), '{"format":1}');
    const installed = path.join(d.userData, 'demo-workspace');
    expect(chooseWorkspace({ argv: [], env: {}, userDataDir: d.userData, demoDir: d.demo })).toEqual({ dir: installed, source: 'demo', installDemoFrom: d.demo });
    mkdirSync(installed, { recursive: true });
    writeFileSync(path.join(installed, 'index.sqlite'), '');
    expect(chooseWorkspace({ argv: [], env: {}, userDataDir: d.userData, demoDir: d.demo })).toEqual({ dir: installed, source: 'demo' });
  });

  it('an empty demo folder counts as missing', () => {
    const d = dirs('emptydemo');
    mkdirSync(d.demo);
    expect(chooseWorkspace({ argv: [], env: {}, userDataDir: d.userData, demoDir: d.demo }).source).toBe('empty');
  });

  it('without the demo: an empty workspace under user data, with a one-line note', () => {
    const d = dirs('nodemo');
    const c = chooseWorkspace({ argv: [], env: {}, userDataDir: d.userData, demoDir: d.demo });
    expect(c).toMatchObject({ dir: path.join(d.userData, 'workspace'), source: 'empty' });
    expect(c.note).toMatch(/demo workspace .* is missing; opening an empty workspace at /);
    expect(c.note).not.toContain('\n');
  });

  it('--workspace without a folder is an error', () => {
    expect(() => workspaceFlag(['--workspace'])).toThrow(/needs a folder/);
    expect(() => workspaceFlag(['--workspace', '--browser'])).toThrow(/needs a folder/);
    expect(() => workspaceFlag(['--workspace='])).toThrow(/needs a folder/);
    expect(workspaceFlag(['--other'])).toBeNull();
  });
});

describe('settings', () => {
  it('written atomically (no temporary file left) and read back; junk reads as empty', () => {
    const d = dirs('settings');
    writeSettings(d.userData, { lastWorkspace: '/a' });
    writeSettings(d.userData, { lastWorkspace: '/b' });
    expect(readSettings(d.userData)).toEqual({ lastWorkspace: '/b' });
    expect(readdirSync(d.userData)).toEqual(['settings.json']);
    expect(JSON.parse(readFileSync(path.join(d.userData, 'settings.json'), 'utf8'))).toEqual({ lastWorkspace: '/b' });
    writeFileSync(path.join(d.userData, 'settings.json'), '{not json');
    expect(readSettings(d.userData)).toEqual({});
    writeFileSync(path.join(d.userData, 'settings.json'), '{"lastWorkspace": 5}');
    expect(readSettings(d.userData)).toEqual({});
    expect(readSettings(path.join(tmp, 'nowhere'))).toEqual({});
    expect(existsSync(path.join(tmp, 'nowhere'))).toBe(false);
  });

  it('a relative or vanished last workspace is not used', () => {
    const d = dirs('relative');
    writeSettings(d.userData, { lastWorkspace: 'relative/ws' });
    expect(chooseWorkspace({ argv: [], env: {}, userDataDir: d.userData, demoDir: d.demo }).source).toBe('empty');
  });
});

describe('defaultUserDataDir (= Electron app.getPath("userData") for "ICH Viewer")', () => {
  it('per platform', () => {
    expect(defaultUserDataDir('linux', {}, '/home/u')).toBe('/home/u/.config/ICH Viewer');
    expect(defaultUserDataDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/ICH Viewer');
    expect(defaultUserDataDir('darwin', {}, '/Users/u')).toBe('/Users/u/Library/Application Support/ICH Viewer');
    expect(defaultUserDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Roaming\\ICH Viewer');
  });
});
