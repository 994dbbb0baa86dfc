/**
 * The History table's data: paged queries (runs.list with limit/offset) fetched as rows scroll into
 * view, so 10,000 runs cost a page of 100 at a time; rows patch themselves from run.updated events,
 * and inserts or deletes refresh the cached pages (debounced) so counts and order stay right.
 */
import { computed, onScopeDispose, reactive, ref, shallowReactive, watch } from 'vue';
import { api, transport } from '../api/client';
import type { Run } from '../../../shared/domain';
import { emptyFilters, toRunFilter, type SortKey } from '../lib/history';
import { pagesFor, pagesToEvict } from '../lib/virtual';

export const PAGE_SIZE = 100;
const KEEP_PAGES = 12;

export function useHistory() {
  const filters = reactive(emptyFilters());
  const sort = ref<SortKey>('createdAt');
  const order = ref<'asc' | 'desc'>('desc');
  const total = ref(0);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const pages = shallowReactive(new Map<number, Run[]>());
  const inflight = new Set<number>();
  let generation = 0;
  let lastRange: [number, number] = [0, PAGE_SIZE];

  const query = computed(() => toRunFilter(filters, sort.value, order.value));

  async function fetchPage(page: number, gen = generation): Promise<void> {
    if (inflight.has(page)) return;
    inflight.add(page);
    try {
      const result = await api.runs.list({ ...query.value, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
      if (gen !== generation) return;
      pages.set(page, result.items);
      total.value = result.total;
      error.value = null;
    } catch (e) {
      if (gen === generation) error.value = (e as Error).message;
    } finally {
      inflight.delete(page);
      if (gen === generation) loaded.value = true;
    }
  }

  /** Called by the table with the rows it is about to show. */
  function ensureRange(start: number, end: number): void {
    lastRange = [start, end];
    const wanted = pagesFor(start, Math.max(end, start + 1), PAGE_SIZE);
    for (const p of wanted) if (!pages.has(p)) void fetchPage(p);
    if (pages.size > KEEP_PAGES) for (const p of pagesToEvict(pages.keys(), wanted[0] ?? 0, KEEP_PAGES)) pages.delete(p);
  }

  function rowAt(index: number): Run | undefined {
    return pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  function reset(): void {
    generation++;
    inflight.clear();
    pages.clear();
    void fetchPage(0).then(() => ensureRange(0, lastRange[1] - lastRange[0]));
  }

  // Typing in a filter field waits for a pause; a click on a column header does not.
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let immediate = false;
  watch(query, () => {
    clearTimeout(debounce);
    if (immediate) {
      immediate = false;
      reset();
    } else debounce = setTimeout(reset, 150);
  });

  /** Refetches the cached pages in place (new or deleted runs shift rows). */
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  function scheduleRefresh(): void {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      const gen = generation;
      const cached = [...pages.keys()];
      for (const p of cached.length ? cached : [0]) void fetchPage(p, gen);
    }, 500);
  }

  function patch(run: Run): boolean {
    for (const [p, rows] of pages) {
      const i = rows.findIndex((r) => r.id === run.id);
      if (i >= 0) {
        const next = rows.slice();
        next[i] = run;
        pages.set(p, next);
        return true;
      }
    }
    return false;
  }

  const offUpdated = transport.on('run.updated', (run) => {
    if (!patch(run)) scheduleRefresh();
  });
  const offDeleted = transport.on('run.deleted', () => scheduleRefresh());
  onScopeDispose(() => {
    offUpdated();
    offDeleted();
    clearTimeout(debounce);
    clearTimeout(refreshTimer);
  });

  function setSort(key: SortKey): void {
    immediate = true;
    if (sort.value === key) order.value = order.value === 'desc' ? 'asc' : 'desc';
    else {
      sort.value = key;
      order.value = key === 'name' || key === 'status' ? 'asc' : 'desc';
    }
  }

  reset();
  return { filters, sort, order, total, loaded, error, pages, query, ensureRange, rowAt, reset, setSort, patch };
}
