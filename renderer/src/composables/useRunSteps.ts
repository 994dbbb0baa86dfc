import { onScopeDispose, ref, watch, type Ref } from 'vue';
import { api, transport } from '../api/client';
import type { EpochSteps } from '../../../shared/domain';
import { mergeSteps } from '../lib/steps';

/**
 * A run's per-step curves, only while `enabled` (the per-step view is open): fetched once, then
 * merged from run.epoch events, which carry each epoch's curve as it ends.
 */
export function useRunSteps(id: Ref<string | null | undefined>, enabled: Ref<boolean>) {
  const curves = ref<EpochSteps[]>([]);
  let token = 0;
  watch(
    [id, enabled],
    ([value, on]) => {
      const mine = ++token;
      curves.value = [];
      if (!value || !on) return;
      void api.runs
        .steps({ id: value })
        .then((stored) => {
          if (mine !== token) return;
          let merged = stored;
          for (const c of curves.value) merged = mergeSteps(merged, c);
          curves.value = merged;
        })
        .catch(() => {});
    },
    { immediate: true },
  );
  const off = transport.on('run.epoch', ({ runId, steps }) => {
    if (steps && enabled.value && runId === id.value) curves.value = mergeSteps(curves.value, steps);
  });
  onScopeDispose(() => off());
  return curves;
}
