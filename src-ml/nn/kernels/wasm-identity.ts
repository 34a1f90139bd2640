/**
 * Identity for the wasm backend without a copy. The built-in kernel copies its input; tfjs-core runs it for
 * every tensor it saves for the backward pass (engine.clone), so a training step copied each large
 * activation once more (~2% of a BenchCNN step). Tensors are immutable (a variable's assign takes a new
 * buffer), so sharing the buffer by reference count, as the backend's Reshape does, is safe.
 */
import { getKernel, Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

let builtinIdentity: KernelConfig | undefined;

function identityWasm(args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs: { x }, backend } = args;
  if (x.dtype === 'string') {
    if (!builtinIdentity) throw new Error('Identity (wasm): built-in kernel not captured');
    return builtinIdentity.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  }
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityWasmConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identityWasm as unknown as KernelFunc,
};

/** Remembers the backend's own Identity (for strings) before it is replaced. */
export function captureBuiltinIdentity(): void {
  const existing = getKernel(Identity, 'wasm');
  if (existing && existing.kernelFunc !== identityWasmConfig.kernelFunc) builtinIdentity = existing;
}
