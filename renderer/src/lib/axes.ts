/** Sweep axes: log-spaced learning rates, value lists typed by hand, previews. Pure. */
import type { LrAxis } from '../../../shared/domain';

/** numpy.logspace(log10(min), log10(max), points): min and max included; points = 1 gives [min]. */
export function logspace(min: number, max: number, points: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isInteger(points) || points < 1) return [];
  if (points === 1) return [min];
  const a = Math.log10(min);
  const b = Math.log10(max);
  return Array.from({ length: points }, (_, i) => (i === points - 1 ? max : i === 0 ? min : roundSig(10 ** (a + ((b - a) * i) / (points - 1)))));
}

/** Rounds to 6 significant digits so 10**x noise (0.0010000000000000002) reads as typed. */
export function roundSig(x: number, digits = 6): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

export type NumberListResult = { values: number[]; error: null } | { values: number[]; error: string };

/**
 * "0.0005, 0.001 5e-3" → numbers. Separators: commas, spaces, semicolons. `allowNone` accepts
 * "none" (no clipping) as null.
 */
export function parseNumberList(
  text: string,
  options: { allowNone?: boolean; min?: number; exclusiveMin?: boolean; max?: number; integer?: boolean } = {},
): { values: (number | null)[]; error: string | null } {
  const parts = text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) return { values: [], error: 'Enter at least one value' };
  const values: (number | null)[] = [];
  for (const part of parts) {
    if (options.allowNone && /^(none|null|off|-)$/i.test(part)) {
      values.push(null);
      continue;
    }
    const n = Number(part);
    if (!Number.isFinite(n)) return { values, error: `"${part}" is not a number${options.allowNone ? ' (or "none")' : ''}` };
    if (options.integer && !Number.isInteger(n)) return { values, error: `${part} must be a whole number` };
    if (options.min !== undefined && (options.exclusiveMin ? n <= options.min : n < options.min)) {
      return { values, error: `${part} must be ${options.exclusiveMin ? 'greater than' : 'at least'} ${options.min}` };
    }
    if (options.max !== undefined && n > options.max) return { values, error: `${part} must be at most ${options.max}` };
    values.push(n);
  }
  const seen = new Set<string>();
  const unique = values.filter((v) => {
    const key = String(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { values: unique, error: null };
}

/** The learning rates an axis expands to, as the back end expands it. */
export function lrValues(axis: LrAxis): number[] {
  return 'values' in axis ? axis.values.slice() : logspace(axis.range.min, axis.range.max, axis.range.points);
}

/** Cells × repeats; the other axes multiply in. */
export function trialCount(sizes: number[], repeats: number): number {
  return sizes.reduce((a, b) => a * Math.max(0, b), 1) * Math.max(0, repeats);
}
