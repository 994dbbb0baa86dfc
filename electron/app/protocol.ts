/**
 * The desktop app's pages come from `app://sweeplab/…`, a privileged custom scheme served by
 * protocol.handle, not from file://: Electron does not apply header CSPs to file:// pages, and a
 * file:// origin would let any local file be fetched. Every response carries the app's CSP.
 */
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { DESKTOP_CONTENT_SECURITY_POLICY } from '../server/static';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://sweeplab`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Before app 'ready': a standard, secure scheme (relative URLs, fetch, a real origin). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** After 'ready': serves `root` (the built renderer); unknown extensionless paths get index.html (client routes). */
export function handleAppScheme(root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'sweeplab') return new Response('Not found', { status: 404 });
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    } catch {
      return new Response('Bad path', { status: 400 });
    }
    let file = join(root, relative || 'index.html');
    if (!file.startsWith(root + sep)) return new Response('Forbidden', { status: 403 });
    if (!extname(file)) file = join(root, 'index.html');
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-security-policy': DESKTOP_CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
