/**
 * Search beyond the grid: random search and TPE over a sweep's space. Pure and seeded: proposal k
 * of a spec draws from its own random stream (searchSeed, k), so the same spec and the same
 * observed results always propose the same configuration, and a sweep resumed after a crash
 * continues at k = the number of configurations it already stored.
 *
 * The space: each range in `spec.ranges` is continuous (log-uniform or uniform; clip may also be
 * "none"); every other axis given as a list is a discrete choice; an axis with one value is fixed.
 * Continuous draws are rounded to 3 significant digits so configurations read well in tables; a
 * draw equal to a configuration already proposed is drawn again.
 *
 * TPE follows Optuna's default (independent) TPESampler: the first `startupTrials` proposals are
 * random; then the observed configurations are split into the best γ(n) = min(⌈0.1·n⌉, 25) and
 * the rest, each parameter gets a Parzen estimator over each group (l(x): good, g(x): the rest;
 * truncated Gaussians on the observations plus a flat prior; categorical: smoothed counts), and
 * of `candidates` draws from l(x) the one maximising l(x)/g(x) is proposed. Written here rather
 * than taken from a package: no maintained npm package implements TPE, and this is ~150 lines.
 */
import { Rng } from '../engine/rng';
import { lrValues } from '../../shared/axes';
import type { OptimizerName, PresetName, SweepSpec } from '../../shared/domain';
import { cellIdOf, type Cell } from './grid';

export type CellValues = Omit<Cell, 'cellId' | 'rank'>;
type ParamName = 'lr' | 'clip' | 'batchSize' | 'optimizer' | 'weightDecay' | 'preset';

export type SearchParam =
  | { name: ParamName; kind: 'float'; min: number; max: number; log: boolean; /** clip only: "none" is a choice too */ none: boolean }
  | { name: ParamName; kind: 'choice'; choices: readonly (number | string | null)[] };

/** The parameters a search sweep draws, in a fixed order (the order of draws from the stream). */
export function searchSpace(spec: SweepSpec): SearchParam[] {
  const { axes, ranges } = spec;
  const params: SearchParam[] = [];
  if (ranges?.lr) params.push({ name: 'lr', kind: 'float', ...ranges.lr, none: false });
  else params.push({ name: 'lr', kind: 'choice', choices: lrValues(axes.lr) });
  if (ranges?.clip) params.push({ name: 'clip', kind: 'float', min: ranges.clip.min, max: ranges.clip.max, log: ranges.clip.log, none: ranges.clip.none });
  else params.push({ name: 'clip', kind: 'choice', choices: [...new Set(axes.clip)] });
  if (axes.batchSize) params.push({ name: 'batchSize', kind: 'choice', choices: [...new Set(axes.batchSize)] });
  if (axes.optimizer) params.push({ name: 'optimizer', kind: 'choice', choices: [...new Set(axes.optimizer)] });
  if (ranges?.weightDecay) params.push({ name: 'weightDecay', kind: 'float', ...ranges.weightDecay, none: false });
  else if (axes.weightDecay) params.push({ name: 'weightDecay', kind: 'choice', choices: [...new Set(axes.weightDecay)] });
  if (axes.preset) params.push({ name: 'preset', kind: 'choice', choices: [...new Set(axes.preset)] });
  return params;
}

/** How many distinct configurations the space holds (Infinity with any range). */
export function spaceSize(spec: SweepSpec): number {
  return searchSpace(spec).reduce((n, p) => n * (p.kind === 'float' ? Infinity : p.choices.length), 1);
}

/** A configuration already tried and how it did. */
export interface Observation {
  values: CellValues;
  /** Higher is better; -Infinity for a diverged configuration. */
  score: number;
  /** Reached the last epoch (completed); a pruned configuration ranks below every completed one. */
  complete: boolean;
  /** Epochs reached (pruned ones: deeper ranks better). */
  epochs: number;
}

type Value = number | string | null;

const round3 = (x: number) => Number(x.toPrecision(3));

const toInternal = (p: Extract<SearchParam, { kind: 'float' }>, x: number) => (p.log ? Math.log(x) : x);
const bounds = (p: Extract<SearchParam, { kind: 'float' }>): [number, number] => [toInternal(p, p.min), toInternal(p, p.max)];

function fromInternal(p: Extract<SearchParam, { kind: 'float' }>, u: number): number {
  const x = p.log ? Math.exp(u) : u;
  return Math.min(p.max, Math.max(p.min, round3(x)));
}

function assemble(params: readonly SearchParam[], drawn: Map<ParamName, Value>): CellValues {
  const values: CellValues = { lr: drawn.get('lr') as number, clip: (drawn.get('clip') ?? null) as number | null };
  for (const p of params) {
    const v = drawn.get(p.name);
    if (p.name === 'batchSize') values.batchSize = v as number;
    if (p.name === 'optimizer') values.optimizer = v as OptimizerName;
    if (p.name === 'weightDecay') values.weightDecay = v as number;
    if (p.name === 'preset') values.preset = v as PresetName;
  }
  return values;
}

function randomValue(p: SearchParam, rng: Rng): Value {
  if (p.kind === 'choice') return p.choices[rng.below(p.choices.length)]!;
  if (p.none && rng.nextFloat() < 0.5) return null;
  const [lo, hi] = bounds(p);
  return fromInternal(p, rng.uniform(lo, hi));
}

function randomDraw(params: readonly SearchParam[], rng: Rng): CellValues {
  return assemble(params, new Map(params.map((p) => [p.name, randomValue(p, rng)])));
}

const streamOf = (spec: SweepSpec, k: number) => Rng.seeded(spec.searchSeed ?? spec.base.seed, 7919 + k);

/** Draws again (same stream) until the configuration is new; null when 200 draws found none. */
function fresh(params: readonly SearchParam[], rng: Rng, taken: ReadonlySet<string>, first?: CellValues): CellValues | null {
  if (first && !taken.has(cellIdOf(first))) return first;
  for (let i = 0; i < 200; i++) {
    const v = randomDraw(params, rng);
    if (!taken.has(cellIdOf(v))) return v;
  }
  return null;
}

/** Proposal k of a random search; `taken`: cell ids already proposed. Null: the space is exhausted. */
export function proposeRandom(spec: SweepSpec, k: number, taken: ReadonlySet<string>): CellValues | null {
  const params = searchSpace(spec);
  return fresh(params, streamOf(spec, k), taken);
}

// ---------------------------------------------------------------------------------------------
// TPE

const SQRT2 = Math.SQRT2;
function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough for mixture weights.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const normCdf = (z: number) => 0.5 * (1 + erf(z / SQRT2));

interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  lo: number;
  hi: number;
}

/** Optuna's univariate Parzen estimator: observations plus a prior at the middle with σ = the range. */
function parzen(points: readonly number[], lo: number, hi: number): Parzen {
  const prior = (lo + hi) / 2;
  const all = [...points.map((mu) => ({ mu, prior: false })), { mu: prior, prior: true }].sort((a, b) => a.mu - b.mu);
  const mus = all.map((a) => a.mu);
  const span = hi - lo;
  const minSigma = span / Math.min(100, 1 + all.length);
  const sigmas = all.map((a, i) => {
    if (a.prior) return span;
    const left = mus[i]! - (i > 0 ? mus[i - 1]! : lo);
    const right = (i < mus.length - 1 ? mus[i + 1]! : hi) - mus[i]!;
    return Math.min(span, Math.max(minSigma, left, right));
  });
  const weights = all.map(() => 1 / all.length);
  return { mus, sigmas, weights, lo, hi };
}

function parzenLogPdf(p: Parzen, x: number): number {
  let density = 0;
  for (let i = 0; i < p.mus.length; i++) {
    const mu = p.mus[i]!;
    const s = p.sigmas[i]!;
    const mass = normCdf((p.hi - mu) / s) - normCdf((p.lo - mu) / s);
    const z = (x - mu) / s;
    density += (p.weights[i]! * Math.exp(-0.5 * z * z)) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(density, 1e-300));
}

function parzenSample(p: Parzen, rng: Rng): number {
  let r = rng.nextFloat();
  let i = 0;
  while (i < p.weights.length - 1 && r >= p.weights[i]!) r -= p.weights[i++]!;
  for (let tries = 0; tries < 100; tries++) {
    const x = p.mus[i]! + p.sigmas[i]! * rng.normal();
    if (x >= p.lo && x <= p.hi) return x;
  }
  return Math.min(p.hi, Math.max(p.lo, p.mus[i]!));
}

/** Smoothed category weights: counts plus a prior of 1 spread over the choices. */
function categorical(observed: readonly Value[], choices: readonly Value[]): number[] {
  const w = choices.map((c) => observed.filter((o) => o === c).length + 1 / choices.length);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function pickIndex(weights: readonly number[], rng: Rng): number {
  let r = rng.nextFloat();
  for (let i = 0; i < weights.length; i++) {
    if (r < weights[i]!) return i;
    r -= weights[i]!;
  }
  return weights.length - 1;
}

const valueOf = (v: CellValues, name: ParamName): Value => (name === 'clip' ? v.clip : ((v[name] as Value | undefined) ?? null));

/** Optuna's default γ: the best ⌈10%⌉ of the observations, at most 25, are "good". */
export const tpeGamma = (n: number) => Math.min(Math.ceil(0.1 * n), 25);

/** Observations best first: completed by score, then pruned by depth, then score. */
export function rankObservations(observations: readonly Observation[]): Observation[] {
  return [...observations].sort(
    (a, b) => Number(b.complete) - Number(a.complete) || (a.complete ? 0 : b.epochs - a.epochs) || b.score - a.score,
  );
}

function tpeParam(p: SearchParam, below: readonly Observation[], above: readonly Observation[], candidates: number, rng: Rng): Value {
  const vals = (os: readonly Observation[]) => os.map((o) => valueOf(o.values, p.name));
  if (p.kind === 'choice') {
    const l = categorical(vals(below), p.choices);
    const g = categorical(vals(above), p.choices);
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 0; c < candidates; c++) {
      const i = pickIndex(l, rng);
      const score = Math.log(l[i]!) - Math.log(g[i]!);
      if (score > bestScore) [best, bestScore] = [i, score];
    }
    return p.choices[best]!;
  }
  // "none" for clip is its own two-way choice, then the value from the observations that had one.
  if (p.none) {
    const flags: Value[] = ['none', 'value'];
    const flag = (os: readonly Observation[]) => vals(os).map((v) => (v === null ? 'none' : 'value'));
    const l = categorical(flag(below), flags);
    const g = categorical(flag(above), flags);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < candidates; c++) {
      const i = pickIndex(l, rng);
      const score = Math.log(l[i]!) - Math.log(g[i]!);
      if (score > bestScore) [best, bestScore] = [i, score];
    }
    if (best === 0) return null;
  }
  const [lo, hi] = bounds(p);
  if (hi <= lo) return p.min;
  const nums = (os: readonly Observation[]) => vals(os).flatMap((v) => (typeof v === 'number' ? [toInternal(p, v)] : []));
  const l = parzen(nums(below), lo, hi);
  const g = parzen(nums(above), lo, hi);
  let best = l.mus[0]!;
  let bestScore = -Infinity;
  for (let c = 0; c < candidates; c++) {
    const x = parzenSample(l, rng);
    const score = parzenLogPdf(l, x) - parzenLogPdf(g, x);
    if (score > bestScore) [best, bestScore] = [x, score];
  }
  return fromInternal(p, best);
}

/**
 * Proposal k of a TPE search given the configurations observed so far (those with a result) and
 * `taken` (every configuration proposed, finished or not). Null: the space is exhausted.
 */
export function proposeTpe(spec: SweepSpec, k: number, observations: readonly Observation[], taken: ReadonlySet<string>): CellValues | null {
  const params = searchSpace(spec);
  const rng = streamOf(spec, k);
  const startup = spec.tpe?.startupTrials ?? 10;
  const candidates = spec.tpe?.candidates ?? 24;
  if (observations.length < startup) return fresh(params, rng, taken);
  const ranked = rankObservations(observations);
  const nBelow = tpeGamma(ranked.length);
  const below = ranked.slice(0, nBelow);
  const above = ranked.slice(nBelow);
  const drawn = new Map<ParamName, Value>(params.map((p) => [p.name, tpeParam(p, below, above, candidates, rng)]));
  return fresh(params, rng, taken, assemble(params, drawn));
}

/** The proposal k for either search method. */
export function propose(spec: SweepSpec, k: number, observations: readonly Observation[], taken: ReadonlySet<string>): CellValues | null {
  return spec.method === 'tpe' ? proposeTpe(spec, k, observations, taken) : proposeRandom(spec, k, taken);
}

/**
 * The configurations a search sweep is expected to try, for its launch estimate: the random
 * proposals in order (TPE's first ones are these; its later ones are not known before results).
 */
export function plannedCells(spec: SweepSpec): Cell[] {
  const taken = new Set<string>();
  const cells: Cell[] = [];
  for (let k = 0; k < (spec.trials ?? 0); k++) {
    const v = proposeRandom(spec, k, taken);
    if (!v) break;
    const cellId = cellIdOf(v);
    taken.add(cellId);
    cells.push({ ...v, cellId, rank: k });
  }
  return cells;
}
