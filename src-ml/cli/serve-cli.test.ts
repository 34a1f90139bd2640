// `ich serve` as a user starts it: the first stdout line is the URL; the token guards the API.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';

describe('ich serve', () => {
  const t = tempDir('ich-serve-');
  afterAll(() => t.cleanup());

  it('prints the URL first, answers with the token, refuses without it, and binds 127.0.0.1', async () => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/ich.js'), 'serve', '--workspace', path.join(t.dir, 'ws')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`ich serve exited ${code}`)));
      });
      const url = new URL(first);
      expect(url.hostname).toBe('127.0.0.1');
      const token = url.searchParams.get('token')!;
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      const api = `${url.origin}/api/info`;
      const ok = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ich-token': token }, body: '{}' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ labels: ['epidural', 'intraparenchymal', 'intraventricular', 'subarachnoid', 'subdural', 'any'] });
      const refused = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(refused.status).toBe(403);
    } finally {
      child.kill('SIGINT');
    }
  }, 60_000);
});
