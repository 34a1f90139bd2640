// Electron smoke test: the real desktop app (out/main/main.cjs) under Playwright's Electron launcher. Runs
// wherever the Electron binary exists; skipped, saying why, where it does not (an offline install, or this
// CI machine, which cannot download it).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_METHODS } from '../src-ml/api/engine.ts';
import { buildMain } from './build.ts';
import { detectElectron } from './launcher.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const electron = detectElectron(createRequire(path.join(root, 'package.json')));
const reason = electron.ok ? '' : `skipped: ${electron.reason}`;
if (!electron.ok) process.stdout.write(`Electron smoke test ${reason}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ich-electron-smoke-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe(electron.ok ? 'Electron smoke' : `Electron smoke (${reason})`, () => {
  it.skipIf(!electron.ok)('opens the app window on app://ich, sandboxed, with window.ich talking to the engine process', async () => {
    if (!electron.ok) return;
    const { _electron } = await import('playwright-core');
    await buildMain();
    const workspace = path.join(tmp, 'ws');
    const env = { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'config') } as Record<string, string>;
    delete env.ELECTRON_RUN_AS_NODE;
    // Chromium's OS sandbox cannot start as root (containers); the renderer's own sandbox (webPreferences) stays on.
    const app = await _electron.launch({ executablePath: electron.binary, args: [root, '--workspace', workspace, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])], cwd: root, env, timeout: 60_000 });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      expect(page.url()).toBe('app://ich/index.html');
      const surface = await page.evaluate(() => {
        const w = window as unknown as { ich?: Record<string, unknown>; require?: unknown; process?: unknown };
        return { keys: Object.keys(w.ich ?? {}).sort(), require: typeof w.require, process: typeof w.process };
      });
      expect(surface.keys).toEqual([...ENGINE_METHODS, 'onEvent', 'openFolderDialog'].sort());
      expect(surface.require).toBe('undefined');
      expect(surface.process).toBe('undefined');
      const info = await page.evaluate(() => (window as unknown as { ich: { info(): Promise<{ workspace: string }> } }).ich.info());
      expect(info.workspace).toBe(workspace);
      const refused = await page.evaluate(() => (window as unknown as { ich: { getSeries(id: string): Promise<unknown> } }).ich.getSeries('../x').then(() => 'accepted', (e: Error) => e.message));
      expect(refused).toMatch(/seriesUid must be/);
      const remote = await page.evaluate(() => fetch('https://example.com/').then(() => 'loaded', () => 'blocked'));
      expect(remote).toBe('blocked');
    } finally {
      await app.close();
    }
  });
});
