/**
 * Shared pieces of the UI end-to-end tests: a browser-mode server on a fresh runtime, Chromium,
 * and a tiny learnable IDX data set made in the test (no files from outside).
 */
import { encodeIdx } from '../../electron/datasets/idx';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../electron/server';
import { testRuntime } from '../support/runtime';
import { launchChromium } from '../support/browser';
import { appRoot } from '../../electron/paths';

export const staticDir = join(appRoot(), 'out', 'renderer');

export interface UiHarness {
  t: Awaited<ReturnType<typeof testRuntime>>;
  server: RunningServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function uiHarness(): Promise<UiHarness> {
  if (!existsSync(join(staticDir, 'index.html'))) throw new Error('out/renderer is not built: `npm test` builds it first (scripts/pretest.mjs)');
  const t = await testRuntime();
  const server = await startServer({ service: t.runtime.service, events: t.runtime.events, dataDir: t.dataDir, staticDir, port: 0 });
  const browser = await launchChromium();
  return {
    t,
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await t.dispose();
    },
  };
}

/** A page that fails the test on any uncaught error. */
export async function openPage(h: UiHarness, errors: string[], hash = ''): Promise<Page> {
  const page = await h.browser.newPage({ viewport: { width: 1360, height: 860 } });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(h.server.url + hash);
  return page;
}

/**
 * MNIST-layout IDX files (train and t10k images and labels) of `side`×`side` images in `classes`
 * classes: class k lights up its own band of columns, plus seeded noise, so a few epochs learn it.
 */
export function tinyIdx(options: { train?: number; test?: number; classes?: number; side?: number } = {}): Record<string, Uint8Array> {
  const { train = 240, test = 60, classes = 3, side = 8 } = options;
  let state = 7;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const make = (n: number) => {
    const images = new Uint8Array(n * side * side);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const label = i % classes;
      labels[i] = label;
      for (let p = 0; p < side * side; p++) {
        const band = Math.floor((p % side) / Math.ceil(side / classes));
        images[i * side * side + p] = Math.max(0, Math.min(255, Math.round((band === label ? 200 : 30) + (rand() - 0.5) * 100)));
      }
    }
    return { images, labels };
  };
  const tr = make(train);
  const te = make(test);
  return {
    'train-images-idx3-ubyte': encodeIdx([train, side, side], tr.images),
    'train-labels-idx1-ubyte': encodeIdx([train], tr.labels),
    't10k-images-idx3-ubyte': encodeIdx([test, side, side], te.images),
    't10k-labels-idx1-ubyte': encodeIdx([test], te.labels),
  };
}

/** Drops files on the window the way a file manager does: dragenter, dragover, drop with a DataTransfer. */
export async function dropFiles(page: Page, files: Record<string, Uint8Array>): Promise<void> {
  const payload = Object.entries(files).map(([name, bytes]) => ({ name, base64: Buffer.from(bytes).toString('base64') }));
  await page.evaluate(async (list) => {
    const dt = new DataTransfer();
    for (const { name, base64 } of list) {
      const bin = atob(base64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
    }
    const target = document.querySelector('.shell')!;
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      await new Promise((r) => setTimeout(r, 30));
    }
  }, payload);
}
