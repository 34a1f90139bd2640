// Worker entry: the engine ships as TypeScript run through tsx, and a worker thread starts without
// the main thread's module hooks, so it registers tsx before loading the real worker body.
import { register } from 'tsx/esm/api';

register();
await import('./scan-worker.ts');
