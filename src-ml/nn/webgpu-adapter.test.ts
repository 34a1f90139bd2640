import { describe, expect, it } from 'vitest';
import { adapterLabel, attemptLabel, dawnAttempts, isSoftwareAdapter } from './webgpu-adapter.ts';
import { filterGradChunks } from './kernels/webgpu-grouped-conv.ts';
import { firstLine } from './webgpu-failure.ts';

describe('webgpu adapters', () => {
  it('tells software adapters from hardware ones', () => {
    expect(isSoftwareAdapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6' }, false)).toBe(true);
    expect(isSoftwareAdapter({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, false)).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }, false)).toBe(true);
    expect(isSoftwareAdapter({ description: 'Microsoft Basic Render Driver' }, false)).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3' }, false)).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' }, false)).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'nvidia' }, true)).toBe(true);
  });

  it('names an adapter in one line', () => {
    expect(adapterLabel({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H100 80GB HBM3', description: 'NVIDIA: 550.54', software: false, via: 'default' }))
      .toBe('nvidia hopper, NVIDIA H100 80GB HBM3 / NVIDIA: 550.54, hardware');
    expect(adapterLabel({ vendor: '', architecture: '', device: 'llvmpipe', description: 'Mesa 22.3.6', software: true, via: 'backend=opengl' }))
      .toBe('llvmpipe / Mesa 22.3.6, software, dawn backend=opengl');
    expect(adapterLabel({ vendor: '', architecture: '', device: '', description: '', software: false, via: 'default' })).toBe('unnamed adapter, hardware');
  });

  it('tries Dawn\'s default first, Mesa\'s GL paths on Linux for software only, or exactly ICH_WEBGPU_DAWN', () => {
    const linux = dawnAttempts({}, 'linux');
    expect(linux.map(attemptLabel)).toEqual(['default', 'backend=opengl', 'backend=opengles']);
    expect(linux.map((a) => a.softwareOnly)).toEqual([false, true, true]);
    expect(linux[1]!.request).toEqual({ featureLevel: 'compatibility' });
    expect(linux[1]!.env).toEqual({ EGL_PLATFORM: 'surfaceless' });
    expect(dawnAttempts({}, 'darwin').map(attemptLabel)).toEqual(['default']);
    const custom = dawnAttempts({ ICH_WEBGPU_DAWN: 'backend=vulkan; adapter=NVIDIA GeForce RTX 4090' }, 'linux');
    expect(custom).toEqual([{ options: ['backend=vulkan', 'adapter=NVIDIA GeForce RTX 4090'], request: { powerPreference: 'high-performance' }, softwareOnly: false }]);
    expect(dawnAttempts({ ICH_WEBGPU_DAWN: 'backend=opengles' }, 'linux')[0]!.request).toEqual({ featureLevel: 'compatibility' });
  });

  it('keeps the first line of a Dawn message', () => {
    expect(firstLine('\nBuffer usages must not be 0.\n - While calling [Device].CreateBuffer([BufferDescriptor ""]).\n')).toBe('Buffer usages must not be 0.');
  });

  it('splits the filter gradient into chunks that cover every pixel once', () => {
    for (const [pixels, weights] of [[32, 216], [2048, 1152], [131072, 4608], [2048, 294912], [7, 10_000_000]] as const) {
      const { chunks, perChunk } = filterGradChunks(pixels, weights);
      expect(chunks * perChunk).toBeGreaterThanOrEqual(pixels);
      expect((chunks - 1) * perChunk).toBeLessThan(pixels);
      expect(chunks).toBeGreaterThanOrEqual(1);
      expect(chunks * weights <= 1 << 24 || chunks === 1).toBe(true);
    }
  });
});
