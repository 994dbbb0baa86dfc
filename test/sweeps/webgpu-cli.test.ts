/**
 * `--backend webgpu` through real trainer processes: a sweep trains every trial on WebGPU and
 * each run records the adapter and the seconds spent compiling shaders; a WebGPU error raised in a
 * trainer fails that trial with the GPU's message, and the trial resumes from its checkpoint.
 * Runs on the software adapter in CI; skipped, with the reason, where Dawn finds no adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../electron/store';
import { probeAdapter } from '../../electron/engine/webgpu';
import { tempDir } from '../support/fixtures';
import { cli, writeTinyIdx } from '../support/sweepCli';
import { existsSync } from 'node:fs';
import { appRoot } from '../../electron/paths';
import { DatasetLibrary } from '../../electron/datasets/library';
import { MemoryDatasetRecords } from '../../electron/datasets/records';
import { nodeForkTrainer, startTrainer } from '../../electron/trainer/host';
import { presetModel } from '../../shared/models';
import { TrainConfig } from '../../shared/domain';

const probe = await probeAdapter();
const skip = typeof probe === 'string' ? probe : null;
if (skip) console.warn(`Skipping the WebGPU CLI tests: ${skip}`);

describe.skipIf(skip !== null)('sweeps on webgpu (real trainers)', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  beforeAll(() => {
    dir = tempDir('sweeplab-webgpu-cli-');
    data = join(dir.path, 'tiny');
    writeTinyIdx(data);
  });
  afterAll(() => dir.remove());

  it('sweeplab backends lists every backend with its adapter or reason; a software adapter is never what auto picks', async () => {
    const out = cli(join(dir.path, 'home-backends'), ['backends']);
    const line = (await out.waitFor((l) => Array.isArray(l.backends))) as { backends: { name: string; available: boolean; software: boolean; detail: string; auto: boolean }[] };
    expect((await out.exit).code).toBe(0);
    expect(line.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    const webgpu = line.backends.find((b) => b.name === 'webgpu')!;
    expect(webgpu.available).toBe(true);
    expect(webgpu.detail.length).toBeGreaterThan(3);
    if (webgpu.software) expect(webgpu.auto).toBe(false);
    expect(line.backends.filter((b) => b.auto)).toHaveLength(1);
  }, 60_000);

  it('runs a sweep with --backend webgpu; runs record the adapter and shader compilation time', async () => {
    const home = join(dir.path, 'home-sweep');
    const run = cli(home, ['sweep', '--dataset', data, '--model', 'shl', '--lr', '0.001,0.01', '--clip', '1', '--epochs', '2', '--batch', '32', '--backend', 'webgpu', '--concurrency', '2']);
    const exit = await run.exit;
    expect(exit.code, run.stderr()).toBe(0);
    const store = openStore(home);
    try {
      const runs = store.runs.list({ limit: 10 }).items;
      expect(runs).toHaveLength(2);
      for (const r of runs) {
        expect(r).toMatchObject({ status: 'completed', backend: 'webgpu', epochsDone: 2 });
        expect(r.device).toMatch(/\w/);
        expect(r.compileSeconds).toBeGreaterThan(0);
      }
    } finally {
      store.close();
    }
  }, 180_000);

  it('fails the trial with the WebGPU error, then resumes it from its checkpoint', async () => {
    const home = join(dir.path, 'home-fault');
    process.env.SWEEPLAB_TRAINER_TEST_CRASH = 'gpu-error@2:2';
    const first = cli(home, ['train', '--dataset', data, '--model', 'plain', '--lr', '0.01', '--epochs', '3', '--batch', '32', '--backend', 'webgpu']);
    delete process.env.SWEEPLAB_TRAINER_TEST_CRASH;
    const exit = await first.exit;
    expect(exit.code).not.toBe(0);
    expect(first.stderr()).toMatch(/WebGPU error/);
    const store = openStore(home);
    const [failed] = store.runs.list({ limit: 1 }).items;
    store.close();
    expect(failed).toMatchObject({ status: 'failed', epochsDone: 1 });
    expect(failed!.error).toMatch(/WebGPU error: .*resume it from its last checkpoint/);

    const resumed = cli(home, ['runs', 'resume', failed!.id]);
    expect((await resumed.exit).code, resumed.stderr()).toBe(0);
    const after = openStore(home);
    try {
      expect(after.runs.get(failed!.id)).toMatchObject({ status: 'completed', epochsDone: 3 });
      expect(after.runs.epochs(failed!.id).map((e) => e.epoch)).toEqual([1, 2, 3]);
    } finally {
      after.close();
    }
  }, 180_000);

  // The desktop app runs GPU trainers as the bundled out/main/trainer.cjs under a real Node binary
  // (electron/app/utility-trainer.ts): that exact file, under this Node, trains on webgpu.
  const bundled = join(appRoot(), 'out', 'main', 'trainer.cjs');
  it.skipIf(!existsSync(bundled))('the desktop bundle of the trainer trains on webgpu under plain Node', async () => {
    const lib = new DatasetLibrary({ dataDir: join(dir.path, 'home-bundle'), records: new MemoryDatasetRecords() });
    const dataset = await lib.importPaths([data]);
    const devices: (string | null)[] = [];
    const handle = startTrainer(
      {
        runId: 'bundle',
        model: presetModel('shl'),
        config: TrainConfig.parse({ lr: 0.01, epochs: 1, batchSize: 32, backend: 'webgpu' }),
        datasetDir: lib.dirFor(dataset.id),
        checkpointDir: join(dir.path, 'bundle-ckpt'),
      },
      { fork: nodeForkTrainer({ execArgv: [], entry: bundled }), onMessage: (m) => m.type === 'started' && devices.push(m.device) },
    );
    const outcome = await handle.done;
    expect(outcome, outcome.error ?? '').toMatchObject({ status: 'completed', backend: 'webgpu', lastEpoch: 1 });
    expect(devices[0]).toMatch(/\w/);
  }, 120_000);
});
