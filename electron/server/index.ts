/**
 * Browser mode: the shared contract over HTTP + WebSocket on 127.0.0.1, with a random token.
 *
 *   POST /api/call/<method>   body: the request JSON → {ok, value} | {ok: false, error}
 *   POST /api/upload          one file of a dropped file or folder (see upload.ts)
 *   GET  /api/ws              WebSocket: {id, method, params} → {id, ok, value|error}; events as {event, payload}
 *   GET  /*                   the built renderer (index.html for client-side routes)
 *
 * Every request and upgrade without the token (query, then cookie, then header) gets 401, the page
 * included. A valid `?token=` sets an HttpOnly cookie so the page's own requests carry it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Service } from '../service';
import type { EventBus } from '../service/events';
import { isAuthorized, isLoopbackHost, newToken, TOKEN_COOKIE } from './auth';
import { serveStatic } from './static';
import { handleUpload } from './upload';
import { ApiError, type ErrorCode } from '../../shared/errors';

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
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  bad_data: 422,
  not_found: 404,
  conflict: 409,
  failed_precondition: 409,
  unauthenticated: 401,
  cancelled: 499,
  unavailable: 503,
  internal: 500,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(text);
}

function unauthorized(res: ServerResponse): void {
  res
    .writeHead(401, { 'content-type': 'text/plain; charset=utf-8' })
    .end('401 Unauthorized: open the address that `sweeplab serve` printed, with its ?token=…\n');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('Request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const { service, events } = options;

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!isLoopbackHost(req.headers.host)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden host');
        return;
      }
      const auth = isAuthorized(req, url, token);
      if (!auth.ok) return unauthorized(res);
      if (auth.from === 'query') {
        res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      }
      if (url.pathname.startsWith('/api/call/')) {
        if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'invalid_argument', message: 'Use POST' } });
        let payload: unknown;
        try {
          const text = await readBody(req);
          payload = text ? JSON.parse(text) : {};
        } catch (error) {
          return sendJson(res, 400, { ok: false, error: { code: 'invalid_argument', message: `Bad request body: ${(error as Error).message}` } });
        }
        const result = await service.dispatch(decodeURIComponent(url.pathname.slice('/api/call/'.length)), payload);
        return sendJson(res, result.ok ? 200 : HTTP_STATUS[result.error.code], result);
      }
      if (url.pathname === '/api/upload') return await handleUpload(options.dataDir, req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { ok: false, error: { code: 'invalid_argument', message: 'Method not allowed' } });
      serveStatic(options.staticDir, url.pathname, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'internal', message: (error as Error).message } });
      else res.destroy();
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/ws' || !isLoopbackHost(req.headers.host) || !isAuthorized(req, url, token).ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const unsubscribe = events.onAny((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('close', unsubscribe);
    ws.on('message', async (data) => {
      let message: { id?: unknown; method?: unknown; params?: unknown };
      try {
        message = JSON.parse(data.toString());
      } catch {
        ws.send(JSON.stringify({ id: null, ok: false, error: { code: 'invalid_argument', message: 'Message is not JSON' } }));
        return;
      }
      const id = typeof message.id === 'number' || typeof message.id === 'string' ? message.id : null;
      const result = await service.dispatch(message.method, message.params);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ...result }));
    });
  });

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
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
