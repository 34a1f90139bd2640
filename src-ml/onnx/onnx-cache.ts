/**
 * Exported graphs kept beside their model, so a model is exported once, not on every `ich predict`:
 * <model dir>/model.<key>.onnx, key = the first 16 hex digits of a SHA-256 over the model's model.json,
 * weights.bin and meta.json (meta holds the base CNN's architecture), the export family and the exporter's
 * own source (a changed exporter re-exports). A model saved again gets a new folder and so a new export;
 * a version's folder (hard links) gains only the new file, and an older model.*.onnx there is removed.
 * Where the model folder is read-only the graph goes to <OS temp>/ich-onnx/<key>.onnx instead.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../base/atomic-write.ts';
import { MODEL_JSON, WEIGHTS_BIN, META_JSON } from '../nn/model-io.ts';
import { ONNX_EXPORT_VERSION, type OnnxFamily } from './export.ts';
import type { OnnxBytesCache } from './runtime-forward.ts';

/** Bump when the cached files' meaning changes in a way the exporter's source does not show. */
export const ONNX_CACHE_FORMAT = 1;
const CACHED = /^model\.[0-9a-f]{16}\.onnx$/;

let exporterHash: string | undefined;
/** The exporter's source (this folder's modules but the runtime's, tests and benchmarks), or the bundle this module was built into. */
function exporterFingerprint(): string {
  if (exporterHash) return exporterHash;
  const here = fileURLToPath(import.meta.url);
  const dir = path.dirname(here);
  const h = createHash('sha256');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.ts$/.test(f) && !/\.test\.ts$/.test(f) && !/^(runtime|onnx-cache)|test-utils|-bench/.test(f)).sort();
  } catch {
    // No readable folder (a packed build): the bundle below stands for the exporter.
  }
  if (files.length === 0) files = [path.basename(here)];
  for (const f of files) h.update(f).update(readFileSync(path.join(dir, f)));
  return (exporterHash = h.digest('hex'));
}

/** The cache key of the model in `modelDir` exported as `family`. */
export async function onnxCacheKey(modelDir: string, family: OnnxFamily): Promise<string> {
  const h = createHash('sha256').update(`ich-onnx-cache/${ONNX_CACHE_FORMAT}/${ONNX_EXPORT_VERSION}/${family}/${exporterFingerprint()}`);
  for (const name of [MODEL_JSON, WEIGHTS_BIN, META_JSON]) {
    const bytes = await readFile(path.join(modelDir, name));
    h.update(`${name}:${bytes.length}:`).update(bytes);
  }
  return h.digest('hex').slice(0, 16);
}

/** The temp folder for models whose own folder cannot be written. */
export function fallbackCacheDir(): string {
  return path.join(tmpdir(), 'ich-onnx');
}

/** The file's bytes, or null where it is missing or unreadable (the graph is then exported again). */
async function readIfThere(file: string): Promise<Uint8Array | null> {
  try {
    return await readFile(file);
  } catch {
    return null;
  }
}

/**
 * The cache of one model folder. write() never throws: a graph that cannot be kept is exported again next
 * time, which costs time, not correctness.
 */
export function modelDirCache(modelDir: string, family: OnnxFamily, options: { tmpDir?: string } = {}): OnnxBytesCache & { key(): Promise<string> } {
  const tmpDir = options.tmpDir ?? fallbackCacheDir();
  let keyPromise: Promise<string> | undefined;
  const key = (): Promise<string> => (keyPromise ??= onnxCacheKey(modelDir, family));
  return {
    key,
    async read() {
      const k = await key();
      return (await readIfThere(path.join(modelDir, `model.${k}.onnx`))) ?? (await readIfThere(path.join(tmpDir, `${k}.onnx`)));
    },
    async write(bytes) {
      const k = await key();
      const name = `model.${k}.onnx`;
      try {
        await writeFileAtomic(path.join(modelDir, name), bytes);
        // Exports of earlier weights: a folder keeps only the current one.
        for (const f of await readdir(modelDir)) if (CACHED.test(f) && f !== name) await rm(path.join(modelDir, f), { force: true });
        return;
      } catch {
        // Read-only model folder (a bundled demo, a shared workspace): the temp folder below.
      }
      try {
        await mkdir(tmpDir, { recursive: true });
        await writeFileAtomic(path.join(tmpDir, `${k}.onnx`), bytes);
      } catch {
        // Nowhere to keep it: exported again next time.
      }
    },
  };
}
