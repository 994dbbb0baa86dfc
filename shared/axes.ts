/**
 * Sweep axis values, one definition for the back end (grid expansion, statistics, PDF reports)
 * and the UI (previews, charts), so a preview never disagrees with what runs and every chart
 * orders its axes the same way.
 */
import type { LrAxis } from './domain';

/**
 * numpy.logspace(log10(min), log10(max), points): the endpoints exactly as typed, interior points
 * rounded to 6 significant digits (1e-4:1e-1:4 gives 0.001, not 0.0010000000000000002). [] for
 * invalid input, [min] for one point.
 */
export function logspace(min: number, max: number, points: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isInteger(points) || points < 1) return [];
  if (points === 1) return [min];
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  return Array.from({ length: points }, (_, i) =>
    i === 0 ? min : i === points - 1 ? max : Number((10 ** (lo + ((hi - lo) * i) / (points - 1))).toPrecision(6)),
  );
}

/** The learning rates an lr axis means, duplicates dropped, in the order given. */
export function lrValues(axis: LrAxis): number[] {
  return [...new Set('values' in axis ? axis.values : logspace(axis.range.min, axis.range.max, axis.range.points))];
}

/** Distinct learning rates, ascending. */
export function sortedLrs(items: readonly { lr: number }[]): number[] {
  return [...new Set(items.map((c) => c.lr))].sort((a, b) => a - b);
}

/** Distinct clip norms ascending, "no clip" (an infinite norm) last. */
export function sortedClips(items: readonly { clip: number | null }[]): (number | null)[] {
  return [...new Set(items.map((c) => c.clip))].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
}
