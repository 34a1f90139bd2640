// The security model of the desktop shell, as data and small functions the tests check:
// - the page is the app's own build, served over the privileged app:// scheme (never file://, never remote);
// - the window is sandboxed with context isolation, no Node integration, web security on;
// - a strict Content-Security-Policy: scripts only from the app (plus wasm compilation and the eval the
//   codecs' Emscripten glue needs), the DICOM decode worker as a blob, no remote origin anywhere;
// - navigation away from the app, new windows, webviews, permission requests and permission checks are refused;
// - requests to the network (http, https, ws, ...) are cancelled: the app loads no remote content.
import type { BrowserWindowOptionsPort, CustomSchemePort, PermissionSessionPort, WebContentsPort, WebPreferencesPort } from './electron-port.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'ich';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/** app:// behaves like https for the page: a standard, secure origin that may use fetch and stream. */
export const APP_SCHEME_PRIVILEGES: CustomSchemePort = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true },
};

/**
 * The page's policy. The cornerstone wado loader builds its decode worker as a blob (worker-src blob:) and
 * decodes with wasm codecs ('wasm-unsafe-eval'). 'unsafe-eval' is still needed: the worker bundle of
 * cornerstone-wado-image-loader 4.13.2 carries its own, older builds of the CharLS, OpenJPEG and libjpeg-turbo
 * codecs, whose Emscripten embind glue creates functions with `new Function` when a codec starts. Checked in
 * Debian Chromium with that worker under this policy less 'unsafe-eval': JPEG-LS, JPEG 2000 and JPEG baseline
 * frames fail ("Evaluating a string as JavaScript violates the following Content Security Policy directive"),
 * only JPEG lossless (plain JS) decodes. The codec packages themselves (@cornerstonejs/codec-* in package.json,
 * which the engine uses) are eval-free; a decode worker built on them could drop 'unsafe-eval'
 * (security.test.ts fails once the loader's worker no longer contains `new Function`). No 'unsafe-inline'
 * script, no remote origin. Inline styles are allowed (React style attributes; they cannot run code).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' data: blob:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "object-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Headers on every app:// response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function secureWebPreferences(preload: string, devTools: boolean): WebPreferencesPort {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools,
  };
}

export function mainWindowOptions(preload: string, devTools: boolean): BrowserWindowOptionsPort {
  return {
    width: 1600, height: 1000, minWidth: 960, minHeight: 600,
    title: 'ICH Viewer', show: false, backgroundColor: '#111111',
    webPreferences: secureWebPreferences(preload, devTools),
  };
}

/** True for URLs of the app's own origin (app://ich/...). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Every web contents: no new windows, no navigation or redirect off the app, no webviews. */
export function guardWebContents(contents: WebContentsPort): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Whether a request leaving a page may proceed: the app's own scheme and in-page data only. */
export function allowRequest(url: string): boolean {
  const scheme = url.slice(0, Math.max(0, url.indexOf(':'))).toLowerCase();
  if (scheme === APP_SCHEME) return isAppUrl(url);
  return scheme === 'data' || scheme === 'blob' || scheme === 'devtools';
}

/**
 * No camera, microphone, geolocation, notifications, clipboard...: every permission request is denied, and every
 * permission check (navigator.permissions.query, feature probes) answers "not granted".
 */
export function lockDownSession(session: PermissionSessionPort): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => callback({ cancel: !allowRequest(details.url) }));
}
