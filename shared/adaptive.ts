/**
 * Adaptive sweeps (search methods and early termination) in words, one definition for the CLI,
 * the PDF report and the app, so the three describe a sweep the same way. Pure.
 */
import type { PruneSpec, SweepSpec } from './domain';

const n = (x: number) => String(Number(x.toPrecision(6)));

/** "random search, 30 configurations" / "TPE (10 random startup trials), 30 configurations" / "grid". */
export function describeMethod(spec: Pick<SweepSpec, 'method' | 'trials' | 'tpe'>): string {
  const method = spec.method ?? 'grid';
  if (method === 'grid') return 'grid (every combination)';
  const budget = `${spec.trials} configuration${spec.trials === 1 ? '' : 's'}`;
  if (method === 'random') return `random search, ${budget}`;
  return `TPE (${spec.tpe?.startupTrials ?? 10} random startup trials, then Parzen estimators), ${budget}`;
}

/** "ASHA (grace 2, eta 3; best validation accuracy)" and the like; "none" without a rule. */
export function describePrune(prune: PruneSpec | undefined): string {
  if (!prune) return 'none (every trial runs all its epochs)';
  const metric = `${prune.metric.mode === 'best' ? 'best' : 'latest'} validation ${prune.metric.name === 'valLoss' ? 'loss' : 'accuracy'}`;
  switch (prune.rule) {
    case 'asha':
      return `ASHA (grace ${prune.grace}, eta ${n(prune.eta)}${prune.maxEpochs ? `, max ${prune.maxEpochs} epochs` : ''}; ${metric})`;
    case 'median':
      return `median rule (${prune.startupTrials} startup trials, ${prune.warmupEpochs} warm-up epochs; ${metric})`;
    case 'hyperband':
      return `Hyperband bands (${prune.minIter !== undefined ? `min_iter ${prune.minIter}` : `max_iter ${prune.maxIter}, s ${prune.s}`}, eta ${n(prune.eta)}${prune.strict ? ', strict' : ''}; ${metric})`;
  }
}

/** What a search draws from, one phrase per parameter: "lr log-uniform 0.0001–0.1", "clip 0.5, 1.5 or none". */
export function describeSpace(spec: SweepSpec): string[] {
  const { ranges, axes } = spec;
  const out: string[] = [];
  const range = (name: string, r: { min: number; max: number; log: boolean }) => `${name} ${r.log ? 'log-uniform' : 'uniform'} ${n(r.min)}–${n(r.max)}`;
  const choices = (name: string, xs: readonly (number | string | null)[]) =>
    xs.length === 1 ? `${name} ${xs[0] ?? 'none'}` : `${name} one of ${xs.map((x) => (x === null ? 'none' : typeof x === 'number' ? n(x) : x)).join(', ')}`;
  if (ranges?.lr) out.push(range('lr', ranges.lr));
  else out.push(choices('lr', 'values' in axes.lr ? axes.lr.values : [`${n(axes.lr.range.min)}…${n(axes.lr.range.max)} (${axes.lr.range.points} points)`]));
  if (ranges?.clip) out.push(`${range('clip', ranges.clip)}${ranges.clip.none ? ', or none (half the draws)' : ''}`);
  else out.push(choices('clip', axes.clip));
  if (axes.batchSize) out.push(choices('batch', axes.batchSize));
  if (axes.optimizer) out.push(choices('optimizer', axes.optimizer));
  if (ranges?.weightDecay) out.push(range('weight decay', ranges.weightDecay));
  else if (axes.weightDecay) out.push(choices('weight decay', axes.weightDecay));
  if (axes.preset) out.push(choices('model', axes.preset));
  return out;
}
