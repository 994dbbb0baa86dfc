/**
 * Browser mode: loose files dropped on the window are uploaded into a session folder named by a
 * random id, then imported from it. The data set must be named from the files, list them as its
 * source, and no message may show the server's upload paths. A set of only test files (MNIST's
 * t10k-* alone) is the training data, with a held-out validation split.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../electron/datasets/idx';
import { startServer, type RunningServer } from '../../electron/server';
import { testRuntime } from '../support/runtime';
import { tempDir } from '../support/fixtures';
import type { Dataset } from '../../shared/domain';

function idxSet(prefix: string, n: number, classes = 3, side = 6): Record<string, Uint8Array> {
  const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
  const images = Uint8Array.from({ length: n * side * side }, (_, p) => ((p * 37 + Math.floor(p / (side * side)) * 11) % 251));
  return {
    [`${prefix}images-idx3-ubyte`]: encodeIdx([n, side, side], images),
    [`${prefix}labels-idx1-ubyte`]: encodeIdx([n], labels),
  };
}

describe('importing uploaded loose files', () => {
  let t: Awaited<ReturnType<typeof testRuntime>>;
  let server: RunningServer;
  let base: string;
  const web = tempDir('sweeplab-web-');
  let sessionCount = 0;

  beforeAll(async () => {
    t = await testRuntime();
    server = await startServer({ service: t.runtime.service, events: t.runtime.events, dataDir: t.dataDir, staticDir: web.path, port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
    web.remove();
  });

  /** What the page does: one POST per file into a fresh session, then datasets.import of its root. */
  async function uploadAndImport(files: Record<string, Uint8Array>): Promise<{ ok: boolean; value?: Dataset; error?: { message: string } }> {
    const session = `uxSession${++sessionCount}abcdefgh`;
    let root = '';
    for (const [path, bytes] of Object.entries(files)) {
      const res = await fetch(`${base}/api/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'x-upload-session': session, 'x-upload-path': encodeURIComponent(path) },
        body: Buffer.from(bytes),
      });
      const body = (await res.json()) as { ok: boolean; value: { root: string } };
      expect(body.ok).toBe(true);
      root = body.value.root;
    }
    expect(root).toContain(session);
    const res = await fetch(`${base}/api/call/datasets.import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paths: [root] }),
    });
    return (await res.json()) as { ok: boolean; value?: Dataset; error?: { message: string } };
  }

  it('names the set from the files and lists them as its source, not the upload folder', async () => {
    const reply = await uploadAndImport({ ...idxSet('kmnist-train-', 60), ...idxSet('kmnist-t10k-', 30) });
    expect(reply.ok).toBe(true);
    const dataset = reply.value!;
    expect(dataset.name).toBe('kmnist');
    expect(dataset.source).not.toContain('uxSession');
    expect(dataset.source).not.toContain(t.dataDir);
    expect(dataset.source).toContain('kmnist-train-images-idx3-ubyte');
    expect(dataset.counts).toMatchObject({ train: 60, test: 30 });
  });

  it('without a shared word, names the set from the common start of the file names', async () => {
    const reply = await uploadAndImport(idxSet('t10k-', 48));
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    expect(reply.value!.name).toBe('t10k');
  });

  it('takes a set of only test files as training data with a held-out validation split', async () => {
    const reply = await uploadAndImport(idxSet('t10k-', 60, 4));
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    const dataset = reply.value!;
    // 60 samples in all: some held out for validation, the rest to train on.
    expect(dataset.counts.train + dataset.counts.test).toBe(60);
    expect(dataset.counts.train).toBeGreaterThan(dataset.counts.test);
    expect(dataset.counts.test).toBeGreaterThan(0);
    expect(dataset.heldOut).toBe(true);
  });

  it('refuses bad uploads naming the files as dropped, without server paths', async () => {
    const { 't10k-images-idx3-ubyte': images } = idxSet('t10k-', 30);
    const reply = await uploadAndImport({ 'stray-images-idx3-ubyte': images! });
    expect(reply.ok).toBe(false);
    expect(reply.error!.message).toContain('stray-images-idx3-ubyte');
    expect(reply.error!.message).not.toContain('uxSession');
    expect(reply.error!.message).not.toContain(t.dataDir);
  });
});
