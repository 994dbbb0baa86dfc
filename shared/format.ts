/**
 * How Sweeplab writes numbers, dates and durations: one module for the app, the CLI and the PDF,
 * so a figure reads the same on screen, in a terminal and in a report (lr 5e-5 is "5e-5"
 * everywhere, an accuracy "91.83%", a missing value "—"). Pure TypeScript: no DOM, no Node.
 */
import { formatP } from './analysis';

/** What a missing or non-finite value prints as. */
export const MISSING = '—';

const absent = (value: number | null | undefined): value is null | undefined => value === null || value === undefined || !Number.isFinite(value);

/** Accuracy as a percentage: 0.91834 → "91.83%". */
export function percent(value: number | null | undefined, digits = 2): string {
  return absent(value) ? MISSING : `${(value * 100).toFixed(digits)}%`;
}
/** The same as percent (the tables' short name). */
export const pct = percent;

/** Percentage points without the sign, for CI bounds and deltas: 0.0123 → "1.23". */
export function pp(value: number | null | undefined, digits = 2): string {
  return absent(value) ? MISSING : (value * 100).toFixed(digits);
}

/** A signed difference in percentage points: -0.0042 → "−0.42 pp". */
export function deltaPp(value: number | null | undefined): string {
  if (absent(value)) return MISSING;
  const text = Math.abs(value * 100).toFixed(2);
  return `${value < 0 ? '−' : value > 0 ? '+' : '±'}${text} pp`;
}

/**
 * A hyperparameter (learning rate, clip norm, weight decay) as people write it: 0.001, 0.0005,
 * 1.5; below 1e-4 or from 1e6 up in short exponent form, 5e-5, 1e-7; "none" for null.
 */
export function hyper(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'none';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e-4 && abs < 1e6) return String(Number(value.toPrecision(6)));
  return value.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
}

export function clipLabel(clip: number | null): string {
  return clip === null ? 'no clip' : hyper(clip);
}

/** A loss or other real number with `digits` significant digits (exponent form when tiny or huge). */
export function num(value: number | null | undefined, digits = 4): string {
  if (absent(value)) return MISSING;
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-4) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

/** A p-value with enough digits that 0.0498 and 0.050 are not confused (shared/analysis.ts formatP). */
export function pValue(p: number | null | undefined): string {
  return absent(p) ? MISSING : formatP(p);
}

/** 1234567 → "1,234,567" (locale-independent, for parameter and sample counts). */
export function count(n: number | null | undefined): string {
  if (absent(n)) return MISSING;
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
/** The same as count (the tables' short name). */
export const int = count;

/** 12345 → "12.3k", 1.2e6 → "1.2M". */
export function compact(n: number): string {
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}

export function bytes(n: number | null | undefined): string {
  if (absent(n)) return MISSING;
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** "45 s", "3 min 20 s", "2 h 05 min", "3 d 4 h"; "4.2 s" under ten seconds. */
export function duration(seconds: number | null | undefined): string {
  if (absent(seconds) || seconds < 0) return MISSING;
  if (seconds < 10 && seconds > 0 && Math.round(seconds) !== seconds) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A timestamp as "2025-11-29 08:12 UTC" (reports and the CLI: two co-authors read the same time),
 * or with zone 'local' as "2025-11-29 09:12" in the viewer's own time zone (the app).
 */
export function dateTime(iso: string | Date | null | undefined, zone: 'utc' | 'local' = 'utc'): string {
  if (!iso) return MISSING;
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  if (zone === 'utc') return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "just now", "3 min ago", "yesterday", or the local date. `now` injected for tests. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return MISSING;
  const t = new Date(iso).getTime();
  if (!Number.isFinite(t)) return MISSING;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 2 * 86400) return 'yesterday';
  if (s < 7 * 86400) return `${Math.round(s / 86400)} days ago`;
  return dateTime(iso, 'local').slice(0, 10);
}
