import { computed, onScopeDispose, watch, type Ref } from 'vue';
import { useRunsStore } from '../stores/runs';
import type { EpochMetrics } from '../../../shared/domain';

/** A run's epochs, live: fetched once, then appended from run.epoch events. */
export function useRunEpochs(id: Ref<string | null | undefined>) {
  const runs = useRunsStore();
  runs.subscribe();
  let release: (() => void) | null = null;
  watch(
    id,
    (value) => {
      release?.();
      release = value ? runs.watchEpochs(value) : null;
    },
    { immediate: true },
  );
  onScopeDispose(() => release?.());
  return computed<EpochMetrics[]>(() => (id.value ? runs.epochs[id.value] ?? [] : []));
}
