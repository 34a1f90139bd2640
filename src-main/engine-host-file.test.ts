// EngineHost.indexedFileOfImage: the engine process's `file` answer (the indexed record: path, size, mtime,
// identity) reaches the app:// route checked back into an IndexedFile; an older answer (a bare path) stays a path.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { FromEngine, ToEngine } from '../src-ml/host/engine-process-protocol.ts';
import type { UtilityProcessPort } from './electron-port.ts';
import { EngineHost } from './engine-host.ts';

class FakeChild extends EventEmitter {
  readonly pid = 1000;
  readonly sent: ToEngine[] = [];
  postMessage(m: unknown) {
    this.sent.push(m as ToEngine);
  }
  kill() {
    return true;
  }
  reply(m: FromEngine) {
    this.emit('message', m);
  }
}

describe('EngineHost.indexedFileOfImage', () => {
  it('returns the indexed record, a bare path, or null', async () => {
    const child = new FakeChild();
    const host = new EngineHost({ fork: () => child as unknown as UtilityProcessPort, onEvent: () => {} });
    host.start();
    child.reply({ type: 'ready', workspace: '/ws' });
    const identity = { dev: '2049', ino: '77', size: 10, mtimeNs: '1700000000123456789', link: false };
    const full = host.indexedFileOfImage('1.2.3');
    const bare = host.indexedFileOfImage('1.2.4');
    const missing = host.indexedFileOfImage('9.9');
    const [a, b, c] = child.sent;
    child.reply({ type: 'response', id: a!.id, ok: true, value: { path: '/data/a.dcm', size: 10, mtimeMs: 1700000000123, identity } });
    child.reply({ type: 'response', id: b!.id, ok: true, value: { path: '/data/b.dcm' } });
    child.reply({ type: 'response', id: c!.id, ok: false, error: { code: 'not_found', message: 'no image 9.9' } });
    await expect(full).resolves.toEqual({ path: '/data/a.dcm', size: 10, mtimeMs: 1700000000123, identity });
    await expect(bare).resolves.toBe('/data/b.dcm');
    await expect(missing).resolves.toBeNull();
    host.stop();
  });
});
