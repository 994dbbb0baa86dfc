import { computed, ref } from 'vue';
import { DARK, LIGHT, type ChartTheme } from '../lib/palette';

const query = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
const dark = ref(query?.matches ?? false);
query?.addEventListener('change', (e) => (dark.value = e.matches));

/** Dark or light, following the OS; charts take their colours from here. */
export function useTheme() {
  const chartTheme = computed<ChartTheme>(() => (dark.value ? DARK : LIGHT));
  return { dark, chartTheme };
}
