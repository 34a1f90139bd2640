// The worker side of runtime-split.ts (started through jobs/worker-entry.js): one ONNX Runtime session over the
// graph in workerData, answering run requests one at a time; outputs go back as transferred buffers.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../base/errors.ts';
import { OrtModel, type ArrayInput } from './runtime.ts';

export interface OrtWorkerData {
  module: string;
  bytes: Uint8Array;
  label: string;
  threads: number;
  spin: boolean;
}

export type OrtWorkerRequest = { id: number; inputs: ArrayInput[] };

export type OrtWorkerReply =
  | { id: -1; ready: true; inputNames: string[]; outputNames: string[] }
  | { id: number; outputs: Float32Array[] }
  | { id: number; error: string };

if (!isMainThread && parentPort) {
  const port = parentPort;
  const { bytes, label, threads, spin } = workerData as OrtWorkerData;
  const reply = (msg: OrtWorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  let model: OrtModel | undefined;
  try {
    model = await OrtModel.create(bytes, label, { threads, spin });
    reply({ id: -1, ready: true, inputNames: [...model.inputNames], outputNames: [...model.outputNames] });
  } catch (err) {
    // the parent reports it and ends this thread
    reply({ id: -1, error: errorMessage(err) });
  }
  port.on('message', async ({ id, inputs }: OrtWorkerRequest) => {
    try {
      if (!model) throw new Error(`${label}: no ONNX Runtime session`);
      // copied out of ORT's own buffers (which may not be transferable), then moved, not cloned
      const outputs = (await model.run(inputs)).map((o) => o.slice());
      reply({ id, outputs }, outputs.map((o) => o.buffer as ArrayBuffer));
    } catch (err) {
      reply({ id, error: errorMessage(err) });
    }
  });
}
