/**
 * A page on another local port (a notebook or dev server, here served by the test) in the same
 * browser as an open Sweeplab tab: it must not reach the API or the WebSocket with the user's
 * cookie, nor make the server write a file. And two Sweeplab instances stay logged in side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { uiHarness, type UiHarness } from './ui-support';
import { hasChromium } from '../support/browser';
import { datasetRecord, tempDir, tinyConfig, tinyModel } from '../support/fixtures';
import { startServer } from '../../electron/server';
import { testRuntime } from '../support/runtime';
import { staticDir } from './ui-support';

describe.skipIf(!hasChromium)('a page on another local port', () => {
  let h: UiHarness;
  let evil: Server;
  let evilPort: number;
  const target = tempDir('sweeplab-target-');

  beforeAll(async () => {
    h = await uiHarness();
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>notebook</title>'));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilPort = (evil.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => evil.close(() => resolve()));
    await h?.close();
    target.remove();
  });

  it('is refused by the API and the WebSocket and cannot write files', async () => {
    const ds = datasetRecord({ name: 'mine' });
    h.t.runtime.store.datasets.insert(ds);
    const run = await h.t.call('runs.create', { datasetId: ds.id, model: tinyModel, config: tinyConfig, start: false });
    const context = await h.browser.newContext();
    // The user's own tab: sets the cookie in this browser.
    const own = await context.newPage();
    await own.goto(h.server.url);
    await own.waitForSelector('.shell');
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${evilPort}/`);
    const port = h.server.port;
    const outFile = join(target.path, 'written.csv');
    const result = await page.evaluate(
      async ({ port, datasetId, runId, outFile }) => {
        const socket = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        });
        const post = (method: string, body: unknown) =>
          fetch(`http://127.0.0.1:${port}/api/call/${method}`, {
            method: 'POST',
            mode: 'no-cors',
            credentials: 'include',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify(body),
          }).then(
            () => 'sent',
            () => 'failed',
          );
        await post('datasets.rename', { id: datasetId, name: 'pwned' });
        await post('exports.data', { subject: { runIds: [runId] }, format: 'csv', path: outFile, overwrite: true });
        const read = await fetch(`http://127.0.0.1:${port}/api/call/datasets.list`, { method: 'POST', credentials: 'include', body: '{}' }).then(
          (r) => r.text(),
          () => 'unreadable',
        );
        return { socket, read };
      },
      { port, datasetId: ds.id, runId: run.id, outFile },
    );
    expect(result.socket).toBe('refused');
    expect(result.read).toBe('unreadable');
    expect(h.t.runtime.store.datasets.get(ds.id)!.name).toBe('mine');
    expect(existsSync(outFile)).toBe(false);
    // The user's own tab still works.
    const status = await own.evaluate(() => fetch('/api/call/app.info', { method: 'POST', body: '{}' }).then((r) => r.status));
    expect(status).toBe(200);
    await context.close();
  });

  it('two instances stay logged in in one browser', async () => {
    const t2 = await testRuntime();
    const second = await startServer({ service: t2.runtime.service, events: t2.runtime.events, dataDir: t2.dataDir, staticDir, port: 0 });
    const context = await h.browser.newContext();
    try {
      const first = await context.newPage();
      await first.goto(h.server.url);
      const other = await context.newPage();
      await other.goto(second.url);
      await other.waitForSelector('.shell');
      // Reloading the first tab (without the token in the address) still authenticates.
      const response = await first.goto(`http://127.0.0.1:${h.server.port}/runs`);
      expect(response!.status()).toBe(200);
      await first.waitForSelector('.shell');
      const status = await first.evaluate(() => fetch('/api/call/app.info', { method: 'POST', body: '{}' }).then((r) => r.status));
      expect(status).toBe(200);
    } finally {
      await context.close();
      await second.close();
      await t2.dispose();
    }
  });
});
