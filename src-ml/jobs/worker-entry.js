// Worker entry: a worker thread starts without the main thread's module hooks. When the main thread runs from
// the engine bundle (src-ml/bundle), the job module named in workerData loads from that same build; otherwise
// (or if the module is not one of the build's entries) the worker registers tsx and loads the TypeScript.
import { workerData } from 'node:worker_threads';
import { parentBundle } from '../bundle/bundle-runtime.js';

const bundle = parentBundle();
if (bundle?.has(workerData.module)) {
  bundle.install();
} else {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.module);
