// Test helper: gives a plain Node child (child_process.fork) the `process.parentPort` an Electron utility
// process has, over Node's IPC channel, so the real engine entry runs in a real separate process in tests.
import { EventEmitter } from 'node:events';

const port = new EventEmitter();
process.on('message', (data) => port.emit('message', { data }));
port.postMessage = (message) => process.send?.(message);
process.parentPort = port;
