import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'sweeplab_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Where a request carried the token: the query first, then the cookie, then a header. */
export function presentedToken(req: IncomingMessage, url: URL): { token: string; from: 'query' | 'cookie' | 'header' } | null {
  const query = url.searchParams.get('token');
  if (query) return { token: query, from: 'query' };
  const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
  if (cookie) return { token: cookie, from: 'cookie' };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), from: 'header' };
  const header = req.headers['x-sweeplab-token'];
  if (typeof header === 'string' && header) return { token: header, from: 'header' };
  return null;
}

export function isAuthorized(req: IncomingMessage, url: URL, token: string): { ok: boolean; from?: 'query' | 'cookie' | 'header' } {
  const presented = presentedToken(req, url);
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
