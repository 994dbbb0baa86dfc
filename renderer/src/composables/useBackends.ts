import { ref } from 'vue';
import { api } from '../api/client';
import type { BackendState } from '../../../shared/domain';

/** The backends as a trainer process finds them (app.backends), loaded once per page. */
const states = ref<BackendState[]>([]);
let loading: Promise<void> | null = null;

export function useBackends() {
  loading ??= api.app
    .backends({ refresh: false })
    .then((r) => {
      states.value = r.backends;
    })
    .catch(() => {
      loading = null;
    });
  return states;
}

/** "webgpu: software adapter, by name only" — one line for a select or a status bar. */
export function backendLabel(b: BackendState): string {
  if (!b.available) return `${b.name}: unavailable`;
  if (b.software) return `${b.name}: software adapter, by name only`;
  return b.auto ? `${b.name} (what automatic picks)` : b.name;
}
