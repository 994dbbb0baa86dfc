import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The cookie's name carries the port: browsers keep cookies per host, not per port, so two
 * `serve` instances on one machine would otherwise overwrite each other's token and log each
 * other's tabs out.
 */
export function tokenCookieName(port: number): string {
  return `sweeplab_token_${port}`;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A malformed value (a stray `%`) is no token, never an exception: the request gets 401. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Where a request carried the token: the query first, then the cookie, then a header. */
export function presentedToken(
  req: IncomingMessage,
  url: URL,
  cookieName: string,
): { token: string; from: 'query' | 'cookie' | 'header' } | null {
  const query = url.searchParams.get('token');
  if (query) return { token: query, from: 'query' };
  const cookie = cookieValue(req.headers.cookie, cookieName);
  if (cookie) return { token: cookie, from: 'cookie' };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), from: 'header' };
  const header = req.headers['x-sweeplab-token'];
  if (typeof header === 'string' && header) return { token: header, from: 'header' };
  return null;
}

export function isAuthorized(
  req: IncomingMessage,
  url: URL,
  token: string,
  cookieName: string,
): { ok: boolean; from?: 'query' | 'cookie' | 'header' } {
  const presented = presentedToken(req, url, cookieName);
  if (!presented || !safeEqual(presented.token, token)) return { ok: false };
  return { ok: true, from: presented.from };
}

/**
 * Only loopback host names are served: a page on another site that rebinds its DNS name to
 * 127.0.0.1 would otherwise reach the API with the user's cookie.
 */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/**
 * Another page on this machine (a notebook or dev server on another port of 127.0.0.1) is the
 * "same site" to the browser, so SameSite cookies go with its requests. Browsers send `Origin` on
 * every cross-origin request, WebSocket upgrades and no-cors POSTs included; a request that carries
 * one must carry this server's own. Requests without it (curl, the CLI's tests) are decided by
 * the token alone.
 */
export function isOwnOrigin(originHeader: string | undefined, port: number): boolean {
  if (originHeader === undefined) return true;
  let origin: URL;
  try {
    origin = new URL(originHeader);
  } catch {
    return false;
  }
  return (
    origin.protocol === 'http:' &&
    origin.port === String(port) &&
    ['127.0.0.1', 'localhost', '[::1]'].includes(origin.hostname) &&
    origin.origin === originHeader
  );
}
