// A minimal server side of RFC 6455 WebSocket: the handshake, unmasked text frames out, and from the client
// only what the protocol requires us to answer (ping -> pong, close -> close). The engine pushes events;
// it never needs client messages, so data frames from the client are read and dropped. No dependency.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Client frames above this size close the connection (1009): we expect none but pings and closes. */
const MAX_CLIENT_FRAME = 64 * 1024;

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** Frames one server-to-client message (FIN set, no mask). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

export class WebSocketConnection {
  private buffer = Buffer.alloc(0);
  private closed = false;
  onClose: (() => void) | undefined;

  constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  sendText(text: string): void {
    if (!this.closed) this.socket.write(encodeFrame(0x1, Buffer.from(text, 'utf8')));
  }

  close(code = 1000): void {
    if (this.closed) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code, 0);
    this.socket.write(encodeFrame(0x8, body));
    this.socket.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0]!;
      const b1 = this.buffer[1]!;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        const big = this.buffer.readBigUInt64BE(2);
        len = big > BigInt(MAX_CLIENT_FRAME) ? MAX_CLIENT_FRAME + 1 : Number(big);
        off = 10;
      }
      // RFC 6455 5.1: a server must close on an unmasked client frame.
      if (!masked) return this.close(1002);
      if (len > MAX_CLIENT_FRAME) return this.close(1009);
      if (this.buffer.length < off + 4 + len) return;
      const mask = this.buffer.subarray(off, off + 4);
      const payload = Buffer.from(this.buffer.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      this.buffer = this.buffer.subarray(off + 4 + len);
      const opcode = b0 & 0x0f;
      if (opcode === 0x8) return this.close(1000);
      if (opcode === 0x9 && !this.closed) this.socket.write(encodeFrame(0xa, payload));
      // text, binary, continuation and pong frames are dropped: the engine takes requests over its API.
    }
  }
}

/** Completes the handshake of an upgrade request already authorised by the caller; null (and a 400) when it is not a valid one. */
export function acceptUpgrade(req: IncomingMessage, socket: Duplex): WebSocketConnection | null {
  const key = req.headers['sec-websocket-key'];
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (req.method !== 'GET' || upgrade !== 'websocket' || typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)
    || req.headers['sec-websocket-version'] !== '13') {
    rejectUpgrade(socket, 400, 'not a WebSocket version 13 handshake');
    return null;
  }
  socket.write([
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    '', '',
  ].join('\r\n'));
  return new WebSocketConnection(socket);
}

/** Answers an upgrade request with a plain HTTP error carrying a JSON body, then closes. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  const reason = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Bad Request';
  socket.end([
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    '', body,
  ].join('\r\n'));
}
