import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../electron/server';
import { testRuntime } from '../support/runtime';
import { datasetRecord, tempDir, tinyModel } from '../support/fixtures';

describe('browser transport (HTTP + WebSocket)', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let server: RunningServer;
  let base: string;
  let datasetId: string;
  const web = tempDir('sweeplab-web-');

  beforeAll(async () => {
    t = await testRuntime();
    const ds = datasetRecord();
    t.runtime.store.datasets.insert(ds);
    datasetId = ds.id;
    mkdirSync(web.path, { recursive: true });
    writeFileSync(join(web.path, 'index.html'), '<!doctype html><title>Sweeplab</title>');
    server = await startServer({ service: t.runtime.service, events: t.runtime.events, dataDir: t.dataDir, staticDir: web.path, port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
    web.remove();
  });

  it('prints a loopback URL with a random token and listens on a free port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers 401 without the token, the page included', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js']) expect((await fetch(base + path)).status).toBe(401);
    const call = await fetch(`${base}/api/call/app.info`, { method: 'POST', body: '{}' });
    expect(call.status).toBe(401);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base}/`, { headers: { cookie: `sweeplab_token_${server.port}=wrong` } })).status).toBe(401);
  });

  it('refuses a WebSocket upgrade without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(200));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
  });

  it('serves the page with the token and sets the cookie that later requests use', async () => {
    const page = await fetch(`${base}/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Sweeplab</title>');
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^sweeplab_token_${server.port}=.+; HttpOnly; SameSite=Strict`));
    const again = await fetch(`${base}/runs`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(again.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('calls methods over HTTP with the token header, errors in the shared shape', async () => {
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    const info = await fetch(`${base}/api/call/app.info`, { method: 'POST', headers, body: '{}' });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ ok: true, value: { transport: 'browser', dataDir: t.dataDir } });
    const bad = await fetch(`${base}/api/call/runs.get`, { method: 'POST', headers, body: JSON.stringify({ id: 5 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    const missing = await fetch(`${base}/api/call/runs.get`, { method: 'POST', headers, body: JSON.stringify({ id: 'zz' }) });
    expect(missing.status).toBe(404);
    const notJson = await fetch(`${base}/api/call/runs.list`, { method: 'POST', headers, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('refuses requests whose Host is not loopback (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, headers: { host: 'evil.example:80' } }, (res) =>
        resolve(res.statusCode ?? 0),
      ).end();
    });
    expect(status).toBe(403);
  });

  it('calls methods over the WebSocket and receives events', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?token=${server.token}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const messages: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    const waitFor = async (pred: (m: Record<string, unknown>) => boolean) => {
      while (!messages.some(pred)) await new Promise<void>((resolve) => waiters.push(resolve));
      return messages.find(pred)!;
    };

    // Events come only once asked for.
    ws.send(JSON.stringify({ id: 0, subscribe: ['run.updated'] }));
    expect(await waitFor((m) => m.id === 0)).toMatchObject({ ok: true });
    ws.send(JSON.stringify({ id: 1, method: 'runs.create', params: { datasetId, model: tinyModel, config: { lr: 0.01 }, start: false, name: 'over ws' } }));
    const reply = await waitFor((m) => m.id === 1);
    expect(reply).toMatchObject({ ok: true, value: { name: 'over ws', status: 'queued' } });
    const event = await waitFor((m) => m.event === 'run.updated');
    expect(event).toMatchObject({ payload: { name: 'over ws' } });

    ws.send(JSON.stringify({ id: 2, method: 'runs.create', params: { datasetId, model: tinyModel, config: { lr: 'fast' } } }));
    expect(await waitFor((m) => m.id === 2)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    ws.send('not json');
    expect(await waitFor((m) => m.id === null)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    ws.close();
  });

  it('streams an upload into the session folder and refuses paths that escape it', async () => {
    const headers = { authorization: `Bearer ${server.token}`, 'x-upload-session': 'sessionA1' };
    const ok = await fetch(`${base}/api/upload`, {
      method: 'POST',
      headers: { ...headers, 'x-upload-path': encodeURIComponent('digits/train/3/a.png') },
      body: new Uint8Array([1, 2, 3, 4]),
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { value: { root: string; path: string; bytes: number } };
    expect(body.value.root).toBe(join(t.dataDir, 'uploads', 'sessionA1'));
    expect(body.value.bytes).toBe(4);
    expect([...readFileSync(body.value.path)]).toEqual([1, 2, 3, 4]);
    for (const evil of ['../../escape.txt', '/etc/passwd', 'a/../../b', '']) {
      const res = await fetch(`${base}/api/upload`, {
        method: 'POST',
        headers: { ...headers, 'x-upload-path': encodeURIComponent(evil) },
        body: 'x',
      });
      expect(res.status).toBe(400);
    }
    const badSession = await fetch(`${base}/api/upload`, { method: 'POST', headers: { ...headers, 'x-upload-session': '../x', 'x-upload-path': 'a' }, body: 'x' });
    expect(badSession.status).toBe(400);
    const noToken = await fetch(`${base}/api/upload`, { method: 'POST', headers: { 'x-upload-session': 'sessionA1', 'x-upload-path': 'a' }, body: 'x' });
    expect(noToken.status).toBe(401);
  });
});
