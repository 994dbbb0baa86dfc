/**
 * Browser mode: the shared contract over HTTP + WebSocket on 127.0.0.1, with a random token.
 *
 *   POST /api/call/<method>   body: the request JSON → {ok, value} | {ok: false, error}
 *   POST /api/upload          one file of a dropped file or folder (see upload.ts)
 *   GET  /api/ws              WebSocket: {id, method, params} → {id, ok, value|error};
 *                             {subscribe: [event…]} / {unsubscribe: [event…]}, then events as {event, payload}
 *   GET  /*                   the built renderer (index.html for client-side routes)
 *
 * Every request and upgrade without the token (query, then cookie, then header) gets 401, the page
 * included. A valid `?token=` sets an HttpOnly cookie (named after the port) so the page's own
 * requests carry it. Upgrades and non-GET requests that carry an `Origin` other than this server's
 * get 403. Every message and request is handled inside an error boundary: a malformed one gets an
 * error reply and nothing else happens.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Service } from '../service';
import type { EventBus } from '../service/events';
import { isAuthorized, isLoopbackHost, isOwnOrigin, newToken, tokenCookieName } from './auth';
import { serveStatic } from './static';
import { UploadArea } from './upload';
import { uploadsDir } from '../paths';
import { PathPolicy } from './paths';
import { isEventName } from '../../shared/contract';
import { ApiError, type ErrorCode, type ErrorShape } from '../../shared/errors';

export interface ServerOptions {
  service: Service;
  events: EventBus;
  /** The built renderer (out/renderer). */
  staticDir: string;
  port?: number;
  host?: string;
  token?: string;
  /** The data folder: browser-mode uploads land in its uploads/ folder. */
  dataDir: string;
  /** Folders (operator's `--allow-path`) where clients may name server paths to read or write. */
  allowPaths?: readonly string[];
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
/**
 * A client that stops reading its replies makes the server buffer them; past this the socket is
 * closed (the page reconnects and refetches) instead of growing memory without bound.
 */
const MAX_BUFFERED = 16 * 1024 * 1024;
/**
 * Requests one socket may have in flight; more are refused, not queued. The page itself issues a
 * call per run when it opens a comparison (up to 500 runs), so the bound sits above that.
 */
const MAX_IN_FLIGHT = 1024;

const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  bad_data: 422,
  not_found: 404,
  conflict: 409,
  failed_precondition: 409,
  unauthenticated: 401,
  permission_denied: 403,
  cancelled: 499,
  unavailable: 503,
  internal: 500,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(text);
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, { ok: false, error: { code, message } });
}

/** Refuses a request whose body is not read: the connection closes so the rest of the body is not read either. */
function refuseBody(res: ServerResponse, status: number, message: string): void {
  res.setHeader('connection', 'close');
  sendError(res, status, 'invalid_argument', message);
}

function unauthorized(res: ServerResponse): void {
  res
    .writeHead(401, { 'content-type': 'text/plain; charset=utf-8' })
    .end('401 Unauthorized: open the address that `sweeplab serve` printed, with its ?token=…\n');
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BodyTooLarge('Request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function internalError(error: unknown): ErrorShape {
  console.error('[sweeplab] internal error:', error);
  return { code: 'internal', message: 'Internal error (details are in the server log)' };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const { service, events } = options;
  const paths = new PathPolicy(options.allowPaths ?? [], uploadsDir(options.dataDir));
  const uploads = new UploadArea(options.dataDir);
  // Known once listening; no request arrives before.
  let port = 0;
  let cookieName = '';

  /**
   * The one way a client's call reaches the service: paths checked against the policy, then the
   * dispatcher (schema validation, handler). Whatever goes wrong becomes an error reply.
   */
  async function call(method: unknown, payload: unknown) {
    try {
      paths.check(method, payload);
      return await service.dispatch(method, payload);
    } catch (error) {
      return { ok: false as const, error: error instanceof ApiError ? error.toJSON() : internalError(error) };
    }
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!isLoopbackHost(req.headers.host)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden host');
        return;
      }
      const safeMethod = req.method === 'GET' || req.method === 'HEAD';
      if (!safeMethod && !isOwnOrigin(req.headers.origin, port)) {
        res.setHeader('connection', 'close');
        return sendError(res, 403, 'permission_denied', 'Requests from other web pages are refused');
      }
      const auth = isAuthorized(req, url, token, cookieName);
      if (!auth.ok) {
        res.setHeader('connection', 'close');
        return unauthorized(res);
      }
      if (auth.from === 'query') {
        res.setHeader('set-cookie', `${cookieName}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      }
      if (url.pathname.startsWith('/api/call/')) {
        if (req.method !== 'POST') return sendError(res, 405, 'invalid_argument', 'Use POST');
        let method: string;
        try {
          method = decodeURIComponent(url.pathname.slice('/api/call/'.length));
        } catch {
          return refuseBody(res, 400, 'The method name is not valid URL encoding');
        }
        if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return refuseBody(res, 413, 'Request body over 1 MiB');
        let payload: unknown;
        try {
          const text = await readBody(req);
          payload = text ? JSON.parse(text) : {};
        } catch (error) {
          if (error instanceof BodyTooLarge) return refuseBody(res, 413, error.message);
          return sendError(res, 400, 'invalid_argument', `Bad request body: ${(error as Error).message}`);
        }
        const result = await call(method, payload);
        return sendJson(res, result.ok ? 200 : HTTP_STATUS[result.error.code], result);
      }
      if (url.pathname === '/api/upload') return await uploads.handle(req, res);
      if (!safeMethod) return sendError(res, 405, 'invalid_argument', 'Method not allowed');
      serveStatic(options.staticDir, url.pathname, res);
    } catch (error) {
      const shape = internalError(error);
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: shape });
      else res.destroy();
    }
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!isOwnOrigin(req.headers.origin, port)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (url.pathname !== '/api/ws' || !isLoopbackHost(req.headers.host) || !isAuthorized(req, url, token, cookieName).ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const subscribed = new Set<string>();
    let inFlight = 0;
    const send = (message: unknown) => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify(message), (error) => {
        if (error) ws.terminate();
      });
    };
    const unsubscribe = events.onAny((event, payload) => {
      if (subscribed.has(event)) send({ event, payload });
    });
    ws.on('close', unsubscribe);
    // A protocol error (oversized frame, bad opcode) closes this socket; it must not reach the process.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData) => {
      void handleMessage(data).catch((error: unknown) => send({ id: null, ok: false, error: internalError(error) }));
    });

    async function handleMessage(data: RawData): Promise<void> {
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return send({ id: null, ok: false, error: { code: 'invalid_argument', message: 'Message is not JSON' } });
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        return send({ id: null, ok: false, error: { code: 'invalid_argument', message: 'Message must be a JSON object {id, method, params}' } });
      }
      const fields = message as { id?: unknown; method?: unknown; params?: unknown; subscribe?: unknown; unsubscribe?: unknown };
      const id = typeof fields.id === 'number' || typeof fields.id === 'string' ? fields.id : null;
      if ('subscribe' in fields || 'unsubscribe' in fields) {
        const names = [fields.subscribe, fields.unsubscribe].flatMap((list) => (Array.isArray(list) ? list : []));
        if (!names.every(isEventName)) {
          return send({ id, ok: false, error: { code: 'invalid_argument', message: 'subscribe/unsubscribe take arrays of event names' } });
        }
        if (Array.isArray(fields.subscribe)) for (const name of fields.subscribe) subscribed.add(name as string);
        if (Array.isArray(fields.unsubscribe)) for (const name of fields.unsubscribe) subscribed.delete(name as string);
        if (id !== null) send({ id, ok: true, value: [...subscribed] });
        return;
      }
      if (inFlight >= MAX_IN_FLIGHT) {
        return send({ id, ok: false, error: { code: 'unavailable', message: `More than ${MAX_IN_FLIGHT} requests in flight on one connection` } });
      }
      inFlight++;
      try {
        send({ id, ...(await call(fields.method, fields.params)) });
      } finally {
        inFlight--;
      }
    }
  });
  wss.on('error', (error) => console.error('[sweeplab] WebSocket server error:', error));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new ApiError('unavailable', `Port ${options.port} on ${host} is in use (another Sweeplab?): pick another with --port N, or --port 0 for a free one`)
          : error,
      );
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  cookieName = tokenCookieName(port);
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      uploads.close();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
