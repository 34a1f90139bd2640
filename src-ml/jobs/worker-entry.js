// Worker entry: the engine runs as TypeScript through tsx, and a worker thread starts without the main
// thread's module hooks, so it registers tsx before loading the job module named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
