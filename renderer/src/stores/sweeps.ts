import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api, isDesktop, transport } from '../api/client';
import type { Sweep } from '../../../shared/domain';
import { upsertById } from '../lib/collections';
import { notifySweepEnded, sweepEnded } from '../lib/notify';

/** Sweeps, kept live by events; says so (a desktop notification) when one ends. */
export const useSweepsStore = defineStore('sweeps', () => {
  const items = ref<Sweep[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  let subscribed = false;
  const byNewest = (a: Sweep, b: Sweep) => b.createdAt.localeCompare(a.createdAt);

  async function load(): Promise<void> {
    try {
      items.value = (await api.sweeps.list({})).slice().sort(byNewest);
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
    transport.on('sweep.updated', (sweep) => {
      const before = items.value.find((s) => s.id === sweep.id);
      items.value = upsertById(items.value, sweep, byNewest);
      // The desktop app's main process notifies (the window may be hidden); browser mode does it here.
      if (!isDesktop && sweepEnded(before?.status, sweep.status)) notifySweepEnded(sweep);
    });
    transport.on('sweep.deleted', ({ id }) => (items.value = items.value.filter((s) => s.id !== id)));
  }

  const active = computed(() => items.value.filter((s) => s.status === 'running' || s.status === 'paused'));
  const byId = computed(() => new Map(items.value.map((s) => [s.id, s])));

  return { items, loaded, error, active, byId, load, subscribe };
});
