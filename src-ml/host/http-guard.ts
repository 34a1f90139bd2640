// Who may talk to the web host. It listens on 127.0.0.1, but any web page the user opens can make the browser
// send requests there, and other local users can connect too. Three checks, all required:
//  - Host must name this server (127.0.0.1:<port> or localhost:<port>): a DNS-rebinding page sends its own name;
//  - Origin, when sent, must be this server's origin: cross-site POSTs, fetches and WebSockets carry theirs;
//  - the random token from the printed URL, as ?token= or the x-ich-token header: nobody else knows it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_HEADER = 'x-ich-token';

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `http://${h}`);
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why the request's Host or Origin is refused, or null when they name this server. */
export function checkHostAndOrigin(req: IncomingMessage, port: number): string | null {
  const host = req.headers.host?.toLowerCase();
  if (!host || !allowedHosts(port).includes(host)) return 'refused: the Host header does not name this server';
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedOrigins(port).includes(origin.toLowerCase())) return 'refused: cross-origin request';
  return null;
}

/** Whether the request carries the token (query `token=` or the x-ich-token header). */
export function hasToken(req: IncomingMessage, url: URL, token: string): boolean {
  const header = req.headers[TOKEN_HEADER];
  const given = typeof header === 'string' ? header : url.searchParams.get('token');
  return typeof given === 'string' && sameSecret(given, token);
}
