import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { detectElectron, openerCommand, parseStartArgs } from './launcher.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ich-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeRequire(resolve: () => string, load: () => unknown) {
  return Object.assign(() => load(), { resolve });
}

describe('detectElectron', () => {
  const never = () => {
    throw new Error('detection must not load electron (its main downloads the binary)');
  };
  it('no package', () => {
    const s = detectElectron(fakeRequire(() => { throw new Error('Cannot find module'); }, never));
    expect(s).toEqual({ ok: false, reason: expect.stringMatching(/electron package is not installed/) });
  });
  it('package without binary (no path.txt: never downloaded), without loading the package', () => {
    const read = vi.fn((p: string): string => { throw new Error(`ENOENT ${p}`); });
    const s = detectElectron(fakeRequire(() => '/x/electron/index.js', never), () => false, read);
    expect(s).toEqual({ ok: false, reason: expect.stringMatching(/has no binary.*npx --no install-electron/) });
    expect(read).toHaveBeenCalledWith('/x/electron/path.txt');
  });
  it('path.txt naming a binary that does not exist', () => {
    expect(detectElectron(fakeRequire(() => '/x/electron/index.js', never), () => false, () => 'electron')).toEqual({ ok: false, reason: expect.stringMatching(/binary is missing \(\/x\/electron\/dist\/electron/) });
    expect(detectElectron(fakeRequire(() => '/x/electron/index.js', never), () => true, () => '')).toMatchObject({ ok: false });
  });
  it('binary present', () => {
    const s = detectElectron(fakeRequire(() => '/opt/electron/index.js', never), (p) => p === '/opt/electron/dist/electron', (p) => (p === '/opt/electron/path.txt' ? 'electron\n' : ''));
    expect(s).toEqual({ ok: true, binary: '/opt/electron/dist/electron' });
  });
});

describe('openerCommand', () => {
  const url = 'http://127.0.0.1:1/?token=t';
  it('per platform, only with a display on Linux', () => {
    expect(openerCommand(url, 'darwin', {}, () => false)).toEqual(['open', [url]]);
    expect(openerCommand(url, 'win32', {}, () => false)).toEqual(['cmd', ['/c', 'start', '""', url]]);
    expect(openerCommand(url, 'linux', {}, () => true)).toBeNull();
    expect(openerCommand(url, 'linux', { DISPLAY: ':0' }, () => false)).toBeNull();
    expect(openerCommand(url, 'linux', { WAYLAND_DISPLAY: 'wayland-0' }, (c) => c === 'xdg-open')).toEqual(['xdg-open', [url]]);
  });
  it('parseStartArgs', () => {
    expect(parseStartArgs(['--browser', '--workspace', '/w', '--no-open', '--no-build'], {})).toEqual({ browser: true, open: false, build: false, rest: ['--workspace', '/w'] });
    expect(parseStartArgs([], { ICH_NO_OPEN: '1' })).toEqual({ browser: false, open: false, build: true, rest: [] });
  });
});

describe('npm start (browser fallback, for real)', () => {
  const electronHere = detectElectron(createRequire(path.join(root, 'package.json')));

  it('says why in one line, serves the same workspace through ich serve and prints a working URL', async () => {
    const ws = path.join(tmp, 'ws');
    // Where Electron is installed, --browser forces the fallback; here it is not installed and no flag is needed.
    const args = electronHere.ok ? ['--browser'] : [];
    const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
    // --no-build: a fresh checkout has no dist-renderer, and a renderer build has no place inside a unit test.
    const child = spawn(process.execPath, [tsx, 'src-main/start.ts', ...args, '--workspace', ws, '--no-open', '--no-build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines: string[] = [];
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => {
          lines.push(l);
          const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)$/.exec(l);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${lines.join(' | ')}`)));
      });
      expect(lines[0]).toMatch(electronHere.ok
        ? /^npm start: Electron is not installed here \(started with --browser\); opening the app in the browser through ich serve instead$/
        : /^npm start: Electron is not installed here \(the electron package .*\); opening the app in the browser through ich serve instead$/);
      expect(lines.find((l) => l.includes(url))).toContain(`workspace ${ws}`);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const info = await fetch(new URL('/api/info', url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-ich-token': new URL(url).searchParams.get('token')! }, body: '{}' });
      expect(((await info.json()) as { workspace: string }).workspace).toBe(ws);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
