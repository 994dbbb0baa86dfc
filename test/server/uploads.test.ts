/**
 * Browser mode's uploads folder: sessions nobody imported expire, and all of them together stay
 * under a quota (a client cannot fill the disk with uploads it never imports).
 */
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { UploadArea } from '../../electron/server/upload';
import { tempDir } from '../support/fixtures';

async function withArea(limits: { ttlMs: number; quotaBytes: number; maxFileBytes: number }, fn: (area: UploadArea, post: (session: string, path: string, body: Buffer) => Promise<number>) => Promise<void>) {
  const dir = tempDir();
  const area = new UploadArea(dir.path, limits);
  const server = createServer((req, res) => void area.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const post = async (session: string, path: string, body: Buffer) =>
    (await fetch(`http://127.0.0.1:${port}/api/upload`, { method: 'POST', headers: { 'x-upload-session': session, 'x-upload-path': encodeURIComponent(path) }, body: new Uint8Array(body) })).status;
  try {
    await fn(area, post);
  } finally {
    area.close();
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  }
}

describe('upload sessions', () => {
  it('refuses uploads past the quota with 507, and accepts again once old sessions expire', async () => {
    await withArea({ ttlMs: 60_000, quotaBytes: 3000, maxFileBytes: 2000 }, async (area, post) => {
      expect(await post('sessionAA', 'a.bin', Buffer.alloc(1500))).toBeLessThan(300);
      expect(await post('sessionBB', 'b.bin', Buffer.alloc(1400))).toBeLessThan(300);
      // 2,900 of 3,000 bytes held by sessions nobody imported: the next one does not fit.
      expect(await post('sessionCC', 'c.bin', Buffer.alloc(1000))).toBe(507);
      expect(await post('sessionDD', 'd.bin', Buffer.alloc(2500))).toBe(413);
      // Nothing written for longer than the TTL: both go, and uploads fit again.
      const removed = area.expire(Date.now() + 61_000);
      expect(removed).toBe(2);
      expect(existsSync(join(area.root, 'sessionAA'))).toBe(false);
      expect(await post('sessionCC', 'c.bin', Buffer.alloc(1000))).toBeLessThan(300);
      expect(readdirSync(area.root)).toEqual(['sessionCC']);
    });
  });

  it('keeps a session that is still being written to', async () => {
    await withArea({ ttlMs: 60_000, quotaBytes: 1 << 20, maxFileBytes: 1 << 20 }, async (area, post) => {
      expect(await post('sessionOLD', 'a.bin', Buffer.alloc(10))).toBeLessThan(300);
      expect(await post('sessionNEW', 'a.bin', Buffer.alloc(10))).toBeLessThan(300);
      const old = new Date(Date.now() - 120_000);
      utimesSync(join(area.root, 'sessionOLD', 'a.bin'), old, old);
      utimesSync(join(area.root, 'sessionOLD'), old, old);
      expect(area.expire()).toBe(1);
      expect(readdirSync(area.root)).toEqual(['sessionNEW']);
    });
  });
});
