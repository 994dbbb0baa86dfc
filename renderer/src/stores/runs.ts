import { defineStore } from 'pinia';
import { computed, ref, shallowReactive } from 'vue';
import { api, transport } from '../api/client';
import type { EpochMetrics, Run } from '../../../shared/domain';
import { upsertById } from '../lib/collections';
import { ACTIVE } from '../lib/live';
import { mergeEpoch } from '../lib/epochs';

/**
 * Runs in flight (queued, running) and the ones that finished while this window watched, plus the
 * per-epoch metrics of runs someone is looking at, appended as `run.epoch` events arrive so a
 * finished epoch reaches the chart without a refetch.
 */
export const useRunsStore = defineStore('runs', () => {
  const active = ref<Run[]>([]);
  /** Runs that left queued/running while this window was open: the Live view keeps them a while. */
  const recent = ref<Run[]>([]);
  /** Every run seen in an event or fetched, by id (History rows patch themselves from here). */
  const latest = shallowReactive(new Map<string, Run>());
  const epochs = shallowReactive<Record<string, EpochMetrics[]>>({});
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const watchers = new Map<string, number>();
  let subscribed = false;
  const byNewest = (a: Run, b: Run) => b.createdAt.localeCompare(a.createdAt);

  async function loadActive(): Promise<void> {
    try {
      const page = await api.runs.list({ status: ['running', 'queued'], limit: 500, sort: 'createdAt', order: 'desc' });
      active.value = page.items;
      for (const r of page.items) latest.set(r.id, r);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  function onRun(run: Run): void {
    latest.set(run.id, run);
    const wasActive = active.value.some((r) => r.id === run.id);
    if (ACTIVE.has(run.status)) {
      active.value = upsertById(active.value, run, byNewest);
      recent.value = recent.value.filter((r) => r.id !== run.id);
    } else if (wasActive) {
      active.value = active.value.filter((r) => r.id !== run.id);
      recent.value = [run, ...recent.value.filter((r) => r.id !== run.id)].slice(0, 24);
    } else if (recent.value.some((r) => r.id === run.id)) {
      recent.value = upsertById(recent.value, run, byNewest);
    }
  }

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    transport.on('run.updated', onRun);
    transport.on('run.deleted', ({ id }) => {
      latest.delete(id);
      active.value = active.value.filter((r) => r.id !== id);
      recent.value = recent.value.filter((r) => r.id !== id);
      delete epochs[id];
    });
    transport.on('run.epoch', ({ runId, metrics }) => {
      const list = epochs[runId];
      if (list) epochs[runId] = mergeEpoch(list, metrics);
    });
  }

  /** Starts keeping `id`'s epochs (fetched once, then from events); returns a release function. */
  function watchEpochs(id: string): () => void {
    watchers.set(id, (watchers.get(id) ?? 0) + 1);
    if (!epochs[id]) {
      epochs[id] = [];
      void api.runs
        .epochs({ id })
        .then((stored) => {
          // Events that arrived while fetching are merged in, not lost.
          let merged = stored;
          for (const m of epochs[id] ?? []) merged = mergeEpoch(merged, m);
          epochs[id] = merged;
        })
        .catch(() => {});
    }
    return () => {
      const n = (watchers.get(id) ?? 1) - 1;
      if (n <= 0) {
        watchers.delete(id);
        delete epochs[id];
      } else watchers.set(id, n);
    };
  }

  const running = computed(() => active.value.filter((r) => r.status === 'running'));

  return { active, recent, running, latest, epochs, loaded, error, loadActive, subscribe, watchEpochs, onRun };
});
