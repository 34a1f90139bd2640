/**
 * The project's own kernels for the webgpu backend. tfjs-backend-webgpu 4.22 has every built-in kernel the
 * models train with (convolution and pooling gradients, FusedBatchNorm, Tile, Sum, Mean: the ones the project
 * had to add for wasm), so only the grouped convolution is added here (webgpu-grouped-conv.ts). Idempotent.
 */
import { getKernel, registerKernel } from '@tensorflow/tfjs';
import { registerGroupedConvGradient } from './webgpu-grouped-conv-op.ts';
import { webGpuGroupedConvKernels } from './webgpu-grouped-conv.ts';

export function registerWebGpuKernels(): void {
  for (const config of webGpuGroupedConvKernels) {
    if (!getKernel(config.kernelName, config.backendName)) registerKernel(config);
  }
  registerGroupedConvGradient();
}
