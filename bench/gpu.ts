/**
 * GPU check, for any machine with a GPU (and, labelled as such, for a software adapter):
 *
 *   npm run bench:gpu -- [--subset N] [--epochs 1]
 *
 * Prints the backends a trainer process finds (adapter or reason), then trains one epoch of the
 * notebook's `both` model (batch 64, AdamW 1e-3, clip 1.5) on Fashion-MNIST's 60k training images
 * (--subset N for fewer) on webgpu, on wasm (the yardstick, in the same invocation) and on
 * tensorflow-gpu when it is installed, each in a real trainer process: metrics side by side,
 * seconds per epoch (shader compilation apart), trainer peak RSS and peak GPU memory, and the
 * speed ratio to wasm.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readIdx } from '../electron/datasets/idx';
import { writeStoredDataset } from '../electron/datasets/storage';
import { nodeForkTrainer, probeBackendsInTrainer, startTrainer } from '../electron/trainer/host';
import { TrainConfig, type BackendName, type Dataset } from '../shared/domain';
import { presetModel } from '../shared/models';
import { arg, FASHION } from './common';

const epochs = Number(arg('epochs', '1'));
const subsetArg = arg('subset', '');
const subset = subsetArg ? Number(subsetArg) : undefined;

interface Figures {
  backend: BackendName;
  device: string | null;
  seconds: number;
  compileSeconds: number;
  loss: number;
  trainAcc: number;
  valAcc: number;
  valLoss: number;
  gradNorm: number;
  rss: number | null;
  gpu: number | null;
}

async function trainOn(backend: BackendName, datasetDir: string, work: string): Promise<Figures> {
  const config = TrainConfig.parse({
    optimizer: 'adamw',
    lr: 0.001,
    clipNorm: 1.5,
    batchSize: 64,
    epochs,
    seed: 0,
    backend,
    validation: { split: 'test' },
    ...(subset ? { subset: { size: subset } } : {}),
  });
  let device: string | null = null;
  let seconds = 0;
  let compileSeconds = 0;
  let last: Omit<Figures, 'backend' | 'device' | 'seconds' | 'compileSeconds' | 'rss' | 'gpu'> | null = null;
  let gpu: number | null = null;
  const handle = startTrainer(
    { runId: `bench-${backend}`, model: presetModel('both', 10), config, datasetDir, checkpointDir: join(work, `ckpt-${backend}`), resume: false },
    {
      fork: nodeForkTrainer(),
      onMessage: (m) => {
        if (m.type === 'started') device = m.device;
        if (m.type === 'epoch') {
          seconds += m.metrics.seconds;
          compileSeconds += m.timing.compileSeconds;
          last = { loss: m.metrics.loss, trainAcc: m.metrics.trainAcc, valAcc: m.metrics.valAcc, valLoss: m.metrics.valLoss, gradNorm: m.metrics.gradNormMean };
          console.log(`  ${backend} epoch ${m.metrics.epoch}: ${m.metrics.seconds.toFixed(2)} s (+ ${m.timing.compileSeconds.toFixed(2)} s shader compilation), loss ${m.metrics.loss.toFixed(4)}, val acc ${m.metrics.valAcc.toFixed(4)}`);
        }
        if (m.type === 'finished') gpu = m.peakGpuBytes;
      },
    },
  );
  const outcome = await handle.done;
  if (outcome.status !== 'completed' || !last) throw new Error(`${backend} ended ${outcome.status}: ${outcome.error}`);
  return { backend, device, seconds: seconds / epochs, compileSeconds, ...(last as object), rss: outcome.maxRssBytes, gpu } as Figures;
}

const mib = (b: number | null) => (b === null ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);

async function main(): Promise<void> {
  if (!existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) throw new Error(`${FASHION} is missing (apt install dataset-fashion-mnist)`);
  console.log(`bench:gpu: model both, batch 64, AdamW 1e-3, clip 1.5, ${epochs} epoch(s) on ${subset ?? 60000} Fashion-MNIST images, Node ${process.version}`);
  const states = await probeBackendsInTrainer();
  console.log('\nbackends found:');
  for (const s of states) console.log(`  ${s.name.padEnd(15)} ${(s.auto ? 'auto picks it' : s.available ? (s.software ? 'by name only' : 'available') : 'unavailable').padEnd(14)} ${s.detail}`);

  const work = mkdtempSync(join(tmpdir(), 'sweeplab-bench-gpu-'));
  try {
    const read = async (prefix: string) => {
      const [x, y] = await Promise.all([readIdx(join(FASHION, `${prefix}-images-idx3-ubyte.gz`)), readIdx(join(FASHION, `${prefix}-labels-idx1-ubyte.gz`))]);
      return { images: x.data, labels: y.data, count: y.data.length };
    };
    const [train, test] = [await read('train'), await read('t10k')];
    const counts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    const meta: Dataset = {
      id: 'bench',
      name: 'Fashion-MNIST',
      source: `idx:${FASHION}`,
      shape: [28, 28, 1],
      numClasses: 10,
      classNames: Array.from({ length: 10 }, (_, i) => String(i)),
      counts: { train: train.count, test: test.count },
      classCounts: { train: counts(train.labels), test: counts(test.labels) },
      heldOut: false,
      checksum: 'bench',
      createdAt: new Date().toISOString(),
    };
    const datasetDir = join(work, 'dataset');
    mkdirSync(datasetDir);
    await writeStoredDataset(datasetDir, meta, train, test);

    const wanted: BackendName[] = ['webgpu', 'wasm', 'tensorflow-gpu'];
    const results: Figures[] = [];
    for (const name of wanted) {
      const state = states.find((s) => s.name === name);
      if (!state?.available) {
        console.log(`\n${name}: skipped (${state?.detail ?? 'unknown'})`);
        continue;
      }
      console.log(`\n${name}${state.software ? ' (SOFTWARE adapter: CPU emulation, not a GPU figure)' : ''}:`);
      results.push(await trainOn(name, datasetDir, work));
    }

    const wasm = results.find((r) => r.backend === 'wasm');
    console.log('\nside by side (last epoch):');
    console.log(['backend', 's/epoch', 'compile s', 'loss', 'train acc', 'val acc', 'val loss', 'grad norm', 'peak RSS', 'peak GPU', 'vs wasm', 'device'].join(' | '));
    for (const r of results) {
      console.log(
        [
          r.backend,
          r.seconds.toFixed(2),
          r.compileSeconds.toFixed(2),
          r.loss.toFixed(5),
          r.trainAcc.toFixed(4),
          r.valAcc.toFixed(4),
          r.valLoss.toFixed(5),
          r.gradNorm.toFixed(4),
          mib(r.rss),
          mib(r.gpu),
          wasm ? `${(wasm.seconds / r.seconds).toFixed(2)}x` : '—',
          r.device ?? '—',
        ].join(' | '),
      );
    }
    if (!states.some((s) => s.available && !s.software && (s.name === 'webgpu' || s.name === 'tensorflow-gpu'))) {
      console.log('\nNo hardware GPU here: the webgpu row (if any) is a software adapter, a correctness check, not a speed figure.');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
