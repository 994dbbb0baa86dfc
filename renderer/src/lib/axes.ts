/** Sweep axes: log-spaced learning rates, value lists typed by hand, previews. Pure. */

export { logspace, lrValues } from '../../../shared/axes';

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

/** Cells × repeats; the other axes multiply in. */
export function trialCount(sizes: number[], repeats: number): number {
  return sizes.reduce((a, b) => a * Math.max(0, b), 1) * Math.max(0, repeats);
}
