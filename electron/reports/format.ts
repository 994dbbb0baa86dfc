/**
 * Number and label formatting shared by the PDF and the charts, so a figure reads the same in a
 * table, on a heatmap cell and in the text ("91.83%" everywhere, never 0.9183 in one place).
 */
import { formatP } from '../../shared/analysis';

/** Accuracy as a percentage with two decimals: 0.91834 → "91.83%". */
export function pct(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(digits)}%`;
}

/** Percentage points without the sign, for CI bounds and deltas: 0.0123 → "1.23". */
export function pp(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : (value * 100).toFixed(digits);
}

/** A signed difference in percentage points: -0.0042 → "−0.42 pp". */
export function deltaPp(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const text = Math.abs(value * 100).toFixed(2);
  return `${value < 0 ? '−' : value > 0 ? '+' : '±'}${text} pp`;
}

/** A learning rate or clip norm as the user typed it: 0.0005, 1.5, 1e-7. */
export function hyper(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'none';
  return String(Number(value.toPrecision(6)));
}

export function clipLabel(clip: number | null): string {
  return clip === null ? 'no clip' : hyper(clip);
}

/** A loss or other real number with `digits` significant digits. */
export function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-4) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

/** Three significant digits (shared/analysis.ts formatP), the same as the app shows. */
export function pValue(p: number | null | undefined): string {
  return p === null || p === undefined || !Number.isFinite(p) ? '–' : formatP(p);
}

export function int(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US');
}

/** Seconds as "42 s", "3 min 05 s", "1 h 02 min". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** An ISO timestamp as "2025-11-29 08:12 UTC" (UTC so two co-authors read the same time). */
export function dateTime(iso: string | Date | null | undefined): string {
  if (!iso) return '–';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
