/**
 * Per-step curves of one run (stored downsampled per epoch, shared/domain.ts EpochSteps) as
 * ECharts options: x is the position in training in epochs (epoch 2, step 150 of 300 → 1.5), so
 * the per-epoch accuracies can be drawn on the same axis at 1, 2, 3…
 */
import { BOUNDED_TOOLTIP } from './tooltipBounds';
import type { EChartsOption } from 'echarts';
import type { EpochMetrics, EpochSteps } from '../../../shared/domain';
import { compactNumber, magnitudeAxis, runChartFrame } from './curves';
import { axisStyle, colorAt, type ChartTheme } from './palette';

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

export interface StepRow {
  /** Position in epochs: (epoch − 1) + step / steps. */
  x: number;
  epoch: number;
  step: number;
  n: number;
  loss: number;
  lossMax: number;
  gradNorm: number;
  gradNormMax: number;
  clipped: number;
  clipScale: number;
}

/** Flattens stored curves into rows in training order (an epoch stored twice keeps its last curve). */
export function stepRows(curves: readonly EpochSteps[]): StepRow[] {
  const byEpoch = new Map<number, EpochSteps>();
  for (const c of curves) byEpoch.set(c.epoch, c);
  return [...byEpoch.values()]
    .sort((a, b) => a.epoch - b.epoch)
    .flatMap((c) => c.points.map((p) => ({ x: c.epoch - 1 + p.step / Math.max(c.steps, 1), epoch: c.epoch, ...p })));
}

/** Merges a live epoch's curve into the list (replacing an older curve of the same epoch). */
export function mergeSteps(list: readonly EpochSteps[], curve: EpochSteps): EpochSteps[] {
  return [...list.filter((c) => c.epoch !== curve.epoch), curve].sort((a, b) => a.epoch - b.epoch);
}

function tooltip(rows: readonly StepRow[], what: 'loss' | 'grad') {
  return (params: unknown): string => {
    const list = Array.isArray(params) ? (params as { dataIndex: number; seriesName: string }[]) : [params as { dataIndex: number; seriesName: string }];
    const first = list.find((p) => p.seriesName !== 'val acc' && p.seriesName !== 'train acc');
    const r = first ? rows[first.dataIndex] : undefined;
    if (!r) return '';
    const head = `epoch ${r.epoch}, step ${r.step}${r.n > 1 ? ` (mean of ${r.n} steps)` : ''}`;
    if (what === 'loss') return `${head}<br>loss <b>${compactNumber(r.loss)}</b>${r.n > 1 ? ` · max ${compactNumber(r.lossMax)}` : ''}`;
    const clip = r.clipped > 0 ? `<br>clipped ${r.n > 1 ? `${pct(r.clipped)} of steps, ` : ''}scale ${r.clipScale.toPrecision(3)}` : '<br>not clipped';
    return `${head}<br>grad norm <b>${compactNumber(r.gradNorm)}</b>${r.n > 1 ? ` · max ${compactNumber(r.gradNormMax)}` : ''}${clip}`;
  };
}

const xAxis = (totalEpochs: number, rows: readonly StepRow[], theme: ChartTheme) => ({
  type: 'value' as const,
  name: 'epoch (per step)',
  nameLocation: 'middle' as const,
  nameGap: 22,
  min: 0,
  max: Math.max(totalEpochs, Math.ceil(rows.at(-1)?.x ?? 1), 1),
  minInterval: 1,
  ...axisStyle(theme),
  splitLine: { show: false },
});

/** Training loss per step (mean per point, max dotted) with the epochs' accuracies overlaid. */
export function stepLossOption(rows: readonly StepRow[], epochs: readonly EpochMetrics[], totalEpochs: number, theme: ChartTheme): EChartsOption {
  const axis = axisStyle(theme);
  const bucketed = rows.some((r) => r.n > 1);
  return {
    ...runChartFrame(theme),
    tooltip: { ...BOUNDED_TOOLTIP, trigger: 'axis', formatter: tooltip(rows, 'loss') },
    xAxis: xAxis(totalEpochs, rows, theme),
    yAxis: [
      magnitudeAxis(rows.flatMap((r) => [r.loss, r.lossMax]), { type: 'value', scale: true, ...axis }),
      { type: 'value', min: 0, max: 1, axisLabel: { color: theme.muted, formatter: pct }, splitLine: { show: false } },
    ],
    series: [
      { name: 'step loss (left)', type: 'line', data: rows.map((r) => [r.x, r.loss]), showSymbol: rows.length < 60, symbolSize: 4, color: colorAt(2) },
      ...(bucketed ? [{ name: 'max of bucket', type: 'line' as const, data: rows.map((r) => [r.x, r.lossMax]), showSymbol: false, color: colorAt(2), lineStyle: { type: 'dotted' as const, opacity: 0.7 } }] : []),
      { name: 'val acc', type: 'line', yAxisIndex: 1, data: epochs.map((e) => [e.epoch, e.valAcc]), color: colorAt(4), symbolSize: 6 },
    ],
  };
}

/** Pre-clip gradient norm per step (mean, max) with the clip threshold and the clipped fraction. */
export function stepGradientOption(rows: readonly StepRow[], totalEpochs: number, clipNorm: number | null, theme: ChartTheme): EChartsOption {
  const axis = axisStyle(theme);
  return {
    ...runChartFrame(theme),
    tooltip: { ...BOUNDED_TOOLTIP, trigger: 'axis', formatter: tooltip(rows, 'grad') },
    xAxis: xAxis(totalEpochs, rows, theme),
    yAxis: [
      magnitudeAxis(rows.flatMap((r) => [r.gradNorm, r.gradNormMax]), { type: 'value', min: 0, ...axis }),
      { type: 'value', min: 0, max: 1, axisLabel: { color: theme.muted, formatter: pct }, splitLine: { show: false } },
    ],
    series: [
      ...(clipNorm !== null
        ? [{ name: 'clipped', type: 'line' as const, step: 'middle' as const, yAxisIndex: 1, data: rows.map((r) => [r.x, r.clipped]), showSymbol: false, color: colorAt(9), areaStyle: { opacity: 0.25 }, lineStyle: { opacity: 0.4 } }]
        : []),
      {
        name: 'norm',
        type: 'line',
        data: rows.map((r) => [r.x, r.gradNorm]),
        color: colorAt(0),
        showSymbol: rows.length < 60,
        symbolSize: 4,
        ...(clipNorm !== null
          ? { markLine: { symbol: 'none', silent: true, label: { formatter: `clip ${clipNorm}`, color: theme.muted, position: 'insideStartTop' }, lineStyle: { color: colorAt(2), type: 'dashed' }, data: [{ yAxis: clipNorm }] } }
          : {}),
      },
      // A point of one step has no separate max.
      ...(rows.some((r) => r.n > 1) ? [{ name: 'norm (max)', type: 'line' as const, data: rows.map((r) => [r.x, r.gradNormMax]), color: colorAt(1), showSymbol: false, lineStyle: { type: 'dotted' as const } }] : []),
    ],
  };
}
