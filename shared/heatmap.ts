/**
 * The learning-rate × clip-norm heatmap, as the app (renderer/src/lib/sweepCharts.ts) and the PDF
 * (electron/reports/charts.ts) both draw it: one orientation (learning rate across, clip norm up),
 * one colour scale (viridis over the observed range of the cell means) and one rule for the
 * label colour, so the same sweep looks the same on screen and on paper. Pure data.
 */
import { hyper } from './format';

/** Axis titles: x is the learning rate, y the clip norm. */
export const HEATMAP_AXES = { x: 'learning rate', y: 'clip norm' } as const;

/** Viridis endpoints and middle: perceptually even, readable in greyscale and on a dark page. */
export const HEATMAP_COLORS = ['#440154', '#31688e', '#35b779', '#fde725'] as const;

export interface HeatmapScale {
  min: number;
  /** Never equal to min (a single value still gets a scale). */
  max: number;
}

/**
 * The colour scale spans the observed range: a sweep's cells mostly differ by tenths of a percent,
 * and a 0–100% scale would paint them all one colour.
 */
export function heatmapScale(values: readonly (number | null | undefined)[]): HeatmapScale {
  const present = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  const min = present.length ? Math.min(...present) : 0;
  const max = present.length ? Math.max(...present) : 1;
  return { min, max: max > min ? max : min + 1e-6 };
}

/** Dark text on the light (high) end of viridis, white on the dark end. */
export function heatmapLabelColor(value: number, scale: HeatmapScale): string {
  return value >= (scale.min + scale.max) / 2 ? '#111111' : '#ffffff';
}

/** Category labels of the two axes, in the heatmap's orientation. */
export function heatmapAxisLabels(lrs: readonly number[], clips: readonly (number | null)[]): { x: string[]; y: string[] } {
  return { x: lrs.map(hyper), y: clips.map(hyper) };
}
