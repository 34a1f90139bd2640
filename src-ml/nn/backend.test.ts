import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';

/** Loader where the native TensorFlow packages are absent (as on this machine) and the rest load normally. */
const noNative = (specifier: string): Promise<unknown> =>
  specifier.startsWith('@tensorflow/tfjs-node') ? Promise.reject(new Error(`Cannot find package '${specifier}'`)) : import(specifier);

describe('initBackend', () => {
  it('falls through the missing native packages to wasm and logs the choice', async () => {
    const lines: string[] = [];
    const name = await initBackend({ purpose: 'train' }, { env: {}, log: (l) => lines.push(l), importModule: noNative });
    expect(name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(lines).toEqual([expect.stringMatching(/^\[nn\] backend: wasm .*for train$/)]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('falls back to cpu when wasm cannot load', async () => {
    const importModule = (s: string): Promise<unknown> => (s.startsWith('@tensorflow/') ? Promise.reject(new Error('missing')) : import(s));
    const name = await initBackend({ purpose: 'infer' }, { env: {}, log: () => undefined, importModule });
    expect(name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('honours ICH_BACKEND=cpu and ICH_BACKEND=wasm', async () => {
    const deps = { log: () => undefined, importModule: noNative };
    expect(await initBackend({ purpose: 'infer' }, { ...deps, env: { ICH_BACKEND: 'cpu' } })).toBe('cpu');
    expect(await initBackend({ purpose: 'train' }, { ...deps, env: { ICH_BACKEND: 'wasm' } })).toBe('wasm');
  });

  it('fails with a one-line error when the forced backend is unavailable or unknown', async () => {
    const deps = { log: () => undefined, importModule: noNative };
    const forced = initBackend({ purpose: 'train' }, { ...deps, env: { ICH_BACKEND: 'tensorflow' } });
    await expect(forced).rejects.toThrow(/^ICH_BACKEND=tensorflow is unavailable \(tfjs-node-gpu: .*; tfjs-node: .*\)$/);
    await expect(initBackend({ purpose: 'train' }, { ...deps, env: { ICH_BACKEND: 'webgl' } })).rejects.toThrow(
      'ICH_BACKEND=webgl is not one of cpu, wasm, tensorflow, webgpu');
  });

  it('ICH_BACKEND=webgpu with no adapter: one line saying why; the chain passes over a software adapter', async () => {
    const none = { adapter: null, reason: 'dawn default: no adapter; dawn backend=opengl: no adapter' };
    const forced = initBackend({ purpose: 'train' }, { env: { ICH_BACKEND: 'webgpu' }, log: () => undefined, importModule: noNative, probeWebGpu: async () => none });
    await expect(forced).rejects.toThrow(/^ICH_BACKEND=webgpu is unavailable \(webgpu: dawn default: no adapter; dawn backend=opengl: no adapter\)$/);
    const software = { adapter: { vendor: '', architecture: '', device: 'llvmpipe', description: 'Mesa', software: true, via: 'backend=opengl' } };
    expect(await initBackend({ purpose: 'train' }, { env: {}, log: () => undefined, importModule: noNative, probeWebGpu: async () => software })).toBe('wasm');
  });

  it('works with the real module loader (optional native packages absent or present)', async () => {
    const name = await initBackend({ purpose: 'infer' }, { env: {}, log: () => undefined });
    expect(['tensorflow', 'webgpu', 'wasm']).toContain(name);
  });
});
