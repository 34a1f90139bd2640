/**
 * Looks for a hardware WebGPU adapter in a child process, before the backend chain loads Dawn in-process.
 *
 * Why a child: on a machine without a GPU, Dawn's adapter discovery writes driver warnings to stderr (with
 * Debian's lavapipe: "Vulkan shaderUniform*ArrayDynamicIndexing required", Mesa's "XDG_RUNTIME_DIR is invalid")
 * and a broken driver can crash the process; neither should reach every `ich train` on a CPU machine. The
 * child only asks for an adapter (about 0.2 s) and prints its summary as JSON; the backend then repeats only the
 * attempt that worked.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dawnAttempts, type AdapterSummary } from './webgpu-adapter.ts';

export type ProbeResult = { adapter: AdapterSummary } | { adapter: null; reason: string };

const PROBE_TIMEOUT_MS = 20_000;

/**
 * The probe itself, as plain JavaScript source (the body of an async function of `job` and `importModule`): the first attempt
 * that yields an adapter wins. Source text, not a function, because the child runs it as-is and a transpiler
 * (tsx, vitest, the bundle) would rewrite a function's own text (helpers, import rewriting).
 */
const FIND_ADAPTER = `
const { create } = await importModule(job.url);
const soft = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\\bsoftware\\b/i;
const notes = [];
for (const a of job.attempts) {
  for (const [k, v] of Object.entries(a.env ?? {})) process.env[k] ??= v;
  const via = a.options.length ? a.options.join(';') : 'default';
  let adapter = null;
  try { adapter = await create(a.options).requestAdapter(a.request); } catch (e) { notes.push('dawn ' + via + ': ' + String(e.message ?? e).split('\\n')[0]); continue; }
  if (!adapter) { notes.push('dawn ' + via + ': no adapter'); continue; }
  const i = adapter.info;
  const s = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
  const fallback = Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter);
  return { adapter: { ...s, software: fallback || soft.test(Object.values(s).join(' ')), via } };
}
return { adapter: null, reason: notes.join('; ') || 'no adapter' };
`;

// The child: plain ESM around the same source, printing its answer as one JSON line.
const CHILD = `const r = await (async (job, importModule) => {${FIND_ADAPTER}})(JSON.parse(process.env.ICH_WEBGPU_PROBE), (u) => import(u));
process.stdout.write(JSON.stringify(r) + '\\n');
process.exit(0);
`;

/** The same probe in this process (Electron's job processes, where no Node child can be started). */
export function findAdapterInProcess(job: { url: string; attempts: unknown[] }): Promise<ProbeResult> {
  // import() is handed in: a Function body has no module context to resolve a dynamic import from.
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (a: string, b: string, body: string) => (job: unknown, importModule: (url: string) => Promise<unknown>) => Promise<ProbeResult>;
  return new AsyncFunction('job', 'importModule', FIND_ADAPTER)(job, (url) => import(url));
}

/** The adapter Dawn finds (or why none), without loading Dawn in this process; software attempts only when allowed. */
export function probeWebGpuAdapter(env: Record<string, string | undefined> = process.env, allowSoftware = false): Promise<ProbeResult> {
  let url: string;
  try {
    url = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return Promise.resolve({ adapter: null, reason: "the package 'webgpu' is not installed" });
  }
  const attempts = dawnAttempts(env).filter((a) => allowSoftware || !a.softwareOnly);
  // Inside Electron (the desktop app's job processes) a Node child would need ELECTRON_RUN_AS_NODE, which the
  // packaged app's fuses forbid: probe in this process instead (each job is its own utility process, so a
  // driver crash ends only that job).
  if (process.versions.electron) return findAdapterInProcess({ url, attempts }).catch((e: unknown) => ({ adapter: null, reason: `adapter probe failed: ${String((e as Error).message ?? e).split('\n')[0]}` }));
  const childEnv = { ...process.env, ICH_WEBGPU_PROBE: JSON.stringify({ url, attempts }) };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD], { env: childEnv, timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(line) as ProbeResult;
        if (parsed && 'adapter' in parsed) {
          resolve(parsed);
          return;
        }
      } catch {
        // fall through: the child died (driver crash, timeout) before printing its answer
      }
      const why = err ? (err.killed ? `timed out after ${PROBE_TIMEOUT_MS / 1000} s` : `exited with ${err.code ?? err.signal ?? 'an error'}`) : 'printed no answer';
      resolve({ adapter: null, reason: `adapter probe ${why}` });
    });
  });
}
