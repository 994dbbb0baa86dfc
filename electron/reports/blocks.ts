/** The report's building blocks: page geometry, headings, notes, tables, charts, summary-statistics text. */
import type { Content, CustomTableLayout, TableCell } from 'pdfmake/interfaces';
import type { Dataset, EpochMetrics, ModelSpec, Run } from '../../shared/domain';
import { effectiveWeightDecay } from '../../shared/domain';
import type { SummaryStats } from '../../shared/contract';
import { describeModel, PRESET_DESCRIPTIONS } from '../../shared/models';
import { hyper, int, MISSING, pct, pp } from '../../shared/format';

// A4 portrait with 40 pt side margins: 515 pt of content width.
export const PAGE = { width: 595.28, height: 841.89, margins: [40, 48, 40, 44] as [number, number, number, number] };

export const CONTENT_WIDTH = PAGE.width - PAGE.margins[0] - PAGE.margins[2];

export const CHART_HEIGHT = 220;

// ---------------------------------------------------------------------------------------------
// Building blocks

export function heading(text: string, level: 1 | 2 = 1): Content {
  // headlineLevel lets pageBreakBefore move a heading that would sit alone at a page's foot.
  return { text, style: level === 1 ? 'h1' : 'h2', headlineLevel: level };
}

export function note(text: string | Content[]): Content {
  return { text, style: 'note' };
}

export type Cell = string | number | TableCell;

/** Rules between rows only, a darker one under the repeated header, a light header fill. */
export const TABLE_LAYOUT: CustomTableLayout = {
  hLineWidth: (i, node) => (i === 0 || i === 1 || i === node.table.body.length ? 0.8 : 0.3),
  vLineWidth: () => 0,
  hLineColor: (i) => (i <= 1 ? '#555555' : '#d5d5d5'),
  fillColor: (row) => (row === 0 ? '#eef1f5' : null),
  paddingLeft: () => 4,
  paddingRight: () => 4,
  paddingTop: () => 2.5,
  paddingBottom: () => 2.5,
};

/**
 * A table that breaks across pages with its header row repeated (headerRows) and never splits a
 * row (dontBreakRows), in the report's one table style.
 */
export function table(headers: string[], rows: Cell[][], widths: (number | string)[], options: { alignRight?: number[]; highlight?: (row: number) => string | null } = {}): Content {
  const right = new Set(options.alignRight ?? []);
  const body: TableCell[][] = [
    headers.map((h, i) => ({ text: h, style: 'th', alignment: right.has(i) ? 'right' : 'left' })),
    ...rows.map((row, r) =>
      row.map((cell, i) => {
        const base: TableCell = typeof cell === 'object' ? cell : { text: String(cell) };
        const fill = options.highlight?.(r) ?? null;
        return { ...(base as object), ...(right.has(i) ? { alignment: 'right' } : {}), ...(fill ? { fillColor: fill } : {}) } as TableCell;
      }),
    ),
  ];
  return {
    table: { headerRows: 1, dontBreakRows: true, widths, body },
    layout: TABLE_LAYOUT,
    style: 'table',
  };
}

/** Two columns of "setting: value" pairs. */
export function keyValues(pairs: [string, string][]): Content {
  return {
    table: {
      widths: [130, '*'],
      body: pairs.map(([k, v]) => [
        { text: k, style: 'key' },
        { text: v, style: 'value' },
      ]),
    },
    layout: 'noBorders',
    style: 'table',
  };
}

export function chart(svg: string): Content {
  return { svg, width: CONTENT_WIDTH, margin: [0, 4, 0, 8] };
}

/** A heading and its first block kept on one page (a chart never starts on the next page alone). */
export function keepTogether(...blocks: Content[]): Content {
  // A heading inside an unbreakable block must not also ask pageBreakBefore for a break: both
  // would move it, leaving an empty page between them.
  const plain = blocks.map((b) => {
    if (b && typeof b === 'object' && !Array.isArray(b) && 'headlineLevel' in b) {
      const { headlineLevel: _level, ...rest } = b as { headlineLevel?: number };
      return rest as Content;
    }
    return b;
  });
  return { stack: plain, unbreakable: true };
}

export function statsText(s: SummaryStats): string {
  if (s.mean === null) return MISSING;
  return s.std === null ? pct(s.mean) : `${pct(s.mean)} ± ${pp(s.std)}`;
}

export function ciText(s: SummaryStats): string {
  return s.ci95 ? `${pp(s.ci95[0])} – ${pp(s.ci95[1])}` : MISSING;
}

// ---------------------------------------------------------------------------------------------
// Sections shared by all report kinds

export function ratioText(s: SummaryStats): string {
  if (s.mean === null) return MISSING;
  return s.std === null ? s.mean.toFixed(3) : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
}

// ---------------------------------------------------------------------------------------------
// The document

export function finalEpoch(epochs: EpochMetrics[]): EpochMetrics | null {
  return epochs.length ? epochs[epochs.length - 1]! : null;
}

export function totalSeconds(epochs: EpochMetrics[]): number {
  return epochs.reduce((s, e) => s + e.seconds, 0);
}

// ---------------------------------------------------------------------------------------------
// A single run

export function datasetSection(datasets: Dataset[], missingIds: string[]): Content[] {
  const out: Content[] = [heading(datasets.length + missingIds.length > 1 ? 'Data sets' : 'Data set')];
  for (const d of datasets) {
    const placeholder = d.source.startsWith('placeholder:');
    const classes = d.classNames.length ? d.classNames.join(', ') : `${d.numClasses} classes`;
    out.push(
      keyValues([
        ['Name', d.name],
        ['Source', placeholder ? `${d.source.slice('placeholder:'.length)} (imported record; the files are not on this machine)` : d.source],
        ['Image shape', `${d.shape[0]} × ${d.shape[1]} × ${d.shape[2]} (height × width × channels)`],
        ['Classes', `${d.numClasses}: ${classes}`],
        ['Samples', `${int(d.counts.train)} training, ${int(d.counts.test)} ${d.heldOut ? 'held out from the training files (seeded)' : 'test'}`],
        ['Checksum', d.checksum],
      ]),
    );
  }
  for (const id of missingIds) out.push(note(`Data set ${id}: its record is no longer in this library (deleted).`));
  return out;
}

export function modelLayerTable(model: ModelSpec, dataset: Dataset | undefined): Content[] {
  const init = `${model.init.kind.replace(/_/g, '-')}${model.init.std ? ` (std ${model.init.std})` : ''}`;
  const lines: Content[] = [];
  if (model.preset) lines.push(note(`Preset "${model.preset}": ${PRESET_DESCRIPTIONS[model.preset]}. Weight initialisation: ${init}.`));
  else lines.push(note(`Custom model. Weight initialisation: ${init}.`));
  if (!dataset) {
    lines.push(
      table(
        ['#', 'Layer'],
        model.layers.map((l, i) => [i, l.type]),
        [20, '*'],
      ),
    );
    lines.push(note('Output shapes and parameter counts need the data set record, which is missing.'));
    return lines;
  }
  const description = describeModel(model, dataset.shape, dataset.numClasses);
  lines.push(
    table(
      ['#', 'Layer', 'Output shape', 'Parameters'],
      [
        ['', 'Input', dataset.shape.join(' × '), ''],
        ...description.layers.map((l) => [l.index, l.label, l.outputShape.join(' × '), l.params ? int(l.params) : MISSING]),
        [{ text: '', colSpan: 1 }, { text: 'Total trainable parameters', bold: true }, '', { text: int(description.totalParams), bold: true }],
      ],
      [20, '*', 90, 80],
      { alignRight: [3] },
    ),
  );
  return lines;
}

/** The settings a run was trained with, in the order a methods section would list them. */
export function configPairs(run: Run): [string, string][] {
  const c = run.config;
  const pairs: [string, string][] = [
    ['Optimizer', { sgd: 'SGD', momentum: 'SGD with momentum', adam: 'Adam', adamw: 'AdamW' }[c.optimizer]],
    ['Learning rate', hyper(c.lr)],
  ];
  if (c.optimizer === 'momentum') pairs.push(['Momentum', `${c.momentum}${c.nesterov ? ' (Nesterov)' : ''}`]);
  if (c.optimizer === 'adam' || c.optimizer === 'adamw') pairs.push(['Betas, eps', `(${c.beta1}, ${c.beta2}), ${c.eps}`]);
  pairs.push(
    ['Weight decay', `${effectiveWeightDecay(c)}${c.optimizer === 'adamw' ? ' (decoupled)' : c.weightDecay ? ' (L2 in the gradient)' : ''}`],
    ['Gradient clipping', c.clipNorm === null ? 'none' : `global L2 norm, max-norm ${hyper(c.clipNorm)} (clip_grad_norm_)`],
    ['Batch size', String(c.batchSize)],
    ['Epochs', String(c.epochs)],
    ['Seed', String(c.seed)],
    ['Training subset', c.subset ? `${int(c.subset.size)} samples (${c.subset.mode === 'first' ? 'the first' : 'seeded random'})` : 'all training samples'],
    ['Train accuracy on', c.trainAccOn === 'full' ? 'the full training split' : 'the samples trained on'],
    ['Backend', run.backend ?? (c.backend === 'auto' ? 'auto (not started)' : c.backend)],
  );
  return pairs;
}
