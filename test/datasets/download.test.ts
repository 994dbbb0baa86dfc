/**
 * Catalog downloads against a local HTTP server on 127.0.0.1 (tests never reach the internet):
 * success, a wrong md5, a dropped connection resumed with a Range request, a server that ignores
 * ranges, cancel, unavailable mirrors, and the shipped catalog itself.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinCatalog, mirrorsFor, type Catalog } from '../../electron/datasets/catalog';
import { DatasetLibrary, type DatasetProgress } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { readStoredDataset } from '../../electron/datasets/storage';
import { expectApiError, idxBytes, makeImages, makeLabels, tempDir } from './helpers';

type Behaviour = 'ok' | 'drop-once' | 'drop-always' | 'ignore-range' | 'stall' | 'missing' | 'error-500';

interface Served {
  body: Buffer;
  behaviour: Behaviour;
  requests: { range: string | undefined }[];
}

const CLASSES = ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'];
const trainLabels = makeLabels(2000);
const testLabels = makeLabels(300);
const FILES: Record<string, Buffer> = {
  'train-images-idx3-ubyte.gz': gzipSync(idxBytes([2000, 28, 28], makeImages(trainLabels)), { level: 1 }),
  'train-labels-idx1-ubyte.gz': gzipSync(idxBytes([2000], trainLabels)),
  't10k-images-idx3-ubyte.gz': gzipSync(idxBytes([300, 28, 28], makeImages(testLabels))),
  't10k-labels-idx1-ubyte.gz': gzipSync(idxBytes([300], testLabels)),
};
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

let dir: ReturnType<typeof tempDir>;
let server: Server;
let base: string;
let served: Map<string, Served>;
let records: MemoryDatasetRecords;
let lib: DatasetLibrary;

function catalog(classNames = CLASSES): Catalog {
  return {
    version: 1,
    datasets: [
      {
        id: 'tiny',
        name: 'Tiny KMNIST',
        description: 'fixture',
        homepage: 'http://example.invalid/',
        license: 'test',
        baseUrls: ['http://127.0.0.1:9/unreachable/'],
        files: Object.entries(FILES).map(([name, body]) => ({ name, md5: md5(body) })),
        classNames,
      },
    ],
  };
}

function handle(req: IncomingMessage, res: ServerResponse) {
  const name = decodeURIComponent(req.url!.split('/').pop()!);
  const file = served.get(name);
  if (!file) return res.writeHead(404).end('not found');
  file.requests.push({ range: req.headers.range });
  if (file.behaviour === 'missing') return res.writeHead(404).end('not found');
  if (file.behaviour === 'error-500') return res.writeHead(500).end('oops');
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (range && file.behaviour !== 'ignore-range') start = Number(range[1]);
  const body = file.body.subarray(start);
  const headers: Record<string, string | number> = { 'content-length': body.length, 'content-type': 'application/x-gzip', 'accept-ranges': 'bytes' };
  if (start > 0) headers['content-range'] = `bytes ${start}-${file.body.length - 1}/${file.body.length}`;
  res.writeHead(start > 0 ? 206 : 200, headers);
  const first = file.requests.length === 1;
  if (file.behaviour === 'stall') {
    res.write(body.subarray(0, 1000)); // then nothing, ever
    return;
  }
  if ((file.behaviour === 'drop-once' && first) || file.behaviour === 'drop-always' || (file.behaviour === 'ignore-range' && first)) {
    // Half the body, then (once the client has had time to read it) the connection dies.
    res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 150));
    return;
  }
  res.end(body);
}

beforeEach(async () => {
  dir = tempDir();
  served = new Map(Object.entries(FILES).map(([name, body]) => [name, { body, behaviour: 'ok' as Behaviour, requests: [] }]));
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  records = new MemoryDatasetRecords();
  lib = makeLibrary();
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

function makeLibrary(classNames = CLASSES) {
  return new DatasetLibrary({
    dataDir: join(dir.path, 'data'),
    records,
    catalog: catalog(classNames),
    download: { attempts: 4, backoffMs: 20, stallTimeoutMs: 5000 },
    env: {},
  });
}
const datasetsEntries = () => (existsSync(join(dir.path, 'data', 'datasets')) ? readdirSync(join(dir.path, 'data', 'datasets')) : []);

it('downloads, verifies, imports with the catalog class names, and reuses it next time', async () => {
  const events: DatasetProgress[] = [];
  const result = await lib.downloadDetailed('tiny', { baseUrl: `${base}/files`, onProgress: (p) => events.push(p), taskId: 'task-1' });
  expect(result.reused).toBe(false);
  expect(result.dataset).toMatchObject({
    name: 'Tiny KMNIST',
    source: 'catalog:tiny',
    classNames: CLASSES,
    counts: { train: 2000, test: 300 },
    heldOut: false,
  });
  const phases = [...new Set(events.map((e) => e.phase))];
  expect(phases).toEqual(['download', 'verify', 'parse', 'store', 'done']);
  expect(events.every((e) => e.taskId === 'task-1')).toBe(true);
  const downloadEvents = events.filter((e) => e.phase === 'download' && e.label === 'Downloading train-images-idx3-ubyte.gz');
  expect(downloadEvents.at(-1)).toMatchObject({ done: FILES['train-images-idx3-ubyte.gz']!.length, total: FILES['train-images-idx3-ubyte.gz']!.length });
  const stored = await readStoredDataset(lib.dirFor(result.dataset.id));
  expect(Buffer.from(stored.test.labels).equals(Buffer.from(testLabels))).toBe(true);
  // The download cache is gone once the import is stored.
  expect(datasetsEntries()).toEqual([result.dataset.id]);

  const again = await lib.downloadDetailed('tiny', { baseUrl: `${base}/files` });
  expect(again).toEqual({ dataset: result.dataset, reused: true });
  expect(served.get('t10k-labels-idx1-ubyte.gz')!.requests).toHaveLength(1);
});

it('SWEEPLAB_CATALOG_BASE_URL points at a mirror of the whole catalog (<root>/<id>/<file>)', async () => {
  const viaEnv = new DatasetLibrary({ dataDir: join(dir.path, 'data'), records, catalog: catalog(), env: { SWEEPLAB_CATALOG_BASE_URL: `${base}/mirror` } });
  const dataset = await viaEnv.download('tiny');
  expect(dataset.counts.train).toBe(2000);
  expect(mirrorsFor(catalog().datasets[0]!, undefined, { SWEEPLAB_CATALOG_BASE_URL: 'http://m.example/root' })).toEqual(['http://m.example/root/tiny/']);
});

it('a file whose md5 does not match fails with bad_data and leaves nothing', async () => {
  const wrong = Buffer.from(FILES['train-labels-idx1-ubyte.gz']!);
  wrong[wrong.length - 9]! ^= 0xff;
  served.get('train-labels-idx1-ubyte.gz')!.body = wrong;
  const error = await expectApiError(lib.download('tiny', { baseUrl: `${base}/files` }), 'bad_data', /train-labels-idx1-ubyte\.gz: downloaded from .*md5 is [0-9a-f]{32} but the catalog says [0-9a-f]{32}/);
  expect(error.details).toMatchObject({ expected: md5(FILES['train-labels-idx1-ubyte.gz']!), actual: md5(wrong) });
  expect(served.get('train-labels-idx1-ubyte.gz')!.requests).toHaveLength(2); // one retry for a corrupt transfer
  expect(records.list()).toEqual([]);
  expect(datasetsEntries()).toEqual([]);
});

it('a dropped connection is resumed with a Range request on the next try', async () => {
  served.get('train-images-idx3-ubyte.gz')!.behaviour = 'drop-once';
  const dataset = await lib.download('tiny', { baseUrl: `${base}/files` });
  expect(dataset.counts.train).toBe(2000);
  const requests = served.get('train-images-idx3-ubyte.gz')!.requests;
  expect(requests).toHaveLength(2);
  expect(requests[0]!.range).toBeUndefined();
  expect(requests[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
});

it('a server that ignores Range restarts the file from the beginning', async () => {
  served.get('train-images-idx3-ubyte.gz')!.behaviour = 'ignore-range';
  const dataset = await lib.download('tiny', { baseUrl: `${base}/files` });
  expect(dataset.counts.train).toBe(2000);
  expect(served.get('train-images-idx3-ubyte.gz')!.requests).toHaveLength(2);
});

it('cancel stops a download at once and leaves nothing', async () => {
  served.get('train-images-idx3-ubyte.gz')!.behaviour = 'stall';
  const controller = new AbortController();
  const started = Date.now();
  const promise = lib.download('tiny', {
    baseUrl: `${base}/files`,
    signal: controller.signal,
    onProgress: (p) => {
      // The server sends 1000 bytes of this file, then nothing: cancel while it hangs.
      if (p.phase === 'download' && p.label.includes('train-images')) setTimeout(() => controller.abort(), 200);
    },
  });
  await expectApiError(promise, 'cancelled', /Download cancelled/);
  expect(Date.now() - started).toBeLessThan(3000);
  expect(records.list()).toEqual([]);
  expect(datasetsEntries()).toEqual([]);
});

it('failing mirrors: drops and 5xx are retried with backoff, 404 is not, and what arrived is resumed later', async () => {
  const images = served.get('train-images-idx3-ubyte.gz')!;
  const labels = served.get('train-labels-idx1-ubyte.gz')!;
  images.behaviour = 'drop-always';
  await expectApiError(lib.download('tiny', { baseUrl: `${base}/files` }), 'unavailable', /Could not download train-images-idx3-ubyte\.gz: .*(closed after|terminated|socket)/);
  expect(images.requests).toHaveLength(4);
  expect(images.requests.slice(1).every((r) => /^bytes=[1-9]\d*-$/.test(r.range ?? ''))).toBe(true);
  expect(records.list()).toEqual([]);
  // Only the download cache is kept, so the next try continues where this one stopped.
  expect(datasetsEntries()).toEqual(['.downloads']);

  images.behaviour = 'ok';
  images.requests = [];
  labels.behaviour = 'missing';
  await expectApiError(lib.download('tiny', { baseUrl: `${base}/files` }), 'unavailable', /Could not download train-labels-idx1-ubyte\.gz: HTTP 404/);
  expect(images.requests).toHaveLength(1);
  expect(images.requests[0]!.range).toMatch(/^bytes=[1-9]\d*-$/);
  expect(labels.requests).toHaveLength(1); // a 404 is not retried

  labels.requests = [];
  labels.behaviour = 'error-500';
  await expectApiError(lib.download('tiny', { baseUrl: `${base}/files` }), 'unavailable', /HTTP 500/);
  expect(labels.requests).toHaveLength(4);

  labels.behaviour = 'ok';
  const dataset = await lib.download('tiny', { baseUrl: `${base}/files` });
  expect(dataset.counts.train).toBe(2000);
  expect(images.requests).toHaveLength(1); // verified earlier, not fetched again
  expect(datasetsEntries()).toEqual([dataset.id]);
});

it('labels outside the catalog class names are bad data', async () => {
  const narrow = makeLibrary(['a', 'b', 'c']);
  await expectApiError(narrow.download('tiny', { baseUrl: `${base}/files` }), 'bad_data', /train-labels-idx1-ubyte\.gz: label 9 is out of range for the 3 classes/);
  expect(datasetsEntries()).toEqual([]);
});

it('an unknown catalog id is not_found', async () => {
  await expectApiError(lib.download('cifar'), 'not_found', /No data set "cifar" in the catalog \(known: tiny\)/);
});

describe('the shipped catalog', () => {
  const shipped = builtinCatalog();
  const byId = Object.fromEntries(shipped.datasets.map((d) => [d.id, d]));

  it('lists MNIST, Fashion-MNIST and Kuzushiji-MNIST with their published md5s and class names', () => {
    expect(Object.keys(byId).sort()).toEqual(['fashion-mnist', 'kmnist', 'mnist']);
    const md5s = (id: string) => Object.fromEntries(byId[id]!.files.map((f) => [f.name, f.md5]));
    expect(md5s('kmnist')).toEqual({
      'train-images-idx3-ubyte.gz': 'bdb82020997e1d708af4cf47b453dcf7',
      'train-labels-idx1-ubyte.gz': 'e144d726b3acfaa3e44228e80efcd344',
      't10k-images-idx3-ubyte.gz': '5c965bf0a639b31b8f53240b1b52f4d7',
      't10k-labels-idx1-ubyte.gz': '7320c461ea6c1c855c0b718fb2a4b134',
    });
    expect(md5s('fashion-mnist')['train-images-idx3-ubyte.gz']).toBe('8d4fb7e6c68d591d4c3dfef9ec88bf0d');
    expect(md5s('mnist')['t10k-labels-idx1-ubyte.gz']).toBe('ec29112dd5afa0611ce80d1b7f02629c');
    expect(byId.kmnist!.classNames).toEqual(CLASSES);
    expect(byId['fashion-mnist']!.classNames).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect(byId.mnist!.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(byId.kmnist!.baseUrls[0]).toContain('codh.rois.ac.jp/kmnist/dataset/kmnist/');
  });
});
