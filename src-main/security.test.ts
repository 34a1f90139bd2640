import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import type { PreventableEventPort, WebContentsPort } from './electron-port.ts';
import {
  allowRequest, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY, guardWebContents, isAppUrl, lockDownSession, mainWindowOptions, SECURITY_HEADERS,
} from './security.ts';

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('window options', () => {
  it('sandbox, context isolation, no node integration, web security, no webview', () => {
    const w = mainWindowOptions('/app/out/main/preload.cjs', false).webPreferences!;
    expect(w).toMatchObject({
      preload: '/app/out/main/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false,
      nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false,
      webviewTag: false, devTools: false,
    });
    expect(mainWindowOptions('/p', true).webPreferences!.devTools).toBe(true);
  });

  it('app:// is a standard secure scheme', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ scheme: 'app', privileges: { standard: true, secure: true } });
  });
});

describe('Content-Security-Policy', () => {
  const d = directives(CONTENT_SECURITY_POLICY);

  it('names no remote origin and no wildcard', () => {
    for (const [name, values] of d) {
      for (const v of values) {
        expect(v, `${name} ${v}`).not.toMatch(/^(https?|wss?|ftp|file):/i);
        expect(v, `${name} ${v}`).not.toMatch(/\*|\./);
      }
    }
  });

  it('scripts: self and wasm only, never inline', () => {
    expect(d.get('default-src')).toEqual(["'none'"]);
    const script = d.get('script-src')!;
    expect(script).toContain("'self'");
    expect(script).toContain("'wasm-unsafe-eval'");
    expect(script).not.toContain("'unsafe-inline'");
    expect(script.every((v) => v.startsWith("'"))).toBe(true);
  });

  it("'unsafe-eval' only while the renderer's DICOM decode worker builds functions from strings", () => {
    // The wado loader's bundle (its decode worker inlined) carries older Emscripten builds of CharLS, OpenJPEG and
    // libjpeg-turbo whose embind glue calls `new Function`; without 'unsafe-eval' JPEG-LS, JPEG 2000 and JPEG
    // baseline fail to decode. Once the worker has no `new Function`, this fails: drop 'unsafe-eval' (here and in
    // the web host's policy).
    const loader = readFileSync(createRequire(import.meta.url).resolve('cornerstone-wado-image-loader'), 'utf8');
    expect(loader).toContain('new Function(');
    expect(d.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'", "'unsafe-eval'"]);
  });

  it('lets the cornerstone blob worker run, and nothing be framed or embedded', () => {
    expect(d.get('worker-src')).toEqual(["'self'", 'blob:']);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });
});

function fakeContents() {
  const listeners = new Map<string, (e: PreventableEventPort, url?: string) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | null = null;
  const contents = {
    setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => { openHandler = h; },
    on(event: string, l: (e: PreventableEventPort, url?: string) => void) {
      listeners.set(event, l);
      return this;
    },
  } as unknown as WebContentsPort;
  const fire = (event: string, url?: string) => {
    const e = { preventDefault: vi.fn() };
    listeners.get(event)!(e, url);
    return e.preventDefault.mock.calls.length > 0;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }) };
}

describe('guardWebContents', () => {
  it('denies every new window', () => {
    const f = fakeContents();
    guardWebContents(f.contents);
    expect(f.open('https://example.com/')).toEqual({ action: 'deny' });
    expect(f.open('app://ich/index.html')).toEqual({ action: 'deny' });
  });

  it('blocks navigation and redirects off the app origin', () => {
    const f = fakeContents();
    guardWebContents(f.contents);
    expect(f.fire('will-navigate', 'https://example.com/')).toBe(true);
    expect(f.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(f.fire('will-navigate', 'app://other/index.html')).toBe(true);
    expect(f.fire('will-redirect', 'http://127.0.0.1:8080/')).toBe(true);
    expect(f.fire('will-navigate', 'app://ich/index.html')).toBe(false);
    expect(f.fire('will-attach-webview')).toBe(true);
  });
});

describe('requests and permissions', () => {
  it('allows only the app origin and in-page data', () => {
    expect(allowRequest('app://ich/assets/index.js')).toBe(true);
    expect(allowRequest('blob:app://ich/1234')).toBe(true);
    expect(allowRequest('data:application/wasm;base64,AA')).toBe(true);
    for (const url of ['https://cdn.example.com/x.js', 'http://127.0.0.1:1/', 'ws://localhost/ws', 'file:///etc/passwd', 'app://evil/x', 'ftp://x/']) {
      expect(allowRequest(url), url).toBe(false);
    }
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('lockDownSession denies permission requests and checks, and cancels remote requests', () => {
    let permission: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
    let check: ((wc: unknown, p: string, origin: string) => boolean) | null = null;
    let before: ((d: { url: string }, cb: (r: { cancel?: boolean }) => void) => void) | null = null;
    lockDownSession({
      setPermissionRequestHandler: (h) => { permission = h; },
      setPermissionCheckHandler: (h) => { check = h; },
      webRequest: { onBeforeRequest: (_f, l) => { before = l; } },
    });
    const granted = vi.fn();
    permission!(null, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
    expect(check).toBeTypeOf('function');
    for (const p of ['media', 'clipboard-read', 'clipboard-sanitized-write', 'notifications', 'geolocation', 'hid', 'serial', 'usb', 'fullscreen']) {
      expect(check!(null, p, 'app://ich'), p).toBe(false);
      expect(check!(null, p, 'https://example.com'), p).toBe(false);
    }
    const cb = vi.fn();
    before!({ url: 'https://example.com/' }, cb);
    before!({ url: 'app://ich/index.html' }, cb);
    expect(cb.mock.calls).toEqual([[{ cancel: true }], [{ cancel: false }]]);
  });
});
