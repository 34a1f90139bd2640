import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAppProtocolHandler } from './app-protocol.ts';
import { CONTENT_SECURITY_POLICY } from './security.ts';

let root: string;
let handler: (r: Request) => Promise<Response>;
const fileOfImage = vi.fn(async (id: string) => (id === '1.2.3.4' ? path.join(root, 'dicom', 'a.dcm') : null));

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ich-app-protocol-'));
  mkdirSync(path.join(root, 'dist', 'assets'), { recursive: true });
  mkdirSync(path.join(root, 'dicom'));
  writeFileSync(path.join(root, 'dist', 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(root, 'dist', 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'dist', '.env'), 'hidden');
  writeFileSync(path.join(root, 'secret.txt'), 'SECRET');
  writeFileSync(path.join(root, 'dicom', 'a.dcm'), Buffer.from('DICM-bytes'));
  writeFileSync(path.join(root, 'dicom', 'b.dcm'), Buffer.from('not indexed'));
  symlinkSync(path.join(root, 'secret.txt'), path.join(root, 'dist', 'assets', 'link.txt'));
  handler = createAppProtocolHandler({ rendererDir: path.join(root, 'dist'), fileOfImage });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A request as the handler receives it; `raw` skips the Fetch URL parser (which resolves dot segments). */
const get = (url: string, raw = false, method = 'GET') => handler(raw ? ({ url, method } as Request) : new Request(url, { method }));

describe('app:// renderer files', () => {
  it('serves index.html and assets with the CSP', async () => {
    const r = await get('app://ich/index.html');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await r.text()).toContain('<title>app</title>');
    expect(await (await get('app://ich/')).text()).toContain('<title>app</title>');
    const js = await get('app://ich/assets/index.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toBe('console.log(1)');
  });

  it.each([
    ['app://ich/../secret.txt', true],
    ['app://ich/assets/../../secret.txt', true],
    ['app://ich/%2e%2e/secret.txt', true],
    ['app://ich/assets/%2E%2E/%2e%2e/secret.txt', true],
    ['app://ich/assets/..%2f..%2fsecret.txt', true],
    ['app://ich/assets/..%5c..%5csecret.txt', true],
    ['app://ich/%2fetc%2fpasswd', true],
    ['app://ich/secret.txt', false],
    ['app://ich/../secret.txt', false],
    ['app://ich/%2e%2e/secret.txt', false],
    ['app://ich/assets/link.txt', false],
    ['app://ich/.env', false],
    ['app://ich/assets', false],
    ['app://ich/index.html%00.js', false],
    ['app://evil/index.html', false],
  ])('refuses %s (raw %s)', async (url, raw) => {
    const r = await get(url, raw);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(await r.text()).not.toContain('SECRET');
  });

  it('refuses methods other than GET and HEAD', async () => {
    expect((await get('app://ich/index.html', true, 'POST')).status).toBe(405);
    const head = await get('app://ich/index.html', false, 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('shows a placeholder page when the renderer is not built', async () => {
    const h = createAppProtocolHandler({ rendererDir: null, fileOfImage });
    const r = await h(new Request('app://ich/index.html'));
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/renderer is not built/);
    expect((await h(new Request('app://ich/assets/index.js'))).status).toBe(404);
  });
});

describe('app://ich/dicom/<imageId>', () => {
  it('serves the bytes of an indexed image', async () => {
    const r = await get('app://ich/dicom/1.2.3.4');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/dicom');
    expect(Buffer.from(await r.arrayBuffer()).toString()).toBe('DICM-bytes');
    expect(fileOfImage).toHaveBeenCalledWith('1.2.3.4');
  });

  it('refuses images the index does not list, and anything shaped like a path', async () => {
    fileOfImage.mockClear();
    expect((await get('app://ich/dicom/9.9.9')).status).toBe(404);
    expect(fileOfImage).toHaveBeenCalledWith('9.9.9');
    fileOfImage.mockClear();
    for (const [url, raw] of [
      ['app://ich/dicom/..%2f..%2fsecret.txt', false],
      ['app://ich/dicom/%2e%2e', true],
      ['app://ich/dicom/../secret.txt', true],
      ['app://ich/dicom/a/b', false],
      ['app://ich/dicom/b.dcm%00', false],
      ['app://ich/dicom/%2Fetc%2Fpasswd', false],
      ['app://ich/dicom/C%3A%5Cwindows', false],
      ['app://ich/dicom/%E0%A4%A', false],
      ['app://ich/dicom/', false],
    ] as const) {
      const r = await get(url, raw);
      expect(r.status, url).toBeGreaterThanOrEqual(400);
      expect(await r.text()).not.toContain('SECRET');
    }
    // Only valid image ids ever reach the index lookup.
    expect(fileOfImage).not.toHaveBeenCalled();
  });

  it('says so when an indexed file is gone from disk', async () => {
    const h = createAppProtocolHandler({ rendererDir: null, fileOfImage: async () => path.join(root, 'dicom', 'gone.dcm') });
    const r = await h(new Request('app://ich/dicom/1.2.3'));
    expect(r.status).toBe(404);
    expect(await r.text()).toMatch(/gone from disk/);
  });
});
