// Files of the built renderer. A request path maps to a file only through checked segments (no `..`, no
// encoded separators or NULs, no dotfiles), the resolved real path must stay inside the real root (symlinks
// included), and folders are never listed.
import { createReadStream, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticFile {
  file: string;
  stat: Stats;
  contentType: string;
}

/** The file a URL path names under root, or null (absent, a folder, or outside root). `/` is index.html. */
export function resolveStatic(root: string, urlPath: string): StaticFile | null {
  const raw = urlPath === '/' ? ['index.html'] : urlPath.split('/').slice(1);
  const parts: string[] = [];
  for (const seg of raw) {
    let s: string;
    try {
      s = decodeURIComponent(seg);
    } catch {
      return null;
    }
    if (s === '' || s === '.' || s === '..' || s.startsWith('.') || /[/\\\0:]/.test(s)) return null;
    parts.push(s);
  }
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(path.join(realRoot, ...parts));
  } catch {
    return null;
  }
  if (!real.startsWith(realRoot + path.sep)) return null;
  const stat = statSync(real);
  if (!stat.isFile()) return null;
  return { file: real, stat, contentType: contentTypeOf(real) };
}

export function openStatic(f: StaticFile): NodeJS.ReadableStream {
  return createReadStream(f.file);
}

/** Shown when no built renderer exists (npm run build of src-renderer has not run). */
export const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ICH Viewer</title></head>
<body style="font-family: sans-serif; margin: 2em">
<h1>ICH Viewer engine is running</h1>
<p>The renderer is not built: build src-renderer into dist-renderer (or pass <code>--static &lt;dir&gt;</code>), then reload this page.</p>
<p>The engine API answers at <code>POST /api/&lt;method&gt;</code>.</p>
<p>Research use only. Not a medical device.</p>
</body></html>
`;
