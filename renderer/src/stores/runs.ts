import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, transport } from '../api/client';
import type { Run } from '../../../shared/domain';
import { upsertById } from '../lib/collections';

/** The runs list, kept live by `run.updated` / `run.deleted` events. */
export const useRunsStore = defineStore('runs', () => {
  const items = ref<Run[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);
  let subscribed = false;

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const page = await api.runs.list({ limit: 200 });
      items.value = page.items;
      total.value = page.total;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    transport.on('run.updated', (run) => {
      const before = items.value.length;
      items.value = upsertById(items.value, run, (a, b) => b.createdAt.localeCompare(a.createdAt));
      total.value += items.value.length - before;
    });
    transport.on('run.deleted', ({ id }) => {
      const before = items.value.length;
      items.value = items.value.filter((r) => r.id !== id);
      total.value -= before - items.value.length;
    });
  }

  return { items, total, loading, error, load, subscribe };
});
