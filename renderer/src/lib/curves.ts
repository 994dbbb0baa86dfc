/**
 * ECharts options for training curves: one run live (loss and accuracies, gradient norms) and many
 * runs overlaid (Compare). Pure functions of data → option, tested without a DOM; the chart
 * component only hands the result to ECharts. Animation is off: curves redraw on every epoch.
 */
import { BOUNDED_TOOLTIP } from './tooltipBounds';
import type { EChartsOption } from 'echarts';
import type { EpochMetrics } from '../../../shared/domain';
import { axisStyle, colorAt, type ChartTheme } from './palette';
import { METRIC_LABELS, cumulativeSeconds, groupBand, isAccuracy, smooth, type Metric } from './series';
import { duration } from './format';

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

/** What every run chart shares: no animation, the theme's text, the margins and a top legend. */
export function runChartFrame(theme: ChartTheme) {
  return {
    animation: false,
    textStyle: { color: theme.text },
    grid: { left: 48, right: 52, top: 36, bottom: 32 },
    legend: { top: 0, textStyle: { color: theme.muted }, itemWidth: 14 },
  };
}

/** Axis numbers that stay short whatever their size: 0.25, 12.5, 3.4e5, 8.6e20. */
export function compactNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return String(+v.toPrecision(3));
}

/**
 * A value axis that stays readable when a run explodes (a loss of 8.6e20 beside 2.3): logarithmic
 * once the positive values span more than three decades, linear otherwise; labels compact.
 */
export function magnitudeAxis(values: readonly number[], base: Record<string, unknown>): Record<string, unknown> {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const wide = positive.length > 1 && Math.max(...positive) / Math.min(...positive) > 1e3;
  const label = { ...((base.axisLabel as object | undefined) ?? {}), formatter: compactNumber };
  if (!wide) return { ...base, axisLabel: label };
  // A log axis has no 0: drop a linear floor such as min: 0.
  const { min: _min, scale: _scale, ...rest } = base;
  return { ...rest, type: 'log', axisLabel: label };
}

/** Loss (left axis) and train/val accuracy (right axis) of one run, x fixed to all its epochs. */
export function runCurvesOption(epochs: readonly EpochMetrics[], totalEpochs: number, theme: ChartTheme): EChartsOption {
  const axis = axisStyle(theme);
  const pts = (m: Metric) => epochs.map((e) => [e.epoch, e[m]]);
  return {
    ...runChartFrame(theme),
    tooltip: { ...BOUNDED_TOOLTIP, trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? (v <= 1 ? v.toFixed(4) : v >= 1e4 ? compactNumber(v) : v.toFixed(3)) : String(v)) },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 22, min: 1, max: Math.max(totalEpochs, epochs.length, 2), minInterval: 1, ...axis, splitLine: { show: false } },
    yAxis: [
      magnitudeAxis(epochs.map((e) => e.loss), { type: 'value', scale: true, ...axis }),
      { type: 'value', min: (v: { min: number }) => Math.max(0, Math.floor(v.min * 20) / 20), max: 1, axisLabel: { color: theme.muted, formatter: pct }, splitLine: { show: false } },
    ],
    series: [
      { name: 'loss (left)', type: 'line', data: pts('loss'), yAxisIndex: 0, showSymbol: epochs.length < 40, color: colorAt(2) },
      { name: 'train acc', type: 'line', data: pts('trainAcc'), yAxisIndex: 1, showSymbol: epochs.length < 40, color: colorAt(0) },
      { name: 'val acc', type: 'line', data: pts('valAcc'), yAxisIndex: 1, showSymbol: epochs.length < 40, color: colorAt(4) },
    ],
  };
}

/** Gradient norm (mean, max) with the clip threshold, and the fraction of clipped steps as bars. */
export function gradientOption(epochs: readonly EpochMetrics[], totalEpochs: number, clipNorm: number | null, theme: ChartTheme): EChartsOption {
  const axis = axisStyle(theme);
  return {
    ...runChartFrame(theme),
    tooltip: { ...BOUNDED_TOOLTIP, trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? (v >= 1e4 ? compactNumber(v) : v.toFixed(3)) : String(v)) },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 22, min: 0.5, max: Math.max(totalEpochs, epochs.length, 2) + 0.5, minInterval: 1, ...axis, splitLine: { show: false }, axisLabel: { color: theme.muted, formatter: (v: number) => (Number.isInteger(v) ? String(v) : '') } },
    yAxis: [
      magnitudeAxis(epochs.flatMap((e) => [e.gradNormMean, e.gradNormMax]), { type: 'value', min: 0, ...axis }),
      { type: 'value', min: 0, max: 1, axisLabel: { color: theme.muted, formatter: pct }, splitLine: { show: false } },
    ],
    series: [
      { name: 'clipped steps', type: 'bar', yAxisIndex: 1, data: epochs.map((e) => [e.epoch, e.clippedFraction]), itemStyle: { color: colorAt(9), opacity: 0.6 }, barMaxWidth: 18 },
      {
        name: 'norm (mean)',
        type: 'line',
        data: epochs.map((e) => [e.epoch, e.gradNormMean]),
        color: colorAt(0),
        showSymbol: epochs.length < 40,
        ...(clipNorm !== null
          ? { markLine: { symbol: 'none', silent: true, label: { formatter: `clip ${clipNorm}`, color: theme.muted, position: 'insideStartTop' }, lineStyle: { color: colorAt(2), type: 'dashed' }, data: [{ yAxis: clipNorm }] } }
          : {}),
      },
      { name: 'norm (max)', type: 'line', data: epochs.map((e) => [e.epoch, e.gradNormMax]), color: colorAt(1), showSymbol: false, lineStyle: { type: 'dotted' } },
    ],
  };
}

export interface CurveRun {
  id: string;
  name: string;
  epochs: readonly EpochMetrics[];
  /** Group label when grouping by a config field (groups are drawn in the order runs arrive). */
  group?: string;
  /** The run's configuration in one line (shared/compare.ts runConfigLine), named by its tooltip. */
  config?: string;
}

export interface CompareSettings {
  metric: Metric;
  x: 'epoch' | 'time';
  logY: boolean;
  /** 0 (off) … 0.99. */
  smoothing: number;
  /** Draw one mean line with a ± std band per group instead of one line per run. */
  grouped: boolean;
}

/** Points of one run for the chosen metric and x axis, smoothed. */
export function runPoints(epochs: readonly EpochMetrics[], settings: Pick<CompareSettings, 'metric' | 'x' | 'smoothing'>): [number, number][] {
  const ys = smooth(epochs.map((e) => e[settings.metric]), settings.smoothing);
  const xs = settings.x === 'time' ? cumulativeSeconds(epochs) : epochs.map((e) => e.epoch);
  return ys.map((y, i) => [xs[i]!, y]);
}

/**
 * Many runs overlaid. Ungrouped: one line per run. Grouped: per group, the mean line and a
 * filled ± std band (drawn as a custom polygon series so it works on log axes and time x).
 */
export function compareOption(runs: readonly CurveRun[], settings: CompareSettings, theme: ChartTheme): EChartsOption {
  const axis = axisStyle(theme);
  const acc = isAccuracy(settings.metric);
  const many = runs.length > 12;
  const series: NonNullable<EChartsOption['series']> = [];
  if (settings.grouped) {
    const groups = new Map<string, CurveRun[]>();
    for (const run of runs) {
      const key = run.group ?? '—';
      groups.set(key, [...(groups.get(key) ?? []), run]);
    }
    [...groups.entries()].forEach(([label, members], gi) => {
      const band = groupBand(members.map((m) => m.epochs), settings.metric, settings.smoothing, settings.x === 'time');
      const color = colorAt(gi);
      const lower = band.mean.map((m, i) => (settings.logY ? Math.max(m - band.std[i]!, m * 0.01) : m - band.std[i]!));
      const upper = band.mean.map((m, i) => m + band.std[i]!);
      const name = `${label} (n=${members.length})`;
      series.push({
        name,
        type: 'custom',
        // The band shares the legend entry with its mean line: same colour, or the legend shows the palette's next one.
        color,
        itemStyle: { color },
        silent: true,
        z: 1,
        data: band.x.map((x, i) => [x, lower[i]!, upper[i]!]),
        encode: { x: 0, y: [1, 2] },
        renderItem: (params: { dataIndex: number }, api: { coord(p: number[]): number[]; style(o: object): object }) => {
          const i = params.dataIndex;
          if (i >= band.x.length - 1) return null;
          const points = [
            api.coord([band.x[i]!, lower[i]!]),
            api.coord([band.x[i + 1]!, lower[i + 1]!]),
            api.coord([band.x[i + 1]!, upper[i + 1]!]),
            api.coord([band.x[i]!, upper[i]!]),
          ];
          return { type: 'polygon', shape: { points }, style: { fill: color, opacity: 0.18 } };
        },
        tooltip: { show: false },
      } as never);
      series.push({
        name,
        type: 'line',
        z: 2,
        color,
        showSymbol: band.x.length < 30,
        data: band.x.map((x, i) => ({ value: [x, band.mean[i]!], std: band.std[i]!, n: band.n[i]! })),
        tooltip: { ...BOUNDED_TOOLTIP, formatter: (p: unknown) => groupTooltip(p as TooltipParam & { data: { std: number; n: number } }, label, members, settings) },
      } as never);
    });
  } else {
    runs.forEach((run, i) => {
      series.push({
        id: run.id,
        name: run.name,
        type: 'line',
        tooltip: { ...BOUNDED_TOOLTIP, formatter: (p: unknown) => tooltipItem(p as TooltipParam, settings, run) },
        // Hovering the line itself (not only its points) names the run.
        triggerLineEvent: true,
        color: colorAt(i),
        showSymbol: !many && run.epochs.length < 30,
        symbolSize: 5,
        lineStyle: { width: many ? 1.2 : 2 },
        emphasis: { focus: 'series', lineStyle: { width: 3 } },
        data: runPoints(run.epochs, settings),
      });
    });
  }
  return {
    animation: false,
    textStyle: { color: theme.text },
    grid: { left: 60, right: 24, top: many || settings.grouped ? 16 : 40, bottom: 44, containLabel: false },
    legend: many && !settings.grouped ? { show: false } : { top: 0, type: 'scroll', textStyle: { color: theme.muted } },
    // Item tooltips whatever the number of lines: hovering a line names its run (or group) and configuration.
    tooltip: { ...BOUNDED_TOOLTIP, trigger: 'item' },
    xAxis: {
      type: 'value',
      name: settings.x === 'time' ? 'time' : 'epoch',
      nameLocation: 'middle',
      nameGap: 26,
      min: settings.x === 'epoch' ? 1 : 0,
      minInterval: settings.x === 'epoch' ? 1 : undefined,
      ...axis,
      splitLine: { show: false },
      axisLabel: { color: theme.muted, formatter: settings.x === 'time' ? (v: number) => duration(v) : undefined },
    },
    yAxis: {
      type: settings.logY ? 'log' : 'value',
      name: METRIC_LABELS[settings.metric],
      nameLocation: 'middle',
      nameGap: 46,
      scale: true,
      ...axis,
      axisLabel: { color: theme.muted, formatter: acc && !settings.logY ? pct : undefined },
    },
    series,
  };
}

interface TooltipParam {
  seriesName: string;
  value: [number, number];
}

function tooltipItem(p: TooltipParam, settings: CompareSettings, run?: CurveRun): string {
  const [x, y] = p.value;
  const xs = settings.x === 'time' ? duration(x) : `epoch ${x}`;
  const ys = isAccuracy(settings.metric) ? pct(y) : y.toPrecision(4);
  const config = run?.config ? `<br><span style="opacity:.8">${escapeHtml(run.config)}</span>` : '';
  return `<b>${escapeHtml(p.seriesName)}</b>${config}<br>${xs}: <b>${ys}</b>`;
}

function groupTooltip(p: TooltipParam & { data: { std: number; n: number } }, label: string, members: readonly CurveRun[], settings: CompareSettings): string {
  const [x, y] = p.value;
  const fmt = (v: number) => (isAccuracy(settings.metric) ? pct(v) : v.toPrecision(4));
  const xs = settings.x === 'time' ? duration(x) : `epoch ${x}`;
  const names = members.slice(0, 6).map((m) => escapeHtml(m.name)).join(', ') + (members.length > 6 ? ` and ${members.length - 6} more` : '');
  return `<b>${escapeHtml(label)}</b> (${p.data.n} runs: ${names})<br>${xs}: <b>${fmt(y)}</b> ± ${fmt(p.data.std)}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
