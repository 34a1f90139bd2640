import { describe, expect, it, vi } from 'vitest';
import { EngineCallError, HttpEngineClient, tokenFromSearch } from './http-client.ts';
import type { SocketLike } from './event-socket.ts';

type Call = { url: string; init: RequestInit };

function fakeFetch(respond: (url: string) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return respond(String(input));
  }) as typeof fetch;
  return { fn, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  message(data: unknown) {
    this.onmessage?.({ data } as MessageEvent);
  }
  drop() {
    this.onclose?.({} as CloseEvent);
  }
}

describe('HttpEngineClient', () => {
  it('reads the token from the page URL', () => {
    expect(tokenFromSearch('?token=abc123&x=1')).toBe('abc123');
    expect(tokenFromSearch('')).toBe('');
  });

  it('POSTs JSON to /api/<method> with the token header', async () => {
    const f = fakeFetch(() => json(200, [{ studyUid: '1' }]));
    const client = new HttpEngineClient({ token: 'tok', baseUrl: 'http://127.0.0.1:9000/', fetch: f.fn });
    expect(await client.listStudies({ filter: 'x' })).toEqual([{ studyUid: '1' }]);
    await client.getSeries('1.2.3');
    expect(f.calls.map((c) => c.url)).toEqual(['http://127.0.0.1:9000/api/listStudies', 'http://127.0.0.1:9000/api/getSeries']);
    const init = f.calls[1]!.init;
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ 'x-ich-token': 'tok', 'Content-Type': 'application/json' });
    expect(JSON.parse(String(init.body))).toEqual({ seriesUid: '1.2.3' });
  });

  it('training calls: the bodies the engine validates', async () => {
    const f = fakeFetch(() => json(200, {}));
    const client = new HttpEngineClient({ token: 't', baseUrl: 'http://127.0.0.1:9000/', fetch: f.fn });
    await client.startTraining({ preset: 'tiny', stages: ['base'], data: '/d', labels: '/l.csv' });
    await client.cancelTraining('train-1');
    await client.listTrainingJobs();
    await client.getTrainingHistory('train-2');
    await client.listRuns();
    expect(f.calls.map((c) => [c.url.replace('http://127.0.0.1:9000/api/', ''), JSON.parse(String(c.init.body))])).toEqual([
      ['startTraining', { preset: 'tiny', stages: ['base'], data: '/d', labels: '/l.csv' }],
      ['cancelTraining', { jobId: 'train-1' }],
      ['listTrainingJobs', {}],
      ['getTrainingHistory', { jobId: 'train-2' }],
      ['listRuns', {}],
    ]);
  });

  it('turns an error answer into one line naming the method', async () => {
    const f = fakeFetch(() => json(404, { error: 'no series 9.9\nstack' }));
    const client = new HttpEngineClient({ token: 't', baseUrl: 'http://127.0.0.1:9000/', fetch: f.fn });
    const err = await client.getSeries('9.9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineCallError);
    expect((err as EngineCallError).message).toBe('getSeries: no series 9.9 stack');
    expect((err as EngineCallError).status).toBe(404);
  });

  it('says what to do on a 403 without JSON, and when the engine is unreachable', async () => {
    const html = fakeFetch(() => new Response('<html>nope</html>', { status: 403 }));
    await expect(new HttpEngineClient({ token: '', baseUrl: 'http://h/', fetch: html.fn }).info()).rejects.toThrow(/^info: refused \(open the URL/);
    const down = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(new HttpEngineClient({ token: 't', baseUrl: 'http://h/', fetch: down.fn }).info()).rejects.toThrow('info: engine unreachable (Failed to fetch)');
  });

  it('receives job events over the socket and reconnects when it drops', async () => {
    vi.useFakeTimers();
    try {
      FakeSocket.all = [];
      const client = new HttpEngineClient({ token: 'a b', baseUrl: 'http://127.0.0.1:9000/', fetch: fakeFetch(() => json(200, {})).fn, socketFactory: (u) => new FakeSocket(u), reconnectMs: 100 });
      const got: unknown[] = [];
      const off = client.onEvent((e) => got.push(e.type === 'job' ? `${e.kind}:${e.jobId}` : e.type === 'training' ? `${e.type}:${e.state.jobId}` : `${e.type}:${e.active}`));
      expect(FakeSocket.all.map((s) => s.url)).toEqual(['ws://127.0.0.1:9000/ws?token=a%20b']);
      const ev = { type: 'job', jobId: 'j1', kind: 'scan', stage: 'scan', done: 1, total: 2, status: 'running' };
      FakeSocket.all[0]!.message(JSON.stringify(ev));
      FakeSocket.all[0]!.message('not json');
      FakeSocket.all[0]!.message(JSON.stringify({ type: 'training', state: { jobId: 't1', status: 'running', stages: {} } }));
      FakeSocket.all[0]!.message(JSON.stringify({ type: 'training', state: { jobId: 't2' } })); // malformed: dropped
      FakeSocket.all[0]!.message(JSON.stringify({ type: 'versions', active: 'v2' }));
      FakeSocket.all[0]!.message(JSON.stringify({ type: 'versions', active: 2 })); // malformed: dropped
      FakeSocket.all[0]!.message(JSON.stringify({ ...ev, jobId: 'p1', kind: 'predict', stage: 'predict' }));
      FakeSocket.all[0]!.drop();
      vi.advanceTimersByTime(100);
      expect(FakeSocket.all).toHaveLength(2);
      FakeSocket.all[1]!.message(JSON.stringify({ ...ev, jobId: 'j2' }));
      expect(got).toEqual(['scan:j1', 'training:t1', 'versions:v2', 'predict:p1', 'scan:j2']);
      off();
      expect(FakeSocket.all[1]!.closed).toBe(true);
      FakeSocket.all[1]!.drop();
      vi.advanceTimersByTime(10_000);
      expect(FakeSocket.all).toHaveLength(2); // no reconnect once nobody listens
    } finally {
      vi.useRealTimers();
    }
  });
});
