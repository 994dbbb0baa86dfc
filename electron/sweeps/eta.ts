/**
 * How long a sweep will take: before launch from epoch times measured in past runs of the same
 * model, data set, batch size and backend (scaled to this training-set size), else from a
 * parameter-count × samples heuristic, labelled as an estimate; while running, from the sweep's
 * own epochs.
 */
import type { Store } from '../store';
import type { SweepPlan } from '../../shared/contract/sweeps';
import type { Dataset, ModelSpec, PresetName, PruneSpec, Sweep, SweepSpec, TrainConfig } from '../../shared/domain';
import { assertGridSize, expandCells, expandTrials, lrValues, trialConfig, trialModel } from './grid';
import { expectedEpochs } from './prune';
import { plannedCells } from './search';
import { sortedLrs } from '../../shared/axes';
import { presetModel as builtInPreset } from '../../shared/models';

/**
 * Sustained training throughput assumed by the heuristic, in FLOP/s: a `both`-model step (batch 64,
 * ≈1.0e8 FLOP forward + backward) measured at 11.3 ms on the wasm backend, ≈9 GFLOP/s.
 */
const HEURISTIC_FLOPS = 9e9;

/** Trainable parameters of a model on an input of `inputSize` features (PyTorch's count). */
export function parameterCount(model: ModelSpec, inputSize: number): number {
  let features = inputSize;
  let params = 0;
  for (const layer of model.layers) {
    if (layer.type === 'linear') {
      params += features * layer.units + (layer.bias ? layer.units : 0);
      features = layer.units;
    } else if (layer.type === 'batchnorm1d') params += 2 * features;
  }
  return params;
}

/** Training samples one epoch of `config` sees on `dataset`. */
export function trainSamples(config: Pick<TrainConfig, 'subset'>, dataset: Pick<Dataset, 'counts'>): number {
  return config.subset ? Math.min(config.subset.size, dataset.counts.train) : dataset.counts.train;
}

export interface EpochTimeEstimate {
  seconds: number;
  source: 'measured' | 'estimate';
  basis: string;
}

/**
 * Seconds per epoch for one trial: the median over stored epochs of past runs on the same data set
 * with the same layers and batch size (and backend, when the config names one; with 'auto', the
 * backend of the most recent such run), each scaled by this run's training samples over theirs.
 */
export function epochSeconds(store: Store, dataset: Dataset, model: ModelSpec, config: TrainConfig): EpochTimeEstimate {
  const samples = trainSamples(config, dataset);
  const layers = JSON.stringify(model.layers);
  let matches = store.runs.timed(dataset.id).filter((r) => r.config.batchSize === config.batchSize && JSON.stringify(r.model.layers) === layers);
  const backend = config.backend !== 'auto' ? config.backend : (matches.find((r) => r.backend)?.backend ?? null);
  if (backend) matches = matches.filter((r) => r.backend === backend);
  matches = matches.slice(0, 50);
  if (matches.length) {
    const scaled: number[] = [];
    const epochs = store.runs.epochsMany(matches.map((m) => m.id));
    for (const { runId, epochs: list } of epochs) {
      const m = matches.find((x) => x.id === runId)!;
      const theirs = trainSamples(m.config, dataset);
      for (const e of list) scaled.push((e.seconds * samples) / theirs);
    }
    if (scaled.length) {
      return {
        seconds: median(scaled),
        source: 'measured',
        basis: `median of ${scaled.length} epochs of ${matches.length} past run${matches.length === 1 ? '' : 's'} of this model on ${dataset.name}${backend ? ` (${backend})` : ''}, scaled to ${samples} training samples`,
      };
    }
  }
  const inputSize = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const params = parameterCount(model, inputSize);
  const evalSamples = dataset.counts.test + (config.trainAccOn === 'full' ? dataset.counts.train : 0);
  // Forward + backward ≈ 6 FLOP per parameter per training sample, forward ≈ 2 per evaluated sample.
  const flops = 6 * params * samples + 2 * params * evalSamples;
  return {
    seconds: flops / HEURISTIC_FLOPS,
    source: 'estimate',
    basis: `${params.toLocaleString('en-US')} parameters × ${samples} samples at ~${HEURISTIC_FLOPS / 1e9} GFLOP/s (no past runs of this model on ${dataset.name} to measure from)`,
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * What launching `spec` means: trials, epochs and how long. Trials run `concurrency` at a time, so
 * the wall time is the total trial-epoch time over the pool, never less than the longest trial.
 */
export function planSweep(
  store: Store,
  spec: SweepSpec,
  dataset: Dataset,
  concurrency: number,
  presetModel: (name: PresetName, numClasses: number) => ModelSpec = builtInPreset,
): SweepPlan {
  assertGridSize(spec);
  const search = (spec.method ?? 'grid') !== 'grid';
  const cells = search ? plannedCells(spec) : expandCells(spec);
  const trials = search
    ? Array.from({ length: spec.repeats }, (_, r) => cells.map((cell) => ({ cell, seed: spec.base.seed + r }))).flat()
    : expandTrials(spec);
  const cache = new Map<string, EpochTimeEstimate>();
  let total = 0;
  let longest = 0;
  let epochs = 0;
  let measured = 0;
  let first: EpochTimeEstimate | null = null;
  // A cell's seeds share its configuration but for the seed: one estimate per cell, counted once
  // per seed (5,000 trials of 100 cells: 100 configurations built, not 5,000; this runs with every
  // sweep update of a draft's or a running sweep's ETA).
  const perCell = new Map<string, { cell: (typeof trials)[number]['cell']; seed: number; count: number }>();
  for (const t of trials) {
    const group = perCell.get(t.cell.cellId);
    if (group) group.count++;
    else perCell.set(t.cell.cellId, { cell: t.cell, seed: t.seed, count: 1 });
  }
  for (const { cell, seed, count } of perCell.values()) {
    const config = trialConfig(spec, cell, seed);
    const model = trialModel(spec, cell, (p) => presetModel(p, dataset.numClasses));
    const key = `${JSON.stringify(model.layers)}|${config.batchSize}`;
    let est = cache.get(key);
    if (!est) cache.set(key, (est = epochSeconds(store, dataset, model, config)));
    first ??= est;
    const trialSeconds = est.seconds * config.epochs;
    total += trialSeconds * count;
    longest = Math.max(longest, trialSeconds);
    epochs += config.epochs * count;
    if (est.source === 'measured') measured += count;
  }
  const parallel = Math.max(1, Math.min(concurrency, trials.length));
  const allMeasured = measured === trials.length;
  const distinct = [...cache.values()];
  // Early termination: the expected share of the trial-epochs that will train (an estimate).
  const expected = expectedEpochs(spec.prune, trials.length, spec.base.epochs);
  const share = epochs ? expected / (trials.length * spec.base.epochs) : 1;
  return {
    cells: cells.length,
    trials: trials.length,
    epochsPerTrial: spec.base.epochs,
    epochs: spec.prune ? expected : epochs,
    epochsFull: epochs,
    pruneBasis: spec.prune ? pruneBasis(spec.prune) : null,
    lrValues: search ? sortedLrs(cells) : lrValues(spec.axes.lr),
    concurrency,
    secondsPerEpoch: epochs ? total / epochs : 0,
    etaSeconds: Math.max((total * share) / parallel, longest),
    etaSource: allMeasured ? 'measured' : 'estimate',
    basis: distinct.length === 1 || !first ? (first?.basis ?? '') : `${measured} of ${trials.length} trials from measured epochs; ${first.basis}`,
  };
}

function pruneBasis(rule: PruneSpec): string {
  if (rule.rule === 'median') return `estimate: ${rule.startupTrials} startup trials in full, half of the others stopped after epoch ${rule.warmupEpochs + 1} (median rule)`;
  return `estimate: 1/${rule.eta} of the trials go on past each ${rule.rule === 'asha' ? 'rung' : 'band'} (${rule.rule === 'asha' ? 'ASHA' : 'Hyperband'})`;
}

const planCache = new WeakMap<Store, Map<string, number>>();

/**
 * Seconds left for a sweep at its concurrency (times its pack size once it has trained in packs), or null when nothing is left. Uses the median epoch
 * time of this sweep's own stored epochs once it has any (they already include the slowdown of
 * trials sharing the cores), else the pre-launch estimate.
 */
export function sweepEta(store: Store, sweep: Sweep): number | null {
  if (!['draft', 'running', 'paused', 'interrupted'].includes(sweep.status)) return null;
  const left = store.sweeps.remaining(sweep.id);
  // A search sweep's configurations not proposed yet will train too (each with its repeats).
  const unproposed = Math.max(0, sweep.trials.total - left.stored);
  if (!left.unfinished && !unproposed) return null;
  const share = sweep.spec.prune ? expectedEpochs(sweep.spec.prune, sweep.trials.total, sweep.spec.base.epochs) / (sweep.trials.total * sweep.spec.base.epochs) : 1;
  const remainingEpochs = left.epochs + unproposed * sweep.spec.base.epochs * share;
  const measured = store.sweeps.medianEpochSeconds(sweep.id);
  let secondsPerEpoch: number;
  if (measured !== null) {
    secondsPerEpoch = measured;
  } else {
    let cache = planCache.get(store);
    if (!cache) planCache.set(store, (cache = new Map()));
    let spe = cache.get(sweep.id);
    if (spe === undefined) {
      const dataset = store.datasets.get(sweep.datasetId);
      spe = dataset ? planSweep(store, sweep.spec, dataset, sweep.concurrency).secondsPerEpoch : 0;
      cache.set(sweep.id, spe);
    }
    secondsPerEpoch = spe;
  }
  // A packed trainer trains its whole pack in each epoch's seconds: it counts as that many trials.
  const pack = store.sweeps.packSize(sweep.id);
  const parallel = Math.max(1, Math.min(sweep.concurrency * pack, left.unfinished + unproposed));
  return (remainingEpochs * secondsPerEpoch) / parallel;
}
