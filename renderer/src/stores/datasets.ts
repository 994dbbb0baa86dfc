import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, transport } from '../api/client';
import type { CatalogId, EventPayload } from '../../../shared/contract';
import type { Dataset } from '../../../shared/domain';
import { upsertById } from '../lib/collections';

export type Progress = EventPayload<'dataset.progress'> & { at: number };

/** Data sets, kept live by events, and the progress of imports and downloads. */
export const useDatasetsStore = defineStore('datasets', () => {
  const items = ref<Dataset[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  /** Progress by task id; finished tasks linger briefly so the bar reaches 100%. */
  const tasks = ref<Record<string, Progress>>({});
  /** Browser-mode uploads in flight: bytes sent of bytes total. */
  const upload = ref<{ label: string; done: number; total: number } | null>(null);
  /** Catalog downloads this window started, by catalog id. */
  const downloading = ref<Partial<Record<CatalogId, boolean>>>({});
  let subscribed = false;

  const byNewest = (a: Dataset, b: Dataset) => b.createdAt.localeCompare(a.createdAt);

  async function load(): Promise<void> {
    try {
      items.value = (await api.datasets.list({})).slice().sort(byNewest);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    transport.on('dataset.updated', (ds) => (items.value = upsertById(items.value, ds, byNewest)));
    transport.on('dataset.deleted', ({ id }) => (items.value = items.value.filter((d) => d.id !== id)));
    transport.on('dataset.progress', (p) => {
      tasks.value = { ...tasks.value, [p.taskId]: { ...p, at: Date.now() } };
      if (p.phase === 'done' || p.phase === 'failed') {
        setTimeout(() => {
          const { [p.taskId]: _gone, ...rest } = tasks.value;
          tasks.value = rest;
        }, p.phase === 'failed' ? 8000 : 1500);
      }
    });
  }

  const byId = computed(() => new Map(items.value.map((d) => [d.id, d])));
  const activeTasks = computed(() => Object.values(tasks.value).sort((a, b) => a.at - b.at));

  return { items, loaded, error, tasks, activeTasks, upload, downloading, byId, load, subscribe };
});
