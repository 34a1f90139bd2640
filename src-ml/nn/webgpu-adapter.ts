/**
 * Which WebGPU adapter the engine runs on (Dawn through the `webgpu` npm package), and how it is named.
 *
 * Dawn's default choice (Vulkan on Linux, D3D12 on Windows, Metal on macOS) is tried first. Software
 * adapters are only wanted when ICH_BACKEND=webgpu forces them (they are slower than wasm): on Linux,
 * Mesa's llvmpipe through Dawn's OpenGL path in compatibility mode, with EGL's surfaceless platform so no
 * display is needed. Dawn 0.6.x rejects Debian 12's lavapipe (software Vulkan: "shaderUniform*ArrayDynamicIndexing
 * required"), which is why the GL path is there. ICH_WEBGPU_DAWN replaces the attempts with one set of Dawn
 * options, separated by ';' (e.g. `backend=vulkan;adapter=NVIDIA GeForce RTX 4090`).
 */
/// <reference types="@webgpu/types" />

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader, WARP) or Dawn's fallback adapter. */
  software: boolean;
  /** The Dawn options that found it ('default' for none). */
  via: string;
}

/**
 * The adapter fields this project reads. tfjs pins @webgpu/types 0.1.38, which predates `adapter.info` and
 * `featureLevel` (Dawn 0.6 has both), so they are declared here.
 */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
export type AdapterLike = GPUAdapter & { info: AdapterInfoLike; isFallbackAdapter?: boolean };
export type AdapterRequest = GPURequestAdapterOptions & { featureLevel?: 'core' | 'compatibility' };

export interface DawnAttempt {
  /** Dawn node options, passed to create(). */
  options: string[];
  request: AdapterRequest;
  /** Environment set before the attempt when unset (Mesa reads it when EGL starts). */
  env?: Record<string, string>;
  /** Tried only when software adapters are allowed: on a machine with a GPU, Dawn's default backend is the one to use. */
  softwareOnly: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bsoftware\b/i;

export function isSoftwareAdapter(info: AdapterInfoLike, isFallback: boolean): boolean {
  if (isFallback) return true;
  return SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

export function summarizeAdapter(adapter: AdapterLike, via: string): AdapterSummary {
  const info = adapter.info;
  // isFallbackAdapter moved from the adapter to its info in the spec; Dawn builds differ in which they fill
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const s = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  return { ...s, software: isSoftwareAdapter(s, fallback), via };
}

/** One line: "nvidia hopper, NVIDIA H100 80GB HBM3 (...), hardware". */
export function adapterLabel(a: AdapterSummary): string {
  const name = [a.device, a.description].filter((v, i, all) => v !== '' && all.indexOf(v) === i).join(' / ') || 'unnamed adapter';
  const maker = [a.vendor, a.architecture].filter(Boolean).join(' ');
  const via = a.via === 'default' ? '' : `, dawn ${a.via}`;
  return `${maker ? `${maker}, ` : ''}${name}, ${a.software ? 'software' : 'hardware'}${via}`;
}

/** The attempts, in order, for this platform and environment. */
export function dawnAttempts(env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform): DawnAttempt[] {
  const custom = env['ICH_WEBGPU_DAWN']?.trim();
  if (custom) {
    const options = custom.split(';').map((s) => s.trim()).filter(Boolean);
    const gl = options.some((o) => /^backend=opengl(es)?$/.test(o));
    // Dawn offers its GL backends only in compatibility mode.
    return [{ options, request: gl ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' }, softwareOnly: false, ...(gl ? { env: { EGL_PLATFORM: 'surfaceless' } } : {}) }];
  }
  const attempts: DawnAttempt[] = [{ options: [], request: { powerPreference: 'high-performance' }, softwareOnly: false }];
  if (platform === 'linux') {
    for (const backend of ['opengl', 'opengles']) {
      attempts.push({ options: [`backend=${backend}`], request: { featureLevel: 'compatibility' }, env: { EGL_PLATFORM: 'surfaceless' }, softwareOnly: true });
    }
  }
  return attempts;
}

export function attemptLabel(a: DawnAttempt): string {
  return a.options.length ? a.options.join(';') : 'default';
}
