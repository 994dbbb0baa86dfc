/**
 * Windowing for long lists: which rows to render and which pages to fetch. Pure, so the 10,000-run
 * History table's arithmetic is tested without a browser.
 */

export interface Window {
  /** First row index to render (inclusive). */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Height of the spacer above the rendered rows. */
  before: number;
  /** Height of the spacer below them. */
  after: number;
}

export function visibleWindow(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8): Window {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, Math.min(first - overscan, total - 1));
  const end = Math.min(total, first + count + overscan);
  return { start, end, before: start * rowHeight, after: Math.max(0, (total - end) * rowHeight) };
}

/** Page indexes covering rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const first = Math.floor(start / pageSize);
  const last = Math.floor((end - 1) / pageSize);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Keeps the `keep` pages nearest `center`, dropping the rest (bounded memory while scrolling). */
export function pagesToEvict(cached: Iterable<number>, center: number, keep: number): number[] {
  const pages = [...cached];
  return pages.sort((a, b) => Math.abs(b - center) - Math.abs(a - center)).slice(0, Math.max(0, pages.length - keep));
}
