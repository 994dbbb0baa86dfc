/**
 * Every chart tooltip stays inside its chart (ECharts' `confine`) and wraps a very long run or
 * data-set name instead of growing past the screen's edge.
 */
export const BOUNDED_TOOLTIP = {
  confine: true,
  extraCssText: 'max-width: min(420px, 90vw); white-space: normal; overflow-wrap: anywhere;',
} as const;
