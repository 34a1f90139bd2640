/**
 * GPU failures during a run (device lost, an uncaptured WebGPU error) as one-line errors that name the adapter.
 *
 * WebGPU reports both asynchronously, outside any op's call stack. The watch records the first one, and the
 * backend (webgpu-backend.ts) asks `check()` before every GPU program and around every read, so the next op
 * of the training step throws. The step never completes, so no checkpoint is written from a failed device:
 * a checkpoint's weights are read with `await data()`, which checks again after the read.
 */
/// <reference types="@webgpu/types" />

export class GpuFailureWatch {
  private failure: string | null = null;
  private closing = false;

  constructor(private readonly adapter: string) {}

  /** Subscribes to the device's loss and uncaptured errors. */
  watch(device: GPUDevice): void {
    void device.lost.then((info) => {
      // destroy() on purpose (tests, shutdown) is not a failure
      if (this.closing && info.reason === 'destroyed') return;
      this.fail(`device lost (${info.reason || 'unknown'}${info.message ? `: ${firstLine(info.message)}` : ''})`);
    });
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.fail(`${error.constructor.name || 'GPUError'}: ${firstLine(error.message)}`);
    });
  }

  /** Records a failure (the first one wins: later ones are usually its consequences). */
  fail(reason: string): void {
    this.failure ??= reason;
  }

  /** Marks a deliberate shutdown, after which the device's 'destroyed' loss is expected. */
  close(): void {
    this.closing = true;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Throws the one-line error when the GPU has failed. */
  check(): void {
    if (this.failure !== null) {
      throw new Error(`GPU failure on webgpu adapter ${this.adapter}: ${this.failure}; the run stops here and its last epoch checkpoint is intact (--resume continues it)`);
    }
  }
}

/** Dawn's messages carry an indented " - While ..." trace after the first line. */
export function firstLine(message: string): string {
  return message.split('\n').map((s) => s.trim()).find((s) => s !== '') ?? '';
}
