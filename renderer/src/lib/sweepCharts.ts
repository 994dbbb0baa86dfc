/**
 * Sweep analysis as pure functions of the sweep's statistics (sweeps.show): the lr × clip
 * interaction plot, the heatmap with seeds as dots, parallel coordinates, the statistics table and
 * the best configuration. Tested without a DOM.
 */
import { BOUNDED_TOOLTIP } from './tooltipBounds';
import type { EChartsOption } from 'echarts';
import { formatP, verdictLabel, type AnalysisMetric } from '../../../shared/analysis';
import type { CellStats, SweepDetail, SweepTrial, SummaryStats } from '../../../shared/contract';
import { axisStyle, colorAt, type ChartTheme } from './palette';
import { hyper } from './format';
import { describeMethod, describePrune } from '../../../shared/adaptive';

export type CellMetric = AnalysisMetric;
const CELL_METRIC_LABELS: Record<CellMetric, string> = { bestValAcc: 'best val acc', finalValAcc: 'final val acc' };

const pct = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(digits)}%`);
export const clipLabel = (clip: number | null) => (clip === null ? 'no clip' : `clip ${hyper(clip)}`);

/** The axes other than lr and clip that a sweep varies, and their values. */
export type SliceKey = 'batchSize' | 'optimizer' | 'weightDecay' | 'preset';
const SLICE_KEYS: SliceKey[] = ['preset', 'optimizer', 'batchSize', 'weightDecay'];

export function otherAxes(cells: readonly CellStats[]): { key: SliceKey; values: (string | number)[] }[] {
  return SLICE_KEYS.map((key) => ({
    key,
    values: [...new Set(cells.map((c) => c[key] as string | number | undefined).filter((v): v is string | number => v !== undefined))],
  })).filter((a) => a.values.length > 1);
}

/** Cells of one combination of the other axes (all cells when there are none). */
export function sliceCells(cells: readonly CellStats[], slice: Partial<Record<SliceKey, string | number>>): CellStats[] {
  return cells.filter((c) => Object.entries(slice).every(([k, v]) => v === undefined || c[k as SliceKey] === v));
}

export { sortedLrs, sortedClips } from '../../../shared/axes';
import { sortedLrs, sortedClips } from '../../../shared/axes';
import { HEATMAP_AXES, HEATMAP_COLORS, heatmapAxisLabels, heatmapLabelColor, heatmapScale } from '../../../shared/heatmap';

function statLine(s: SummaryStats): string {
  if (s.mean === null) return 'no finished seeds';
  const std = s.std !== null ? ` ± ${pct(s.std, 2)}` : '';
  const ci = s.ci95 ? `<br>95% CI ${pct(s.ci95[0], 2)} – ${pct(s.ci95[1], 2)}` : '';
  return `<b>${pct(s.mean, 2)}</b>${std} (n=${s.n})${ci}`;
}


function cellTooltip(cell: CellStats, metric: CellMetric): string {
  const cmp = cell.vsBest[metric];
  const p = cmp.pHolm !== null ? ` (Holm p = ${formatP(cmp.pHolm)})` : '';
  const mdd = cmp.mdd !== null && cmp.mdd !== undefined && cmp.verdict !== 'best' ? `<br>detectable difference at this n: ${pct(cmp.mdd, 1)}` : '';
  const pruned = cell.trials.pruned ? `<br>${prunedText(cell)} (left out of the statistics)` : '';
  return `lr ${hyper(cell.lr)}, ${clipLabel(cell.clip)}<br>${CELL_METRIC_LABELS[metric]}: ${statLine(cell[metric])}<br>${verdictLabel(cmp)}${p}${mdd}${pruned}`;
}

/** "2 seeds pruned (at epochs 1, 3)". */
export function prunedText(cell: Pick<CellStats, 'trials' | 'prunedAtEpochs'>): string {
  const n = cell.trials.pruned;
  const at = [...new Set(cell.prunedAtEpochs)];
  return `${n} seed${n === 1 ? '' : 's'} pruned (at epoch${at.length === 1 ? '' : 's'} ${at.join(', ')})`;
}

/** Val acc against lr on a log axis, one line per clip value: the interaction plot. */
export function interactionOption(cells: readonly CellStats[], metric: CellMetric, theme: ChartTheme): EChartsOption {
  const axis = axisStyle(theme);
  const clips = sortedClips(cells);
  const byKey = new Map(cells.map((c) => [`${c.lr}|${c.clip}`, c]));
  const lrs = sortedLrs(cells);
  return {
    animation: false,
    textStyle: { color: theme.text },
    grid: { left: 60, right: 24, top: 40, bottom: 48 },
    legend: { top: 0, type: 'scroll', textStyle: { color: theme.muted } },
    tooltip: { ...BOUNDED_TOOLTIP, trigger: 'item', formatter: (p: unknown) => cellTooltip((p as { data: { cell: CellStats } }).data.cell, metric) },
    xAxis: {
      type: 'log',
      name: 'learning rate (log)',
      nameLocation: 'middle',
      nameGap: 28,
      // Half a decade of margin around the swept values, so the end points are not on the frame.
      ...(lrs.length ? { min: lrs[0]! / 2, max: lrs[lrs.length - 1]! * 2 } : {}),
      ...axis,
      splitLine: { show: false },
      axisLabel: { color: theme.muted, formatter: (v: number) => hyper(Number(v.toPrecision(3))) },
    },
    yAxis: { type: 'value', name: CELL_METRIC_LABELS[metric], nameLocation: 'middle', nameGap: 50, scale: true, ...axis, axisLabel: { color: theme.muted, formatter: (v: number) => pct(v, 1) } },
    series: clips.map((clip, i) => ({
      name: clipLabel(clip),
      type: 'line' as const,
      color: colorAt(i),
      symbolSize: 7,
      connectNulls: true,
      data: lrs.flatMap((lr) => {
        const cell = byKey.get(`${lr}|${clip}`);
        return cell && cell[metric].mean !== null ? [{ value: [lr, cell[metric].mean!], cell }] : [];
      }),
    })),
  };
}

/** What an empty heatmap cell says: why it has no mean, on two short lines. */
export function emptyCellText(cell: Pick<CellStats, 'trials' | 'prunedAtEpochs'>): string {
  const t = cell.trials;
  if (t.pruned) return `pruned\n@${[...new Set(cell.prunedAtEpochs)].join(',')}`;
  if (t.diverged && !t.failed && !t.unfinished) return 'diverged';
  if (t.failed && !t.diverged && !t.unfinished) return 'failed';
  return '—';
}

/**
 * lr (x) × clip (y) heatmap of the mean, labelled with the mean and marked where the cell is tied
 * with the best; each seed drawn as a dot whose height in its cell is its value within the
 * sweep's range (a strip plot per cell).
 */
export function heatmapOption(cells: readonly CellStats[], trials: readonly SweepTrial[], metric: CellMetric, theme: ChartTheme): EChartsOption {
  const lrs = sortedLrs(cells);
  const clips = sortedClips(cells);
  // Orientation, colours and label colour: shared/heatmap.ts, as the PDF draws it.
  const scale = heatmapScale(cells.map((c) => c[metric].mean));
  const { min, max } = scale;
  const labels = heatmapAxisLabels(lrs, clips);
  const cellIds = new Set(cells.map((c) => c.cellId));
  const empty = cells.filter((c) => c[metric].mean === null);
  const seedValues = trials
    .filter((t) => cellIds.has(t.cellId) && t.status === 'completed' && t.epochs.length)
    .map((t) => ({ t, v: metric === 'bestValAcc' ? Math.max(...t.epochs.map((e) => e.valAcc)) : t.epochs[t.epochs.length - 1]!.valAcc }));
  const vMin = Math.min(min, ...seedValues.map((s) => s.v));
  const vMax = Math.max(max, ...seedValues.map((s) => s.v));
  const seedsByCell = new Map<string, number[]>();
  for (const s of seedValues) seedsByCell.set(s.t.cellId, [...(seedsByCell.get(s.t.cellId) ?? []), s.v]);
  const dots: { value: [number, number]; frac: number; slot: number; slots: number; v: number }[] = [];
  for (const cell of cells) {
    const values = seedsByCell.get(cell.cellId) ?? [];
    values.forEach((v, slot) =>
      dots.push({ value: [lrs.indexOf(cell.lr), clips.indexOf(cell.clip)], frac: vMax > vMin ? (v - vMin) / (vMax - vMin) : 0.5, slot, slots: values.length, v }),
    );
  }
  return {
    animation: false,
    textStyle: { color: theme.text },
    grid: { left: 80, right: 90, top: 16, bottom: 48 },
    tooltip: {
      ...BOUNDED_TOOLTIP,
      trigger: 'item',
      formatter: (p: unknown) => {
        const param = p as { seriesType: string; data: { cell?: CellStats; v?: number } };
        if (param.data.cell) return cellTooltip(param.data.cell, metric);
        return `seed: ${pct(param.data.v, 2)}`;
      },
    },
    xAxis: { type: 'category', name: HEATMAP_AXES.x, nameLocation: 'middle', nameGap: 30, data: labels.x, axisLabel: { color: theme.muted }, nameTextStyle: { color: theme.muted }, splitArea: { show: false } },
    yAxis: { type: 'category', name: HEATMAP_AXES.y, nameLocation: 'middle', nameGap: 60, data: labels.y, axisLabel: { color: theme.muted }, nameTextStyle: { color: theme.muted } },
    visualMap: {
      min,
      max,
      calculable: false,
      orient: 'vertical',
      right: 0,
      top: 'middle',
      itemHeight: 160,
      text: [pct(max), pct(min)],
      textStyle: { color: theme.muted },
      inRange: { color: [...HEATMAP_COLORS] },
      seriesIndex: 0,
    },
    series: [
      {
        type: 'heatmap',
        data: cells.map((cell) => ({
          value: [lrs.indexOf(cell.lr), clips.indexOf(cell.clip), cell[metric].mean ?? '-'],
          cell,
          label: {
            show: true,
            color: heatmapLabelColor(cell[metric].mean ?? min, scale),
            // The pruned-seed count goes on its own line: with six or more learning rates a cell is
            // about 60 px wide, and "76.5% ★ ✂1" on one line ran into the next cell.
            formatter: () =>
              cell[metric].mean === null
                ? ''
                : `${pct(cell[metric].mean)}${cell.vsBest[metric].verdict === 'best' ? ' ★' : cell.vsBest[metric].verdict === 'tied' ? ' =' : ''}${cell.trials.pruned ? `\n✂${cell.trials.pruned}` : ''}`,
          },
        })),
        label: { show: true, fontSize: 11, fontWeight: 600, lineHeight: 15 },
        itemStyle: { borderColor: theme.dark ? '#14171c' : '#ffffff', borderWidth: 2 },
        emphasis: { itemStyle: { borderColor: colorAt(2) } },
      },
      {
        type: 'custom',
        data: dots,
        renderItem: (params: { dataIndex: number }, api: { coord(p: number[]): number[]; size(p: number[]): number[] }) => {
          const d = dots[params.dataIndex]!;
          const [cx, cy] = api.coord(d.value);
          const [w, h] = api.size([1, 1]);
          const x = cx! - w! / 2 + (w! * (d.slot + 1)) / (d.slots + 1);
          const y = cy! + h! / 2 - 6 - d.frac * (h! * 0.28);
          return { type: 'circle', shape: { cx: x, cy: y, r: 3 }, style: { fill: '#ffffff', stroke: '#1c2330', lineWidth: 1, opacity: 0.9 } };
        },
        z: 3,
      } as never,
      // A cell with no mean to colour (every seed pruned, diverged or failed, or none finished yet):
      // ECharts' heatmap leaves it blank, so it is drawn here as a grey square saying why, its
      // words on two short lines so they fit a narrow cell.
      {
        type: 'custom',
        data: empty.map((cell) => ({ value: [lrs.indexOf(cell.lr), clips.indexOf(cell.clip)], cell, text: emptyCellText(cell) })),
        renderItem: (params: { dataIndex: number }, api: { coord(p: number[]): number[]; size(p: number[]): number[] }) => {
          const d = empty[params.dataIndex]!;
          const [cx, cy] = api.coord([lrs.indexOf(d.lr), clips.indexOf(d.clip)]);
          const [w, h] = api.size([1, 1]);
          return {
            type: 'group',
            children: [
              { type: 'rect', shape: { x: cx! - w! / 2 + 1, y: cy! - h! / 2 + 1, width: w! - 2, height: h! - 2 }, style: { fill: theme.dark ? '#262b33' : '#eef0f3' } },
              { type: 'text', style: { x: cx!, y: cy!, text: emptyCellText(d), fill: theme.muted, font: '11px sans-serif', lineHeight: 15, align: 'center', verticalAlign: 'middle' } },
            ],
          };
        },
        z: 2,
      } as never,
    ],
  };
}

/** One line per finished trial through lr, clip, the other swept axes, seed and its val acc. */
export function parallelOption(detail: Pick<SweepDetail, 'trials'>, metric: CellMetric, theme: ChartTheme): EChartsOption {
  const all = detail.trials.filter((t) => t.epochs.length > 0);
  // Pruned trials stopped early: their value is not comparable, so they are drawn apart, in grey.
  const trials = all.filter((t) => t.status !== 'pruned');
  const pruned = all.filter((t) => t.status === 'pruned');
  const value = (t: SweepTrial) => (metric === 'bestValAcc' ? Math.max(...t.epochs.map((e) => e.valAcc)) : t.epochs[t.epochs.length - 1]!.valAcc);
  const clips = sortedClips(all).map((c) => (c === null ? 'none' : hyper(c)));
  // A search draws clip norms from a range: a value axis (no clipping at 0) instead of a category per draw.
  const clipAsValue = clips.length > 12;
  const extra = SLICE_KEYS.filter((k) => new Set(all.map((t) => t[k])).size > 1);
  const seeds = all.map((t) => t.seed);
  const seedMin = seeds.length ? Math.min(...seeds) : 0;
  const seedMax = seeds.length ? Math.max(...seeds) : 1;
  const dims: { name: string; type?: 'value' | 'log' | 'category'; data?: string[]; get: (t: SweepTrial) => number | string }[] = [
    { name: 'lr', type: 'log', get: (t) => t.lr },
    clipAsValue
      ? { name: 'clip (0 = none)', type: 'value', get: (t) => t.clip ?? 0 }
      : { name: 'clip', type: 'category', data: clips, get: (t) => (t.clip === null ? 'none' : hyper(t.clip)) },
    ...extra.map((k) => ({
      name: k,
      type: 'category' as const,
      data: [...new Set(all.map((t) => String(t[k])))],
      get: (t: SweepTrial) => String(t[k]),
    })),
    { name: 'seed', type: 'value', get: (t) => t.seed },
    { name: CELL_METRIC_LABELS[metric], type: 'value', get: value },
  ];
  const values = trials.map(value);
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const axisCommon = { nameTextStyle: { color: theme.muted }, axisLine: { lineStyle: { color: theme.muted } }, axisLabel: { color: theme.muted } };
  return {
    animation: false,
    textStyle: { color: theme.text },
    parallel: { left: 50, right: 90, top: 40, bottom: 30 },
    parallelAxis: dims.map((d, dim) => ({
      ...axisCommon,
      dim,
      name: d.name,
      type: d.type ?? 'value',
      ...(d.data ? { data: d.data } : {}),
      ...(d.type === 'value' && d.name !== 'seed' && dim === dims.length - 1 ? { scale: true, axisLabel: { color: theme.muted, formatter: (v: number) => pct(v, 0) } } : {}),
      ...(d.name === 'lr' ? { axisLabel: { color: theme.muted, formatter: (v: number) => hyper(v) } } : {}),
      // Seeds are integers: ticks only on them, the axis spanning exactly the seeds used.
      ...(d.name === 'seed' ? { minInterval: 1, min: seedMin, max: Math.max(seedMax, seedMin + 1) } : {}),
    })) as never,
    visualMap: {
      min: lo,
      max: hi > lo ? hi : lo + 1e-6,
      dimension: dims.length - 1,
      show: true,
      right: 0,
      top: 'middle',
      itemHeight: 140,
      text: [pct(hi), pct(lo)],
      textStyle: { color: theme.muted },
      inRange: { color: ['#d94e5d', '#eac736', '#50a3ba'] },
      seriesIndex: 0,
    },
    legend: pruned.length ? { top: 0, right: 90, data: ['completed', 'pruned'], textStyle: { color: theme.muted } } : undefined,
    series: [
      {
        name: 'completed',
        type: 'parallel',
        lineStyle: { width: 1.2, opacity: 0.55 },
        emphasis: { lineStyle: { width: 3, opacity: 1 } },
        data: trials.map((t) => dims.map((d) => d.get(t))),
      },
      ...(pruned.length
        ? [
            {
              name: 'pruned',
              type: 'parallel' as const,
              color: theme.muted,
              lineStyle: { width: 1, opacity: 0.35, type: 'dashed' as const, color: theme.muted },
              data: pruned.map((t) => dims.map((d) => d.get(t))),
            },
          ]
        : []),
    ],
  };
}

/**
 * A search sweep: the metric against one parameter, a point per trial (lr on a log axis), with
 * the configuration means as larger marks. Pruned trials are drawn hollow and grey at their last
 * value (not comparable: they stopped early). "No clipping" sits at the right of the clip axis.
 */
export function scatterOption(
  detail: Pick<SweepDetail, 'trials' | 'stats'>,
  param: 'lr' | 'clip' | 'batchSize' | 'optimizer' | 'weightDecay' | 'preset',
  metric: CellMetric,
  theme: ChartTheme,
): EChartsOption {
  const axis = axisStyle(theme);
  const value = (t: SweepTrial) => (metric === 'bestValAcc' ? Math.max(...t.epochs.map((e) => e.valAcc)) : t.epochs[t.epochs.length - 1]!.valAcc);
  const ran = detail.trials.filter((t) => t.epochs.length > 0 && (t.status === 'completed' || t.status === 'pruned'));
  const categorical = param === 'batchSize' || param === 'optimizer' || param === 'preset';
  const clips = ran.map((t) => t.clip).filter((c): c is number => c !== null);
  const noneAt = clips.length ? Math.max(...clips) * 1.15 : 1;
  const categories = categorical ? [...new Set(ran.map((t) => String(t[param])))] : [];
  const x = (t: Pick<SweepTrial, 'lr' | 'clip' | 'batchSize' | 'optimizer' | 'weightDecay' | 'preset'>): number | string =>
    param === 'clip' ? (t.clip ?? noneAt) : categorical ? String(t[param]) : ((t[param] as number | undefined) ?? 0);
  const label = (v: number | string) => (param === 'clip' && v === noneAt ? 'none' : typeof v === 'number' ? hyper(Number(v.toPrecision(3))) : v);
  const point = (t: SweepTrial) => ({ value: [x(t), value(t)], t });
  const means = detail.stats.cells.filter((c) => c[metric].mean !== null);
  const xs = ran.map((t) => x(t)).filter((v): v is number => typeof v === 'number');
  return {
    animation: false,
    textStyle: { color: theme.text },
    grid: { left: 56, right: 16, top: 30, bottom: 44 },
    legend: { top: 0, textStyle: { color: theme.muted }, data: ['seed', 'configuration mean', 'pruned (at its last epoch)'] },
    tooltip: {
      ...BOUNDED_TOOLTIP,
      trigger: 'item',
      formatter: (p: unknown) => {
        const d = (p as { data: { t?: SweepTrial; c?: CellStats } }).data;
        if (d.c) return cellTooltip(d.c, metric);
        const t = d.t!;
        const head = `lr ${hyper(t.lr)}, ${clipLabel(t.clip)}, seed ${t.seed}`;
        return t.status === 'pruned'
          ? `${head}<br>pruned at epoch ${t.pruned?.epoch ?? t.epochs.length}: ${pct(value(t), 2)}<br>${t.pruned?.reason ?? t.error ?? ''}`
          : `${head}<br>${CELL_METRIC_LABELS[metric]}: ${pct(value(t), 2)}`;
      },
    },
    xAxis: categorical
      ? { type: 'category', data: categories, name: param, nameLocation: 'middle', nameGap: 28, ...axis, axisLabel: { color: theme.muted } }
      : {
          type: param === 'lr' || (param === 'clip' && detail.trials.length > 0 && isLogClip(xs)) ? 'log' : 'value',
          name: param === 'lr' ? 'learning rate (log)' : param === 'clip' ? 'clip norm (right: none)' : param,
          nameLocation: 'middle',
          nameGap: 28,
          scale: true,
          ...(param === 'lr' && xs.length ? { min: Math.min(...xs) / 1.5, max: Math.max(...xs) * 1.5 } : {}),
          ...axis,
          splitLine: { show: false },
          axisLabel: { color: theme.muted, formatter: (v: number) => label(v) as string },
        },
    yAxis: { type: 'value', name: CELL_METRIC_LABELS[metric], nameLocation: 'middle', nameGap: 44, scale: true, ...axis, axisLabel: { color: theme.muted, formatter: (v: number) => pct(v, 0) } },
    series: [
      {
        name: 'seed',
        type: 'scatter',
        color: colorAt(0),
        symbolSize: 6,
        data: ran.filter((t) => t.status === 'completed').map(point),
        // "No clipping" is drawn right of the largest norm: a dashed line says so.
        ...(param === 'clip' && ran.some((t) => t.clip === null)
          ? { markLine: { silent: true, symbol: 'none', data: [{ xAxis: noneAt }], lineStyle: { type: 'dashed' as const, color: theme.muted }, label: { formatter: 'no clip', color: theme.muted } } }
          : {}),
      },
      {
        name: 'configuration mean',
        type: 'scatter',
        color: colorAt(1),
        symbol: 'diamond',
        symbolSize: 11,
        data: means.map((c) => ({ value: [x(c), c[metric].mean!], c })),
      },
      {
        name: 'pruned (at its last epoch)',
        type: 'scatter',
        color: theme.muted,
        symbol: 'emptyCircle',
        symbolSize: 6,
        data: ran.filter((t) => t.status === 'pruned').map(point),
      },
    ],
  };
}

/** The clip axis goes logarithmic when the drawn norms span more than a decade. */
function isLogClip(xs: readonly number[]): boolean {
  const pos = xs.filter((v) => v > 0);
  return pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 10;
}

/** What an adaptive sweep did, line by line, for its summary card. Null for a plain grid. */
export function adaptiveSummaryLines(detail: Pick<SweepDetail, 'stats' | 'spec'>): { method: string; prune: string; epochs: string | null; note: string } | null {
  const a = detail.stats.adaptive;
  if (!a) return null;
  return {
    method: describeMethod(detail.spec) + (a.method !== 'grid' ? `: ${a.configurations.proposed} proposed` : ''),
    prune: describePrune(detail.spec.prune),
    epochs: detail.spec.prune
      ? `${a.epochs.trained.toLocaleString('en-US')} trial-epochs trained, ${a.epochs.saved.toLocaleString('en-US')} saved by pruning (${a.epochs.full ? Math.round((100 * a.epochs.saved) / a.epochs.full) : 0}% of ${a.epochs.full.toLocaleString('en-US')}); ${a.prunedTrials} trial${a.prunedTrials === 1 ? '' : 's'} pruned`
      : null,
    note: a.note,
  };
}

export interface StatsRow {
  cellId: string;
  label: string;
  lr: number;
  clip: number | null;
  others: string;
  n: number;
  total: number;
  diverged: number;
  failed: number;
  /** Seeds stopped early by the sweep's rule, and a phrase saying at which epochs. */
  pruned: number;
  prunedText: string;
  mean: number | null;
  std: number | null;
  ci: [number, number] | null;
  overfit: number | null;
  verdict: CellStats['vsBest']['bestValAcc']['verdict'];
  /** The verdict in the words the CLI and the PDF use ("can't tell with 2 seeds"). */
  verdictText: string;
  pHolm: number | null;
  /** The smallest difference the comparison detects at 80 % power; null when untested. */
  mdd: number | null;
}

/** The statistics table, best first. */
export function statsRows(cells: readonly CellStats[], metric: CellMetric): StatsRow[] {
  return cells
    .map((c) => ({
      cellId: c.cellId,
      label: c.label,
      lr: c.lr,
      clip: c.clip,
      others: SLICE_KEYS.filter((k) => c[k] !== undefined).map((k) => `${k} ${String(c[k])}`).join(', '),
      n: c[metric].n,
      total: c.trials.total,
      diverged: c.trials.diverged,
      failed: c.trials.failed,
      pruned: c.trials.pruned,
      prunedText: c.trials.pruned ? prunedText(c) : '',
      mean: c[metric].mean,
      std: c[metric].std,
      ci: c[metric].ci95,
      overfit: c.overfitRatio.mean,
      verdict: c.vsBest[metric].verdict,
      verdictText: c[metric].n === 0 && c.trials.pruned ? 'pruned: left out' : verdictLabel(c.vsBest[metric]),
      pHolm: c.vsBest[metric].pHolm,
      mdd: c.vsBest[metric].mdd ?? null,
    }))
    .sort((a, b) => (b.mean ?? -Infinity) - (a.mean ?? -Infinity) || a.lr - b.lr);
}

/** The best cell and what a user should read from it, or null before any trial finished. */
export function bestConfig(detail: Pick<SweepDetail, 'stats'>, metric: CellMetric): { cell: CellStats; tiedCount: number; summary: string } | null {
  const id = detail.stats.best[metric];
  const cell = detail.stats.cells.find((c) => c.cellId === id);
  if (!cell || cell[metric].mean === null) return null;
  const tied = detail.stats.cells.filter((c) => c.vsBest[metric].verdict === 'tied').length;
  const cantTell = detail.stats.cells.filter((c) => c.vsBest[metric].verdict === 'cant-tell').length;
  const s = cell[metric];
  const summary =
    `lr ${hyper(cell.lr)}, ${clipLabel(cell.clip)}: ${pct(s.mean, 2)}${s.std !== null ? ` ± ${pct(s.std, 2)}` : ''} over ${s.n} seed${s.n === 1 ? '' : 's'}` +
    (s.ci95 ? ` (95% CI ${pct(s.ci95[0], 2)} – ${pct(s.ci95[1], 2)})` : '') +
    (tied ? `; ${tied} other cell${tied === 1 ? ' is' : 's are'} statistically tied with it` : '') +
    (cantTell ? `; ${cantTell} other cell${cantTell === 1 ? '' : 's'} can't be told apart from it with ${s.n} seeds (too few for the spread)` : '');
  return { cell, tiedCount: tied, summary };
}

/**
 * "Train this config on the full data": the cell's hyperparameters on the sweep's model and base
 * config, without the subset, as one stand-alone run. It keeps the sweep's validation split (its
 * curves stay comparable) and scores the untouched test split once at the end (finalTest): the test
 * accuracy of the selected configuration. A sweep that selected on test has no untouched test left.
 */
export function fullDataRun(
  sweep: Pick<SweepDetail, 'name' | 'datasetId' | 'spec'>,
  cell: Pick<CellStats, 'lr' | 'clip' | 'batchSize' | 'optimizer' | 'weightDecay' | 'preset'>,
  presetSpec: (name: NonNullable<CellStats['preset']>) => SweepDetail['spec']['model'],
) {
  const base = sweep.spec.base;
  const config = {
    ...base,
    lr: cell.lr,
    clipNorm: cell.clip,
    subset: null,
    finalTest: base.validation.split === 'holdout',
    ...(cell.batchSize !== undefined ? { batchSize: cell.batchSize } : {}),
    ...(cell.optimizer !== undefined ? { optimizer: cell.optimizer } : {}),
    ...(cell.weightDecay !== undefined ? { weightDecay: cell.weightDecay } : {}),
  };
  const model = cell.preset !== undefined ? presetSpec(cell.preset) : sweep.spec.model;
  const name = `${sweep.name}: best (lr ${hyper(cell.lr)}, ${clipLabel(cell.clip)}) on full data`;
  return { datasetId: sweep.datasetId, model, config, name };
}

/**
 * How long the full-data run of `fullDataRun` takes, from this sweep's own measured epochs: the
 * median epoch time of the cell's trials (all trials when the cell has none yet), scaled by how
 * many more samples an epoch sees (epoch time grows linearly with samples), times the epochs.
 * Null when no epoch was measured.
 */
export function fullDataEstimate(
  trials: readonly Pick<SweepTrial, 'cellId' | 'epochs'>[],
  cellId: string,
  samples: { subset: number | null; full: number },
  epochs: number,
): { seconds: number; perEpoch: number; scale: number } | null {
  const times = (list: readonly Pick<SweepTrial, 'epochs'>[]) => list.flatMap((t) => t.epochs.map((e) => e.seconds)).filter((s) => s > 0);
  let measured = times(trials.filter((t) => t.cellId === cellId));
  if (!measured.length) measured = times(trials);
  if (!measured.length) return null;
  const sorted = [...measured].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const scale = samples.subset && samples.subset < samples.full ? samples.full / samples.subset : 1;
  const perEpoch = median * scale;
  return { seconds: perEpoch * epochs, perEpoch, scale };
}
