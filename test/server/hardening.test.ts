/**
 * Browser mode under attack: malformed messages over both transports, requests from other local
 * pages, two instances side by side, huge grids, and the HTTP edge cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../electron/server';
import { PATH_FIELDS } from '../../electron/server/paths';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tempDir, tinyConfig, tinyModel } from '../support/fixtures';
import { methodNames, methods } from '../../shared/contract';
import { ErrorCode } from '../../shared/errors';

type Reply = { id?: unknown; ok: boolean; value?: unknown; error?: { code: string; message: string } };

/** A WebSocket client with request/reply matching by arrival. */
async function openSocket(port: number, token: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws?token=${token}`, { headers });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const replies: Reply[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    replies.push(JSON.parse(data.toString()) as Reply);
    waiters.splice(0).forEach((w) => w());
  });
  return {
    ws,
    replies,
    async next(count: number): Promise<Reply[]> {
      while (replies.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return replies.splice(0, count);
    },
    async call(method: string, params: unknown): Promise<Reply> {
      const id = Math.random();
      ws.send(JSON.stringify({ id, method, params }));
      for (;;) {
        const found = replies.findIndex((r) => r.id === id);
        if (found >= 0) return replies.splice(found, 1)[0]!;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

function upgradeStatus(port: number, token: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws?token=${token}`, { headers });
  return new Promise<number>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', () => resolve(-1));
  });
}

/** Non-object JSON and schema-invalid payloads, sent as a whole message and as a method's params. */
const NON_OBJECTS = ['null', '0', '-1.5', '1e999', '"text"', '[]', '[1,{"id":1}]', 'true', 'false', '""', '{}'];
const BAD_PARAMS: unknown[] = [null, 0, 'x', [], [null], true, { bogus: 1 }, { id: null }, { id: 'x'.repeat(5000) }, { __proto__: { id: 'a' } }];

describe('browser mode hardening', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let server: RunningServer;
  let base: string;
  let datasetId: string;
  const web = tempDir('sweeplab-web-');
  const outside = tempDir('sweeplab-outside-');
  const allowed = tempDir('sweeplab-allowed-');
  const bearer = () => ({ authorization: `Bearer ${server.token}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    t = await testRuntime();
    const ds = datasetRecord({ name: 'original' });
    t.runtime.store.datasets.insert(ds);
    datasetId = ds.id;
    mkdirSync(web.path, { recursive: true });
    writeFileSync(join(web.path, 'index.html'), '<!doctype html><title>Sweeplab</title>');
    server = await startServer({
      service: t.runtime.service,
      events: t.runtime.events,
      dataDir: t.dataDir,
      staticDir: web.path,
      port: 0,
      allowPaths: [allowed.path],
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
    for (const dir of [web, outside, allowed]) dir.remove();
  });

  it('answers every malformed WebSocket message with an error and keeps serving', async () => {
    const client = await openSocket(server.port, server.token);
    for (const text of [...NON_OBJECTS, 'not json', '{"id":1,"method":null}', '{"id":2,"method":"__proto__"}', '{"id":3,"method":"constructor"}', '{"id":4,"method":"toString","params":{}}']) {
      client.ws.send(text);
      const [reply] = await client.next(1);
      expect(reply!.ok, text).toBe(false);
      expect(ErrorCode.options, text).toContain(reply!.error!.code);
      expect(reply!.error!.code, text).not.toBe('internal');
    }
    // Every method with every kind of bad params: an error in the shared shape, never 'internal'.
    for (const method of methodNames) {
      for (const params of BAD_PARAMS) {
        const reply = await client.call(method, params);
        if (!reply.ok) expect([method, reply.error!.code]).not.toEqual([method, 'internal']);
      }
    }
    const info = await client.call('app.info', {});
    expect(info).toMatchObject({ ok: true, value: { transport: 'browser' } });
    client.ws.close();
  });

  it('answers every malformed HTTP call with a 4xx error and keeps serving', async () => {
    for (const body of [...NON_OBJECTS, '{', '\u0000', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]']) {
      for (const method of ['runs.get', 'datasets.rename', 'sweeps.plan', 'exports.data', 'app.info']) {
        const res = await fetch(`${base}/api/call/${method}`, { method: 'POST', headers: bearer(), body });
        const json = (await res.json()) as Reply;
        expect(json.ok ? 200 : res.status, `${method} ${body}`).toBeLessThan(500);
      }
    }
    for (const method of methodNames) {
      for (const params of BAD_PARAMS) {
        const res = await fetch(`${base}/api/call/${method}`, { method: 'POST', headers: bearer(), body: JSON.stringify(params) });
        expect(res.status, `${method} ${JSON.stringify(params)?.slice(0, 40)}`).toBeLessThan(500);
      }
    }
    expect((await fetch(`${base}/api/call/%E0%A4%A`, { method: 'POST', headers: bearer(), body: '{}' })).status).toBe(400);
    expect((await fetch(`${base}/api/call/nope.nope`, { method: 'POST', headers: bearer(), body: '{}' })).status).toBe(404);
    const info = await fetch(`${base}/api/call/app.info`, { method: 'POST', headers: bearer(), body: '{}' });
    expect(info.status).toBe(200);
  });

  it('closes a socket that sends an oversized frame without affecting the process', async () => {
    const client = await openSocket(server.port, server.token);
    const closed = new Promise<number>((resolve) => client.ws.on('close', (code) => resolve(code)));
    client.ws.on('error', () => {});
    client.ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    const other = await openSocket(server.port, server.token);
    expect(await other.call('app.info', {})).toMatchObject({ ok: true });
    other.ws.close();
  });

  it('refuses requests and upgrades from another origin, even with the token', async () => {
    const evil = 'http://127.0.0.1:8888';
    expect(await upgradeStatus(server.port, server.token, { origin: evil })).toBe(403);
    expect(await upgradeStatus(server.port, server.token, { origin: 'null' })).toBe(403);
    expect(await upgradeStatus(server.port, server.token, { origin: `http://localhost:${server.port}` })).toBe(101);
    const rename = await fetch(`${base}/api/call/datasets.rename`, {
      method: 'POST',
      headers: { ...bearer(), origin: evil },
      body: JSON.stringify({ id: datasetId, name: 'pwned' }),
    });
    expect(rename.status).toBe(403);
    const upload = await fetch(`${base}/api/upload`, {
      method: 'POST',
      headers: { ...bearer(), origin: evil, 'x-upload-session': 'evilsession', 'x-upload-path': 'a.bin' },
      body: 'x',
    });
    expect(upload.status).toBe(403);
    expect(t.runtime.store.datasets.get(datasetId)!.name).toBe('original');
    expect(existsSync(join(t.dataDir, 'uploads', 'evilsession'))).toBe(false);
    const own = await fetch(`${base}/api/call/datasets.rename`, {
      method: 'POST',
      headers: { ...bearer(), origin: base },
      body: JSON.stringify({ id: datasetId, name: 'renamed here' }),
    });
    expect(own.status).toBe(200);
    expect(t.runtime.store.datasets.get(datasetId)!.name).toBe('renamed here');
  });

  it('writes and reads server paths only inside --allow-path roots and uploads', async () => {
    const runId = (await t.call('runs.create', { datasetId, model: tinyModel, config: tinyConfig, start: false })).id;
    const target = join(outside.path, 'pwned.csv');
    for (const path of [target, join(allowed.path, '..', 'escape.csv'), '/etc/cron.d/x']) {
      const res = await fetch(`${base}/api/call/exports.data`, {
        method: 'POST',
        headers: bearer(),
        body: JSON.stringify({ subject: { runIds: [runId] }, format: 'csv', path, overwrite: true }),
      });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as Reply).error!.message).toContain('download');
    }
    expect(existsSync(target)).toBe(false);
    const model = await fetch(`${base}/api/call/exports.model`, {
      method: 'POST',
      headers: bearer(),
      body: JSON.stringify({ runId, format: 'pytorch', dir: outside.path }),
    });
    expect(model.status).toBe(403);
    expect(readdirSync(outside.path)).toEqual([]);
    for (const [method, body] of [
      ['imports.history', { path: '/etc/passwd' }],
      ['datasets.import', { paths: [t.dataDir] }],
      ['datasets.import', { paths: [join(t.dataDir, 'uploads', '..', 'sweeplab.db')] }],
    ] as const) {
      const res = await fetch(`${base}/api/call/${method}`, { method: 'POST', headers: bearer(), body: JSON.stringify(body) });
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(403);
    }
    // Inside the operator's root: written where asked.
    const ok = await fetch(`${base}/api/call/exports.data`, {
      method: 'POST',
      headers: bearer(),
      body: JSON.stringify({ subject: { runIds: [runId] }, format: 'csv', path: join(allowed.path, 'runs.csv') }),
    });
    expect(ok.status).toBe(200);
    expect(existsSync(join(allowed.path, 'runs.csv'))).toBe(true);
    // No path: the file comes back as a download.
    const download = await fetch(`${base}/api/call/exports.data`, {
      method: 'POST',
      headers: bearer(),
      body: JSON.stringify({ subject: { runIds: [runId] }, format: 'csv' }),
    });
    const file = ((await download.json()) as { value: { base64: string; path: null } }).value;
    expect(file.path).toBeNull();
    expect(Buffer.from(file.base64, 'base64').toString()).toContain(runId);
  });

  it('lists every request field that names a server path in the path policy', () => {
    const found: string[] = [];
    for (const name of methodNames) {
      const shape = (methods[name].request as unknown as { shape?: Record<string, unknown> }).shape ?? {};
      for (const key of Object.keys(shape)) if (/path|dir|file/i.test(key)) found.push(`${name}:${key}`);
    }
    expect(found.sort()).toEqual(Object.entries(PATH_FIELDS).map(([m, spec]) => `${m}:${spec!.field}`).sort());
  });

  it('scopes the cookie to the port: a second instance does not log the first out', async () => {
    const t2 = await testRuntime();
    const second = await startServer({ service: t2.runtime.service, events: t2.runtime.events, dataDir: t2.dataDir, staticDir: web.path, port: 0 });
    try {
      // A browser keeps one cookie jar for 127.0.0.1 whatever the port: emulate it.
      const jar = new Map<string, string>();
      const visit = async (port: number, query = '') => {
        const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const res = await fetch(`http://127.0.0.1:${port}/${query}`, { headers: cookie ? { cookie } : {} });
        const set = res.headers.get('set-cookie');
        if (set) {
          const [pair] = set.split(';');
          const eq = pair!.indexOf('=');
          jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
        }
        return res.status;
      };
      expect(await visit(server.port, `?token=${server.token}`)).toBe(200);
      expect(await visit(second.port, `?token=${second.token}`)).toBe(200);
      expect(jar.size).toBe(2);
      expect(await visit(server.port)).toBe(200);
      expect(await visit(second.port)).toBe(200);
    } finally {
      await second.close();
      await t2.dispose();
    }
  });

  it('refuses an 80 M-trial sweep in milliseconds while another client is served', async () => {
    const lrs = Array.from({ length: 200 }, (_, i) => 1e-4 * (i + 1));
    const clips = Array.from({ length: 200 }, (_, i) => 0.1 * (i + 1));
    const batches = Array.from({ length: 20 }, (_, i) => 8 * (i + 1));
    const spec = { datasetId, model: tinyModel, base: tinyConfig, axes: { lr: { values: lrs }, clip: clips, batchSize: batches }, repeats: 100 };
    const attacker = await openSocket(server.port, server.token);
    const user = await openSocket(server.port, server.token);
    const started = performance.now();
    const [create, plan, info] = await Promise.all([
      attacker.call('sweeps.create', { spec, start: true }),
      attacker.call('sweeps.plan', { spec }),
      user.call('app.info', {}),
    ]);
    const elapsed = performance.now() - started;
    for (const reply of [create, plan]) {
      expect(reply.ok).toBe(false);
      expect(reply.error).toMatchObject({ code: 'invalid_argument' });
      expect(reply.error!.message).toContain('80,000,000 trials');
    }
    expect(info.ok).toBe(true);
    // It took 63 s and the server's memory before; a generous bound for a loaded CI machine.
    expect(elapsed).toBeLessThan(2000);
    expect(t.runtime.store.sweeps.list()).toHaveLength(0);
    attacker.ws.close();
    user.ws.close();
  });

  it('stores a 5,000-trial sweep in slices: another client is answered many times while it is stored', async () => {
    const lrs = Array.from({ length: 50 }, (_, i) => 1e-4 * (i + 1));
    const spec = { datasetId, model: tinyModel, base: tinyConfig, axes: { lr: { values: lrs }, clip: [null, 1] }, repeats: 50 };
    const creator = await openSocket(server.port, server.token);
    const user = await openSocket(server.port, server.token);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    let done = false;
    const create = creator.call('sweeps.create', { spec, start: false }).finally(() => (done = true));
    // Served while the sweep is being stored: before, one transaction answered nobody until the end.
    let answered = 0;
    while (!done) {
      const info = await user.call('app.info', {});
      if (!done) answered += info.ok ? 1 : 0;
    }
    delay.disable();
    const reply = await create;
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    const sweep = reply.value as { id: string; trials: { total: number } };
    expect(sweep.trials.total).toBe(5000);
    expect(answered).toBeGreaterThanOrEqual(3);
    console.log(`[hardening] 5,000-trial sweep stored; other client answered ${answered} times; longest event-loop delay ${(delay.max / 1e6).toFixed(0)} ms`);
    expect((await user.call('sweeps.delete', { id: sweep.id })).ok).toBe(true);
    creator.ws.close();
    user.ws.close();
  });

  it('sends each socket only the events it subscribed to', async () => {
    const listening = await openSocket(server.port, server.token);
    const silent = await openSocket(server.port, server.token);
    listening.ws.send(JSON.stringify({ id: 'sub', subscribe: ['dataset.updated'] }));
    expect(await listening.next(1)).toEqual([{ id: 'sub', ok: true, value: ['dataset.updated'] }]);
    listening.ws.send(JSON.stringify({ id: 'bad', subscribe: ['no.such.event'] }));
    expect((await listening.next(1))[0]).toMatchObject({ id: 'bad', ok: false, error: { code: 'invalid_argument' } });
    await silent.call('datasets.rename', { id: datasetId, name: 'evented' });
    const [event] = await listening.next(1);
    expect(event).toMatchObject({ event: 'dataset.updated', payload: { id: datasetId, name: 'evented' } });
    // The renaming socket subscribed to nothing: its only message was its reply.
    await new Promise((r) => setTimeout(r, 50));
    expect(silent.replies).toEqual([]);
    listening.ws.close();
    silent.ws.close();
  });

  it('answers a malformed cookie, % sequence or Host with 4xx, never 500', async () => {
    const status = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).end();
      });
    expect(await status('/', { cookie: `sweeplab_token_${server.port}=%E0%A4%A` })).toBe(401);
    expect(await status('/', { cookie: '%%%=%%%; ;;=' })).toBe(401);
    expect(await status(`/%E0%A4%A?token=${server.token}`, {})).toBe(400);
    expect(await status(`/?token=%`, {})).toBe(401);
  });

  it('refuses a 5 GiB upload with 413 and closes the connection without reading the body', async () => {
    const socket = connect(server.port, '127.0.0.1');
    const response = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.write(
        `POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n` +
          `x-upload-session: bigsession1\r\nx-upload-path: big.bin\r\nContent-Length: ${5 * 1024 ** 3}\r\n\r\n`,
      );
      // Keep sending as a client would; the server must close regardless.
      const chunk = Buffer.alloc(64 * 1024);
      const pump = setInterval(() => socket.writable && socket.write(chunk), 5);
      socket.on('close', () => clearInterval(pump));
    });
    expect(response).toMatch(/^HTTP\/1\.1 413/);
    expect(response.toLowerCase()).toContain('connection: close');
  });

  it('refuses a 300-character upload name with 400 and no server path', async () => {
    const res = await fetch(`${base}/api/upload`, {
      method: 'POST',
      headers: { ...bearer(), 'x-upload-session': 'longnames1', 'x-upload-path': encodeURIComponent(`${'n'.repeat(300)}.png`) },
      body: 'x',
    });
    expect(res.status).toBe(400);
    const message = ((await res.json()) as Reply).error!.message;
    expect(message).toContain('too long');
    expect(message).not.toContain(t.dataDir);
  });
});
