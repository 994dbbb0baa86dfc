/**
 * The report's charts as SVG strings, rendered by ECharts on the server side (no DOM, no canvas):
 * the same library the app draws its live charts with, so a curve in the PDF looks like the curve
 * the user saw. pdfmake embeds the SVG as vector paths, so the charts stay sharp when a supervisor
 * zooms in or prints.
 *
 * Kept to what svg-to-pdfkit draws faithfully: no animation, no gradients, no shadows, plain text.
 */
import * as echarts from 'echarts';
import { clipLabel, hyper, MISSING, pct } from '../../shared/format';
import { HEATMAP_AXES, HEATMAP_COLORS, heatmapAxisLabels, heatmapLabelColor, heatmapScale } from '../../shared/heatmap';

/** Okabe–Ito: distinguishable for the common colour-vision deficiencies, and in greyscale print. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442', '#999999'];

const FONT = 'Roboto';
const TEXT = { fontFamily: FONT, color: '#333333', fontSize: 10 };

function render(option: Record<string, unknown>, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: TEXT, color: PALETTE, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * The legend goes on its own row(s) under the title, so a long title never runs into it; this
 * estimates how many rows it wraps to (ECharts wraps at the chart width) to leave room above the plot.
 */
function legendRows(names: string[], width: number): number {
  const itemWidths = names.map((n) => 18 + 5 + n.length * 5.2 + 10);
  let rows = 1;
  let x = 0;
  for (const w of itemWidths) {
    if (x + w > width && x > 0) {
      rows += 1;
      x = 0;
    }
    x += w;
  }
  return rows;
}

function legend(names: string[]) {
  return { top: 20, left: 0, itemWidth: 18, itemHeight: 8, itemGap: 10, textStyle: { ...TEXT, fontSize: 9 }, data: names };
}

export interface Series {
  name: string;
  points: [number, number][];
  /** Dashed: a secondary series (validation loss beside training loss, train acc beside val acc). */
  dashed?: boolean;
  color?: string;
  /** A reference line (a threshold): no point markers. */
  reference?: boolean;
}

export interface LineChartOptions {
  title: string;
  xName: string;
  yName: string;
  series: Series[];
  /** 'pct': accuracies in [0, 1] shown as percentages. */
  yFormat: 'pct' | 'num';
  /** Log-scale loss axes make late epochs readable; refused (linear) when a value is ≤ 0. */
  logY?: boolean;
  width: number;
  height: number;
}

/** Min/max of the y values with 5% padding, so curves that all sit near 0.9 are not squashed to a line. */
function yRange(series: Series[], format: 'pct' | 'num'): { min: number; max: number } | null {
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  if (!ys.length) return null;
  let min = Math.min(...ys);
  let max = Math.max(...ys);
  const pad = Math.max((max - min) * 0.08, format === 'pct' ? 0.005 : Math.abs(max) * 0.02 || 0.01);
  min -= pad;
  max += pad;
  if (format === 'pct') {
    min = Math.max(0, Math.floor(min * 100) / 100);
    max = Math.min(1, Math.ceil(max * 100) / 100);
  }
  return { min, max };
}

export function lineChart(o: LineChartOptions): string {
  const range = yRange(o.series, o.yFormat);
  const logY = o.logY === true && o.series.every((s) => s.points.every((p) => p[1] > 0));
  const maxX = Math.max(1, ...o.series.flatMap((s) => s.points.map((p) => p[0])));
  const manyPoints = o.series.some((s) => s.points.length > 40);
  return render(
    {
      title: { text: o.title, left: 0, top: 0, textStyle: { ...TEXT, fontSize: 12, fontWeight: 'bold' } },
      legend: legend(o.series.map((s) => s.name)),
      grid: { left: 52, right: 14, top: 36 + 14 * legendRows(o.series.map((s) => s.name), o.width), bottom: 34 },
      xAxis: {
        type: 'value',
        name: o.xName,
        nameLocation: 'middle',
        nameGap: 20,
        min: 1,
        max: maxX,
        minInterval: 1,
        axisLabel: { ...TEXT, fontSize: 9 },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitLine: { show: false },
      },
      yAxis: {
        type: logY ? 'log' : 'value',
        name: o.yName,
        nameLocation: 'middle',
        nameGap: 40,
        ...(range && !logY ? range : {}),
        scale: true,
        axisLabel: {
          ...TEXT,
          fontSize: 9,
          formatter: o.yFormat === 'pct' ? (v: number) => `${Math.round(v * 1000) / 10}%` : undefined,
        },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitLine: { lineStyle: { color: '#e6e6e6' } },
      },
      series: o.series.map((s, i) => ({
        type: 'line',
        name: s.name,
        data: s.points,
        showSymbol: !manyPoints && !s.reference,
        symbolSize: 4,
        lineStyle: { width: 1.5, type: s.dashed ? 'dashed' : 'solid', ...(s.color ? { color: s.color } : {}) },
        itemStyle: s.color ? { color: s.color } : { color: PALETTE[i % PALETTE.length] },
      })),
    },
    o.width,
    o.height,
  );
}

export interface HeatmapOptions {
  title: string;
  lrs: number[];
  clips: (number | null)[];
  /** values[i][j]: the metric at lrs[i], clips[j]; null where no seed completed. */
  values: (number | null)[][];
  /** [i, j] of the best cell, outlined. */
  best: [number, number] | null;
  width: number;
  height: number;
}

/**
 * lr (columns) × clip (rows), each cell coloured by its mean accuracy on the observed range and
 * labelled with it (shared/heatmap.ts). Empty cells are grey and labelled "—".
 */
const GRID = { left: 62, right: 70, top: 30, bottom: 40 };

export function heatmapChart(o: HeatmapOptions): string {
  // Orientation, colours and label colour: shared/heatmap.ts, as the app draws it (lr across, clip up).
  const scale = heatmapScale(o.values.flat());
  const { min, max } = scale;
  const data: { value: [number, number, number]; label: { color: string } }[] = [];
  const empty: [number, number][] = [];
  o.values.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v === null || !Number.isFinite(v)) empty.push([i, j]);
      else data.push({ value: [i, j, v], label: { color: heatmapLabelColor(v, scale) } });
    }),
  );
  // The best cell's outline, drawn on top as a plain rectangle in pixels: a border on the cell
  // itself is half covered by its neighbours', and a scaled symbol's stroke does not survive the
  // trip to PDF evenly. Categories run bottom-up on the y axis.
  const cellW = (o.width - GRID.left - GRID.right) / o.lrs.length;
  const cellH = (o.height - GRID.top - GRID.bottom) / o.clips.length;
  // Cells without a completed seed: grey with a dash (a heatmap leaves a hole where data is missing).
  const cellBox = (i: number, j: number, inset: number) => ({
    x: GRID.left + i * cellW + inset,
    y: GRID.top + (o.clips.length - 1 - j) * cellH + inset,
    width: cellW - 2 * inset,
    height: cellH - 2 * inset,
  });
  const holes = empty.flatMap(([i, j]) => {
    const box = cellBox(i, j, 0.5);
    return [
      { type: 'rect', z: 90, shape: box, style: { fill: '#e3e3e3' } },
      {
        type: 'text',
        z: 91,
        x: box.x + box.width / 2,
        y: box.y + box.height / 2,
        style: { text: MISSING, fill: '#555555', font: `9px ${FONT}`, textAlign: 'center', textVerticalAlign: 'middle' },
      },
    ];
  });
  const outline = o.best
    ? [
        {
          type: 'rect',
          z: 100,
          shape: cellBox(o.best[0], o.best[1], 1.5),
          style: { fill: 'none', stroke: '#000000', lineWidth: 2.5 },
        },
      ]
    : [];
  return render(
    {
      title: { text: o.title, left: 0, top: 0, textStyle: { ...TEXT, fontSize: 12, fontWeight: 'bold' } },
      graphic: [...holes, ...outline],
      grid: GRID,
      xAxis: {
        type: 'category',
        name: HEATMAP_AXES.x,
        nameLocation: 'middle',
        nameGap: 24,
        data: heatmapAxisLabels(o.lrs, o.clips).x,
        axisLabel: { ...TEXT, fontSize: 9 },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitArea: { show: false },
      },
      yAxis: {
        type: 'category',
        name: HEATMAP_AXES.y,
        nameLocation: 'middle',
        nameGap: 48,
        data: heatmapAxisLabels(o.lrs, o.clips).y,
        axisLabel: { ...TEXT, fontSize: 9 },
        nameTextStyle: { ...TEXT, fontSize: 9 },
      },
      visualMap: {
        type: 'continuous',
        min,
        max,
        calculable: false,
        orient: 'vertical',
        right: 0,
        top: 'middle',
        itemHeight: Math.max(60, o.height - 110),
        itemWidth: 10,
        precision: 3,
        text: [pct(max, 1), pct(min, 1)],
        textStyle: { ...TEXT, fontSize: 8 },
        inRange: { color: [...HEATMAP_COLORS] },
        seriesIndex: 0,
      },
      series: [
        {
          type: 'heatmap',
          data,
          label: {
            show: true,
            fontFamily: FONT,
            fontSize: o.lrs.length > 8 ? 7 : 8,
            color: '#ffffff',
            textBorderColor: '#000000',
            textBorderWidth: 0,
            formatter: (p: { value: [number, number, number] }) => (p.value[2] * 100).toFixed(1),
          },
          itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
        },
      ],
    },
    o.width,
    o.height,
  );
}

export interface InteractionOptions {
  title: string;
  lrs: number[];
  /** One line per clip value: mean accuracy at each lr (null where no seed completed). */
  lines: { clip: number | null; means: (number | null)[] }[];
  width: number;
  height: number;
}

/**
 * The lr × clip interaction plot: validation accuracy against the learning rate on a log axis, one
 * line per clip norm. Parallel lines mean no interaction; crossing or fanning lines mean the best
 * clip depends on the learning rate.
 */
export function interactionChart(o: InteractionOptions): string {
  const series: Series[] = o.lines.map((line, k) => ({
    name: line.clip === null ? 'no clip' : `clip ${hyper(line.clip)}`,
    points: o.lrs.flatMap((lr, i) => (line.means[i] === null || line.means[i] === undefined ? [] : [[lr, line.means[i]!] as [number, number]])),
    color: PALETTE[k % PALETTE.length],
  }));
  const range = yRange(series, 'pct');
  const minLr = Math.min(...o.lrs);
  const maxLr = Math.max(...o.lrs);
  return render(
    {
      title: { text: o.title, left: 0, top: 0, textStyle: { ...TEXT, fontSize: 12, fontWeight: 'bold' } },
      legend: legend(series.map((s) => s.name)),
      grid: { left: 52, right: 14, top: 36 + 14 * legendRows(series.map((s) => s.name), o.width), bottom: 34 },
      xAxis: {
        type: 'log',
        logBase: 10,
        name: 'learning rate (log scale)',
        nameLocation: 'middle',
        nameGap: 20,
        // Snap to whole decades around the swept values so the axis reads 0.0001, 0.001, 0.01, 0.1.
        min: 10 ** Math.floor(Math.log10(minLr) + 1e-9),
        max: 10 ** Math.ceil(Math.log10(maxLr) - 1e-9),
        axisLabel: { ...TEXT, fontSize: 9, formatter: (v: number) => hyper(v) },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitLine: { show: true, lineStyle: { color: '#eeeeee' } },
      },
      yAxis: {
        type: 'value',
        name: 'validation accuracy',
        nameLocation: 'middle',
        nameGap: 40,
        ...(range ?? {}),
        axisLabel: { ...TEXT, fontSize: 9, formatter: (v: number) => `${Math.round(v * 1000) / 10}%` },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitLine: { lineStyle: { color: '#e6e6e6' } },
      },
      series: series.map((s) => ({
        type: 'line',
        name: s.name,
        data: s.points,
        symbolSize: 5,
        lineStyle: { width: 1.5, color: s.color },
        itemStyle: { color: s.color },
      })),
    },
    o.width,
    o.height,
  );
}

export interface ScatterOptions {
  title: string;
  xName: string;
  /** Logarithmic x (the learning rate). */
  logX?: boolean;
  /** Points drawn per group: completed seeds, configuration means, pruned trials (hollow). */
  groups: { name: string; points: [number, number][]; hollow?: boolean; symbol?: 'circle' | 'diamond'; color?: string }[];
  /** An x value that stands for "no clipping", labelled so at a dashed line. */
  noneAt?: number | null;
  width: number;
  height: number;
}

/** A search sweep's metric against one parameter: a point per trial, accuracies in percent. */
export function scatterChart(o: ScatterOptions): string {
  const all = o.groups.flatMap((g) => g.points);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const xs = all.map((p) => p[0]).filter((x) => Number.isFinite(x) && (!o.logX || x > 0));
  const pad = ys.length ? Math.max((Math.max(...ys) - Math.min(...ys)) * 0.08, 0.005) : 0;
  return render(
    {
      title: { text: o.title, left: 0, top: 0, textStyle: { ...TEXT, fontSize: 12, fontWeight: 'bold' } },
      legend: legend(o.groups.map((g) => g.name)),
      grid: { left: 52, right: 14, top: 36 + 14 * legendRows(o.groups.map((g) => g.name), o.width), bottom: 34 },
      xAxis: {
        type: o.logX ? 'log' : 'value',
        name: o.xName,
        nameLocation: 'middle',
        nameGap: 20,
        scale: true,
        ...(xs.length && o.logX ? { min: Math.min(...xs) / 1.5, max: Math.max(...xs) * 1.5 } : {}),
        axisLabel: { ...TEXT, fontSize: 9, formatter: (v: number) => (o.noneAt !== undefined && o.noneAt !== null && v === o.noneAt ? 'none' : hyper(Number(v.toPrecision(3)))) },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitLine: { show: false },
      },
      yAxis: {
        type: 'value',
        name: 'accuracy',
        nameLocation: 'middle',
        nameGap: 40,
        ...(ys.length ? { min: Math.max(0, Math.min(...ys) - pad), max: Math.min(1, Math.max(...ys) + pad) } : {}),
        axisLabel: { ...TEXT, fontSize: 9, formatter: (v: number) => `${Math.round(v * 1000) / 10}%` },
        nameTextStyle: { ...TEXT, fontSize: 9 },
        splitLine: { lineStyle: { color: '#e6e6e6' } },
      },
      series: o.groups.map((g, i) => ({
        type: 'scatter',
        name: g.name,
        data: g.points,
        symbol: g.hollow ? 'emptyCircle' : (g.symbol ?? 'circle'),
        symbolSize: g.symbol === 'diamond' ? 9 : 5,
        itemStyle: { color: g.color ?? PALETTE[i % PALETTE.length] },
        ...(i === 0 && o.noneAt !== undefined && o.noneAt !== null
          ? { markLine: { silent: true, symbol: 'none', data: [{ xAxis: o.noneAt }], lineStyle: { type: 'dashed', color: '#999999' }, label: { ...TEXT, fontSize: 8, formatter: 'no clip' } } }
          : {}),
      })),
    },
    o.width,
    o.height,
  );
}
