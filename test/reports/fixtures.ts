/**
 * A history to report on, inserted through the store (no training): a data set, stand-alone runs
 * with curves shaped like real ones, and an lr × clip sweep over three seeds whose best cell is
 * lr 0.001, clip 1.5 by construction. Curves come from a small deterministic formula plus seeded
 * noise, so every number a test expects is computed from the same rows the report reads.
 */
import { mulberry32 } from '../../electron/datasets/holdout';
import { openStore, type Store } from '../../electron/store';
import { expandCells, trialConfig } from '../../electron/sweeps/grid';
import { presetModel } from '../../shared/models';
import { SweepSpec, TrainConfig, type Dataset, type EpochMetrics, type Run } from '../../shared/domain';
import { datasetRecord, tempDir } from '../support/fixtures';

/** A tiny seeded PRNG, so fixture noise is the same on every run of the tests. */
const rng = mulberry32;

/** Curves that rise to `plateau` with training accuracy above validation accuracy, like a real run. */
export function curve(epochs: number, plateau: number, seed: number, clip: number | null): EpochMetrics[] {
  const r = rng(seed);
  const out: EpochMetrics[] = [];
  for (let e = 1; e <= epochs; e++) {
    const progress = 1 - Math.exp(-e / 2.5);
    const valAcc = Math.min(0.999, plateau * (0.82 + 0.18 * progress) + (r() - 0.5) * 0.006);
    const trainAcc = Math.min(0.999, valAcc + 0.01 + 0.004 * e + r() * 0.003);
    const loss = 0.9 * Math.exp(-e / 3) + (1 - trainAcc) * 0.8;
    const gradNormMean = 2.2 * Math.exp(-e / 6) + 0.4 + r() * 0.1;
    out.push({
      epoch: e,
      loss,
      trainAcc,
      valAcc,
      valLoss: loss * 1.1 + 0.02 * e * 0.1,
      seconds: 9 + r() * 2,
      gradNormMean,
      gradNormMax: gradNormMean * 2.4,
      clippedFraction: clip === null ? 0 : Math.max(0, Math.min(1, (gradNormMean - clip) / gradNormMean + 0.1)),
    });
  }
  return out;
}

export interface History {
  store: Store;
  dataDir: string;
  dataset: Dataset;
  runs: Run[];
  sweepId: string;
  close(): void;
}

export const SWEEP_LRS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1];
export const SWEEP_CLIPS = [0.5, 1, 1.5, 2.5];

/** Mean plateau of a sweep cell: peaks at lr 0.001, clip 1.5 (the notebook's answer). */
function cellPlateau(lr: number, clip: number | null): number {
  const l = Math.log10(lr / 0.001);
  const c = clip === null ? 1 : Math.abs(Math.log2(clip / 1.5));
  return 0.918 - 0.035 * l * l - 0.012 * c * c - 0.004 * Math.max(0, l) * c;
}

export function addRun(store: Store, datasetId: string, options: { name: string; preset: 'both' | 'bn' | 'shl' | 'five'; lr: number; clip: number | null; seed: number; epochs: number; plateau: number; sweepId?: string; cellId?: string; status?: Run['status']; error?: string }): Run {
  const config = TrainConfig.parse({ lr: options.lr, clipNorm: options.clip, seed: options.seed, epochs: options.epochs, subset: { size: 10_000 } });
  const run = store.runs.create({
    name: options.name,
    datasetId,
    model: presetModel(options.preset),
    config,
    sweepId: options.sweepId ?? null,
    cellId: options.cellId ?? null,
    status: 'running',
  });
  const epochs = curve(options.status === 'diverged' ? 3 : options.epochs, options.plateau, options.seed * 7919 + Math.round(options.lr * 1e5) + Math.round((options.clip ?? 0) * 100), options.clip);
  for (const e of epochs) store.runs.addEpoch(run.id, e);
  return store.runs.update(run.id, {
    status: options.status ?? 'completed',
    error: options.error ?? null,
    backend: 'wasm',
    startedAt: run.createdAt,
    finishedAt: new Date().toISOString(),
  })!;
}

export function makeHistory(): History {
  const dir = tempDir('sweeplab-reports-');
  const store = openStore(dir.path);
  const dataset = datasetRecord({
    name: 'Kuzushiji-MNIST',
    source: 'catalog:kmnist',
    classNames: ['o', 'ki', 'su', 'tsu', 'na', 'ha', 'ma', 'ya', 're', 'wo'],
    counts: { train: 60_000, test: 10_000 },
    classCounts: { train: Array(10).fill(6000), test: Array(10).fill(1000) },
    checksum: `kmnist-fixture-${Math.random().toString(36).slice(2)}`,
  });
  store.datasets.insert(dataset);

  const runs = [
    addRun(store, dataset.id, { name: 'both lr 0.001 clip 1.5', preset: 'both', lr: 0.001, clip: 1.5, seed: 0, epochs: 12, plateau: 0.918 }),
    addRun(store, dataset.id, { name: 'bn lr 0.001 clip 1.5', preset: 'bn', lr: 0.001, clip: 1.5, seed: 0, epochs: 12, plateau: 0.921 }),
    addRun(store, dataset.id, { name: 'shl lr 0.001 clip 1.5', preset: 'shl', lr: 0.001, clip: 1.5, seed: 0, epochs: 10, plateau: 0.893 }),
  ];
  store.runs.update(runs[0]!.id, { notes: 'Baseline for the paper: BN + dropout, the notebook\'s best setting.', tags: ['baseline'] });

  const spec = SweepSpec.parse({
    name: 'KMNIST lr × clip',
    datasetId: dataset.id,
    model: presetModel('both'),
    base: { lr: 0.001, epochs: 8, subset: { size: 10_000 } },
    axes: { lr: { values: SWEEP_LRS }, clip: SWEEP_CLIPS },
    repeats: 3,
  });
  const sweep = store.sweeps.create({ name: spec.name!, spec, concurrency: 2, status: 'completed' });
  for (let repeat = 0; repeat < spec.repeats; repeat++) {
    for (const cell of expandCells(spec)) {
      const config = trialConfig(spec, cell, spec.base.seed + repeat);
      const diverged = cell.lr === 0.1 && cell.clip === 2.5 && repeat === 2;
      addRun(store, dataset.id, {
        name: `lr ${cell.lr} clip ${cell.clip} s${config.seed}`,
        preset: 'both',
        lr: cell.lr,
        clip: cell.clip,
        seed: config.seed,
        epochs: spec.base.epochs,
        plateau: cellPlateau(cell.lr, cell.clip),
        sweepId: sweep.id,
        cellId: cell.cellId,
        ...(diverged ? { status: 'diverged' as const, error: 'epoch 3: loss became NaN' } : {}),
      });
    }
  }
  store.sweeps.update(sweep.id, { finishedAt: new Date().toISOString() });
  return {
    store,
    dataDir: dir.path,
    dataset,
    runs: runs.map((r) => store.runs.get(r.id)!),
    sweepId: sweep.id,
    close() {
      store.close();
      dir.remove();
    },
  };
}
