/**
 * `sweeplab sweep`: run a learning-rate × clip sweep in the foreground with a live table (redrawn in
 * place on a terminal, plain lines otherwise, JSON lines with --json), and `sweep resume | show |
 * list | cancel | pause | rerun-failed`.
 *
 * The foreground process owns the sweep: its trainers are its children. `sweep cancel <id>` from
 * another shell writes the cancel to the database; the owner notices within a second (the
 * scheduler re-reads its sweeps' rows), kills its trainers and exits. Ctrl-C cancels the same way.
 */
import type { Command } from 'commander';
import { metricLabel, metricShortLabel, verdictLabel } from '../../shared/analysis';
import type { CliContext } from './context';
import { addValidationOptions, numberOption, resolveDataset, resolveModel, validationFromOptions, type ValidationOptions } from './resolve';
import { formatTable, pct, shortDate } from './output';
import { duration, hyper, num, pp, pValue } from '../../shared/format';
import {
  BackendChoice,
  OptimizerName,
  PresetName,
  SearchMethod,
  type EpochMetrics,
  type Run,
  type Sweep,
  type SweepSpecInput,
} from '../../shared/domain';
import type { SweepDetail, SweepPlan } from '../../shared/contract/sweeps';
import { ApiError } from '../../shared/errors';
import { presetModel } from '../../shared/models';
import { describeMethod, describePrune, describeSpace } from '../../shared/adaptive';
import { describeCell } from '../sweeps/grid';
import { cellValuesOf } from '../sweeps/scheduler';

interface SweepOptions extends ValidationOptions {
  dataset: string;
  model: string;
  lr?: string;
  lrRange?: string;
  clip: string;
  repeats: number;
  epochs: number;
  subset?: number;
  subsetRandom?: boolean;
  concurrency?: number;
  pack?: number;
  optimizer: string;
  batch: string;
  weightDecay?: string;
  momentum?: number;
  seed: number;
  backend: string;
  trainAccFull?: boolean;
  name?: string;
  method: string;
  trials?: number;
  clipRange?: string;
  clipScale: string;
  clipNone?: boolean;
  weightDecayRange?: string;
  searchSeed?: number;
  tpeStartup?: number;
  prune?: string;
  grace?: number;
  eta?: number;
  maxEpochs?: number;
  startup?: number;
  warmup?: number;
  maxIter?: number;
  strict?: boolean;
  pruneMetric: string;
  pruneMode: string;
}

const SWEEP_ENDED = new Set<Sweep['status']>(['completed', 'cancelled', 'failed', 'interrupted', 'paused']);
const TRIAL_ENDED = new Set(['completed', 'failed', 'diverged', 'cancelled', 'interrupted', 'pruned']);

function list<T>(name: string, raw: string, parse: (item: string) => T): T[] {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new ApiError('invalid_argument', `${name} needs at least one value`);
  return items.map(parse);
}

function enumItem<T extends string>(name: string, options: readonly T[]) {
  return (item: string): T => {
    if (!(options as readonly string[]).includes(item)) throw new ApiError('invalid_argument', `${name}: "${item}" is not one of ${options.join(', ')}`);
    return item as T;
  };
}

/** `--lr-range 1e-4:1e-1:7` → {min, max, points}. */
export function parseLrRange(raw: string): { min: number; max: number; points: number } {
  const parts = raw.split(':');
  if (parts.length !== 3) throw new ApiError('invalid_argument', `--lr-range must be MIN:MAX:POINTS for a grid, e.g. 1e-4:1e-1:7 (MIN:MAX with --method random or tpe); got "${raw}"`);
  return {
    min: numberOption('--lr-range min')(parts[0]!),
    max: numberOption('--lr-range max')(parts[1]!),
    points: numberOption('--lr-range points', true)(parts[2]!),
  };
}

/** A search range `MIN:MAX` (`--lr-range 1e-4:1e-1`, `--clip-range 0.1:3`). */
export function parseSearchRange(flag: string, raw: string): { min: number; max: number } {
  const parts = raw.split(':');
  if (parts.length !== 2) throw new ApiError('invalid_argument', `${flag} must be MIN:MAX for a search, e.g. ${flag === '--lr-range' ? '1e-4:1e-1' : '0.1:3'}; got "${raw}"`);
  const min = numberOption(`${flag} min`)(parts[0]!);
  const max = numberOption(`${flag} max`)(parts[1]!);
  if (!(min <= max)) throw new ApiError('invalid_argument', `${flag}: MIN must not exceed MAX; got "${raw}"`);
  return { min, max };
}

/**
 * The search and early-termination part of a sweep spec from the CLI options: method, trial
 * budget, ranges, TPE settings and the prune rule. The spec's own schema checks the rest (a grid
 * with a budget, hyperband without bands, …) and its message is what the user sees.
 */
export function adaptiveFromOptions(opts: Pick<SweepOptions, 'method' | 'trials' | 'lrRange' | 'clipRange' | 'clipScale' | 'clipNone' | 'weightDecayRange' | 'searchSeed' | 'tpeStartup' | 'prune' | 'grace' | 'eta' | 'maxEpochs' | 'startup' | 'warmup' | 'maxIter' | 'strict' | 'pruneMetric' | 'pruneMode'>): Partial<SweepSpecInput> {
  const method = enumItem('--method', SearchMethod.options)(opts.method);
  const search = method !== 'grid';
  const out: Partial<SweepSpecInput> = {};
  if (search) {
    if (opts.trials === undefined) throw new ApiError('invalid_argument', `--method ${method} needs --trials N (the number of configurations to try)`);
    out.method = method;
    out.trials = opts.trials;
    const ranges: NonNullable<SweepSpecInput['ranges']> = {};
    if (opts.lrRange) ranges.lr = { ...parseSearchRange('--lr-range', opts.lrRange), log: true };
    if (opts.clipRange) ranges.clip = { ...parseSearchRange('--clip-range', opts.clipRange), log: enumItem('--clip-scale', ['log', 'uniform'] as const)(opts.clipScale) === 'log', none: Boolean(opts.clipNone) };
    if (opts.weightDecayRange) ranges.weightDecay = { ...parseSearchRange('--weight-decay-range', opts.weightDecayRange), log: false };
    if (Object.keys(ranges).length) out.ranges = ranges;
    if (opts.searchSeed !== undefined) out.searchSeed = opts.searchSeed;
    if (opts.tpeStartup !== undefined) {
      if (method !== 'tpe') throw new ApiError('invalid_argument', '--tpe-startup needs --method tpe');
      out.tpe = { startupTrials: opts.tpeStartup };
    }
  } else {
    if (opts.trials !== undefined) throw new ApiError('invalid_argument', '--trials needs --method random or tpe (a grid runs every combination)');
    for (const [flag, v] of [['--clip-range', opts.clipRange], ['--weight-decay-range', opts.weightDecayRange], ['--search-seed', opts.searchSeed], ['--tpe-startup', opts.tpeStartup]] as const) {
      if (v !== undefined) throw new ApiError('invalid_argument', `${flag} needs --method random or tpe`);
    }
  }
  if (opts.prune) {
    const rule = enumItem('--prune', ['asha', 'median', 'hyperband'] as const)(opts.prune);
    const metric = {
      name: ({ 'val-acc': 'valAcc', 'val-loss': 'valLoss' } as const)[enumItem('--prune-metric', ['val-acc', 'val-loss'] as const)(opts.pruneMetric)],
      mode: enumItem('--prune-mode', ['best', 'last'] as const)(opts.pruneMode),
    };
    const refuse = (flag: string, v: unknown, rules: string) => {
      if (v !== undefined) throw new ApiError('invalid_argument', `${flag} applies to --prune ${rules}, not ${rule}`);
    };
    if (rule === 'asha') {
      refuse('--startup', opts.startup, 'median');
      refuse('--warmup', opts.warmup, 'median');
      refuse('--max-iter', opts.maxIter, 'hyperband');
      refuse('--strict', opts.strict, 'hyperband');
      out.prune = { rule, metric, grace: opts.grace ?? 1, eta: opts.eta ?? 3, ...(opts.maxEpochs !== undefined ? { maxEpochs: opts.maxEpochs } : {}) };
    } else if (rule === 'median') {
      for (const [flag, v] of [['--grace', opts.grace], ['--eta', opts.eta], ['--max-epochs', opts.maxEpochs], ['--max-iter', opts.maxIter], ['--strict', opts.strict]] as const) refuse(flag, v, flag === '--max-iter' || flag === '--strict' ? 'hyperband' : 'asha or hyperband');
      out.prune = { rule, metric, startupTrials: opts.startup ?? 5, warmupEpochs: opts.warmup ?? 0 };
    } else {
      refuse('--startup', opts.startup, 'median');
      refuse('--warmup', opts.warmup, 'median');
      refuse('--max-epochs', opts.maxEpochs, 'asha');
      // W&B's min_iter is --grace; without either, bands from --max-iter (default: the epochs) and s.
      out.prune = {
        rule,
        metric,
        eta: opts.eta ?? 3,
        strict: Boolean(opts.strict),
        ...(opts.maxIter !== undefined ? { maxIter: opts.maxIter } : { minIter: opts.grace ?? 1 }),
      };
    }
  } else {
    for (const [flag, v] of [['--grace', opts.grace], ['--eta', opts.eta], ['--max-epochs', opts.maxEpochs], ['--startup', opts.startup], ['--warmup', opts.warmup], ['--max-iter', opts.maxIter], ['--strict', opts.strict]] as const) {
      if (v !== undefined) throw new ApiError('invalid_argument', `${flag} needs --prune asha, median or hyperband`);
    }
  }
  return out;
}

export function registerSweep(program: Command, ctx: CliContext): void {
  const sweep = addValidationOptions(program
    .command('sweep')
    .description('run a learning-rate × clip-norm sweep in the foreground (subcommands: resume, show, list, cancel, pause, rerun-failed)')
    .option('--dataset <id|path>', 'a data-set id or name, or files/folder to import first')
    .option('--model <preset|spec.json>', 'a preset (plain, drop, bn, both, five, shl), several comma-separated to sweep them, or a ModelSpec JSON file')
    .option('--lr <list>', 'learning rates, comma-separated: 0.0005,0.001,0.005')
    .option('--lr-range <min:max:n>', 'n log-spaced learning rates from min to max: 1e-4:1e-1:7')
    .option('--clip <list>', 'max gradient norms, comma-separated; none = no clipping', 'none')
    .option('--repeats <n>', 'seeds per cell (seed, seed+1, …)', numberOption('--repeats', true), 1)
    .option('--epochs <n>', 'epochs per trial', numberOption('--epochs', true), 10)
    .option('--subset <n>', 'train on N samples of the training split', numberOption('--subset', true))
    .option('--subset-random', 'with --subset: a seeded random N instead of the first N')
    .option('--concurrency <n>', 'trials at once (default: one per core on CPU, one on a GPU)', numberOption('--concurrency', true))
    .option('--pack <n>', 'most trials one trainer trains together as a pack (default: automatic on GPU backends and on cpu, sized from memory; 1 = never pack)', numberOption('--pack', true))
    .option('--optimizer <list>', 'sgd | momentum | adam | adamw; several comma-separated to sweep them', 'adamw')
    .option('--batch <list>', 'batch size; several comma-separated to sweep them', '64')
    .option('--weight-decay <list>', 'weight decay (AdamW default 0.01); several comma-separated to sweep them')
    .option('--momentum <x>', 'SGD momentum (optimizer momentum)', numberOption('--momentum'))
    .option('--seed <n>', 'first seed', numberOption('--seed', true), 0)
    .option('--backend <name>', 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (see `sweeplab backends`)', 'auto')
    .option('--train-acc-full', 'train accuracy on the full training split (as the notebook did)')
    .option('--name <name>', 'sweep name')
    .option('--method <grid|random|tpe>', 'grid: every combination; random or tpe: --trials configurations drawn from the ranges and lists', 'grid')
    .option('--trials <n>', 'configurations a random or TPE search tries (each run --repeats times)', numberOption('--trials', true))
    .option('--clip-range <min:max>', 'search: draw the clip norm from this range (instead of --clip)')
    .option('--clip-scale <log|uniform>', 'with --clip-range: how clip norms are drawn', 'uniform')
    .option('--clip-none', 'with --clip-range: "no clipping" is drawn too (half the time)')
    .option('--weight-decay-range <min:max>', 'search: draw weight decay uniformly from this range')
    .option('--search-seed <n>', "the search's own seed (default --seed): the same seed proposes the same configurations", numberOption('--search-seed', true))
    .option('--tpe-startup <n>', 'TPE: random proposals before the Parzen estimators take over (default 10)', numberOption('--tpe-startup', true))
    .option('--prune <asha|median|hyperband>', 'stop unpromising trials early (they end "pruned", resumable by hand)')
    .option('--grace <n>', 'asha: epochs before the first rung; hyperband: min_iter (default 1)', numberOption('--grace', true))
    .option('--eta <x>', 'asha/hyperband: reduction factor, the top 1/eta go on (default 3)', numberOption('--eta'))
    .option('--max-epochs <n>', 'asha: last epoch that can be a rung (default: --epochs)', numberOption('--max-epochs', true))
    .option('--startup <n>', 'median: completed trials before any is stopped (default 5)', numberOption('--startup', true))
    .option('--warmup <n>', 'median: epochs never judged (default 0)', numberOption('--warmup', true))
    .option('--max-iter <n>', 'hyperband: bands at max_iter/eta^i instead of from --grace', numberOption('--max-iter', true))
    .option('--strict', "hyperband: compare a trial's value at the band, not its best so far")
    .option('--prune-metric <val-acc|val-loss>', 'the number early termination watches', 'val-acc')
    .option('--prune-mode <best|last>', 'its best so far or its latest value', 'best'))
    .action(async (opts: SweepOptions) => {
      ctx.useCluster();
      if (!opts.dataset || !opts.model) throw new ApiError('invalid_argument', 'sweep needs --dataset and --model (or a subcommand: resume, show, list, cancel)');
      const adaptive = adaptiveFromOptions(opts);
      const searching = adaptive.method !== undefined;
      if (!searching && !opts.lr === !opts.lrRange) throw new ApiError('invalid_argument', 'give exactly one of --lr and --lr-range');
      if (searching && !opts.lr === !opts.lrRange) throw new ApiError('invalid_argument', `--method ${adaptive.method} needs --lr-range MIN:MAX (log-uniform) or --lr with the rates to choose from`);
      if (searching && opts.clipRange && opts.clip !== 'none') throw new ApiError('invalid_argument', 'give --clip-range or --clip, not both (add --clip-none to draw "no clipping" too)');
      const backend = BackendChoice.safeParse(opts.backend);
      if (!backend.success) throw new ApiError('invalid_argument', '--backend must be auto, tensorflow-gpu, webgpu, tensorflow, wasm or cpu');
      const optimizers = list('--optimizer', opts.optimizer, enumItem('--optimizer', OptimizerName.options));
      const batches = list('--batch', opts.batch, numberOption('--batch', true));
      const decays = opts.weightDecay ? list('--weight-decay', opts.weightDecay, numberOption('--weight-decay')) : null;
      const clips = list('--clip', opts.clip, (c) => (c === 'none' ? null : numberOption('--clip')(c)));
      const lrValues = opts.lr ? list('--lr', opts.lr, numberOption('--lr')) : null;
      // A search draws lr from its range (adaptive.ranges.lr); the grid axis then holds its bounds.
      const searchLr = searching && opts.lrRange ? adaptive.ranges!.lr! : null;
      const lrRange = opts.lrRange && !searchLr ? parseLrRange(opts.lrRange) : null;
      const lrAxis = lrValues ? { values: lrValues } : searchLr ? { values: [searchLr.min, searchLr.max] } : { range: lrRange! };

      const dataset = await resolveDataset(ctx, opts.dataset);
      const presets = opts.model.includes(',') ? list('--model', opts.model, enumItem('--model', PresetName.options)) : null;
      const model = presets ? presetModel(presets[0]!, dataset.numClasses) : resolveModel(opts.model, dataset);
      const spec: SweepSpecInput = {
        ...(opts.name ? { name: opts.name } : {}),
        datasetId: dataset.id,
        model,
        base: {
          optimizer: optimizers[0]!,
          lr: lrValues ? lrValues[0]! : (searchLr?.min ?? lrRange!.min),
          batchSize: batches[0]!,
          epochs: opts.epochs,
          seed: opts.seed,
          subset: opts.subset ? { size: opts.subset, mode: opts.subsetRandom ? 'random' : 'first' } : null,
          backend: backend.data,
          trainAccOn: opts.trainAccFull ? 'full' : 'trained',
          validation: validationFromOptions(opts),
          ...(decays?.length === 1 ? { weightDecay: decays[0]! } : {}),
          ...(opts.momentum !== undefined ? { momentum: opts.momentum } : {}),
        },
        axes: {
          lr: lrAxis,
          clip: clips,
          ...(batches.length > 1 ? { batchSize: batches } : {}),
          ...(optimizers.length > 1 ? { optimizer: optimizers } : {}),
          ...(decays && decays.length > 1 ? { weightDecay: decays } : {}),
          ...(presets ? { preset: presets } : {}),
        },
        repeats: opts.repeats,
        ...(opts.pack !== undefined ? { pack: opts.pack } : {}),
        ...adaptive,
      };
      // The pool size (auto: one trainer per GPU if it lands on one) and packing (not on a software
      // WebGPU adapter unless --pack asks) depend on what the backends are here: ask a trainer first.
      if ((spec.base.backend === 'auto' && opts.concurrency === undefined) || (spec.base.backend === 'webgpu' && opts.pack === undefined)) {
        await ctx.call('app.backends', { refresh: false }).catch(() => null);
      }
      const plan = await ctx.call('sweeps.plan', { spec, concurrency: opts.concurrency });
      await follow(ctx, 'create', async () => {
        const created = await ctx.call('sweeps.create', { spec, concurrency: opts.concurrency, start: false });
        return { sweep: created, plan };
      });
    });

  sweep
    .command('resume <id>')
    .description('continue an interrupted, paused or cancelled sweep in the foreground: unfinished trials from their last checkpoint')
    .action(async (id: string) => {
      ctx.useCluster();
      await follow(ctx, 'resume', async () => ({ sweep: await ctx.call('sweeps.get', { id }), plan: null }));
    });

  sweep
    .command('resume-trial <id> <trialId>')
    .description('resume a pruned trial to its full length, in the foreground (early termination then leaves it alone)')
    .action(async (id: string, trialId: string) => {
      ctx.useCluster();
      await follow(ctx, 'resume-trial', async () => ({ sweep: await ctx.call('sweeps.get', { id }), plan: null }), false, trialId);
    });

  sweep
    .command('rerun-failed <id>')
    .description('run the failed trials of a sweep again, in the foreground')
    .option('--diverged', 'also the diverged trials')
    .action(async (id: string, opts: { diverged?: boolean }) => {
      ctx.useCluster();
      await follow(ctx, 'rerun', async () => ({ sweep: await ctx.call('sweeps.get', { id }), plan: null }), opts.diverged);
    });

  sweep
    .command('show <id>')
    .description('a sweep with its per-cell statistics (--json: trials, epochs and statistics)')
    .action(async (id: string) => {
      const detail = await ctx.call('sweeps.show', { id });
      if (ctx.options.json) {
        process.stdout.write(`${JSON.stringify(detail)}\n`);
        return;
      }
      process.stdout.write(`${describeSweep(detail)}\n\n${statsReport(detail)}\n`);
    });

  sweep
    .command('analysis <id>')
    .description("set the number a sweep's analysis ranks cells by, in the app, the CLI and the PDF alike")
    .requiredOption('--metric <final|best>', 'final: validation accuracy after the last epoch; best: at the best epoch')
    .action(async (id: string, opts: { metric: string }) => {
      const metric = ({ final: 'finalValAcc', best: 'bestValAcc' } as const)[opts.metric as 'final' | 'best'];
      if (!metric) throw new ApiError('invalid_argument', `--metric must be final or best, got "${opts.metric}"`);
      const updated = await ctx.call('sweeps.setAnalysisMetric', { id, metric });
      if (ctx.options.json) process.stdout.write(`${JSON.stringify({ id: updated.id, analysisMetric: updated.analysisMetric })}\n`);
      else process.stdout.write(`${updated.name}: ranked by ${metricLabel(metric, updated.spec.base.validation)}\n`);
    });

  sweep
    .command('list')
    .description('all sweeps, newest first')
    .action(async () => {
      const sweeps = await ctx.call('sweeps.list', {});
      if (ctx.options.json) {
        for (const s of sweeps) process.stdout.write(`${JSON.stringify(s)}\n`);
        return;
      }
      if (!sweeps.length) {
        process.stdout.write('No sweeps yet. Start one with `sweeplab sweep --dataset … --model … --lr …`.\n');
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['id', 'name', 'status', 'trials', 'failed', 'concurrency', 'created'],
          sweeps.map((s) => [s.id, s.name, s.status, `${s.trials.done}/${s.trials.total}`, s.trials.failed, s.concurrency, shortDate(s.createdAt)]),
        )}\n`,
      );
    });

  sweep
    .command('cancel <id>')
    .description('cancel a sweep; if another process runs it, that process stops its trainers within a second')
    .action(async (id: string) => {
      const s = await ctx.call('sweeps.cancel', { id });
      ctx.print(`Sweep ${s.name} (${s.id}) is ${s.status}.`, s);
    });

  sweep
    .command('pause <id>')
    .description('pause a sweep (its running trials resume later from their checkpoints)')
    .action(async (id: string) => {
      const s = await ctx.call('sweeps.pause', { id });
      ctx.print(`Sweep ${s.name} (${s.id}) is ${s.status}. Continue with \`sweeplab sweep resume ${s.id}\`.`, s);
    });
}

interface CellRow {
  label: string;
  total: number;
  done: number;
  running: Map<string, number>;
  finals: number[];
  failed: number;
  pruned: number;
}

/**
 * Starts (or resumes) a sweep in this process and follows it to the end, printing progress. The
 * event subscriptions are made before the first trial starts so no epoch is missed.
 */
async function follow(
  ctx: CliContext,
  mode: 'create' | 'resume' | 'rerun' | 'resume-trial',
  prepare: () => Promise<{ sweep: Sweep; plan: SweepPlan | null }>,
  includeDiverged = false,
  trialId?: string,
): Promise<void> {
  const runtime = await ctx.open();
  const json = Boolean(ctx.options.json);
  const tty = !json && Boolean(process.stdout.isTTY);
  const { sweep: initial, plan } = await prepare();
  const sweepId = initial.id;
  const detail0 = await ctx.call('sweeps.show', { id: sweepId });
  const trials = new Map(detail0.trials.map((t) => [t.id, t]));
  const cells = new Map<string, CellRow>();
  for (const c of detail0.stats.cells) cells.set(c.cellId, { label: c.label, total: c.trials.total, done: 0, running: new Map(), finals: [], failed: 0, pruned: 0 });
  for (const t of detail0.trials) {
    const row = cells.get(t.cellId)!;
    if (t.status === 'completed' || t.status === 'diverged' || t.status === 'pruned') {
      row.done++;
      if (t.status === 'pruned') row.pruned++;
      if (t.status === 'completed' && t.epochs.length) row.finals.push(t.epochs.at(-1)!.valAcc);
    }
  }
  // A search sweep stores its configurations as trainers free up: a trial first seen here joins
  // the table then, as its own cell or a new seed of one.
  const spec = detail0.spec;
  const known = (run: Run): SweepDetail['trials'][number] | undefined => {
    const seen = trials.get(run.id);
    if (seen || run.sweepId !== sweepId || !run.cellId) return seen;
    const values = cellValuesOf({ lr: run.config.lr, clip: run.config.clipNorm, batchSize: run.config.batchSize, optimizer: run.config.optimizer, weightDecay: run.config.weightDecay ?? null, preset: run.model.preset ?? null }, spec);
    const t = { id: run.id, cellId: run.cellId, ...values, seed: run.config.seed, status: run.status, error: null, backend: null, epochs: [] };
    trials.set(run.id, t);
    const row = cells.get(run.cellId);
    if (row) row.total++;
    else cells.set(run.cellId, { label: describeCell(values), total: 1, done: 0, running: new Map(), finals: [], failed: 0, pruned: 0 });
    return t;
  };
  let current: Sweep = initial;
  let drawn = 0;
  let lastDraw = 0;
  let drawTimer: ReturnType<typeof setTimeout> | null = null;

  const draw = (force = false) => {
    if (!tty) return;
    const now = Date.now();
    if (!force && now - lastDraw < 200) {
      drawTimer ??= setTimeout(() => {
        drawTimer = null;
        draw(true);
      }, 200);
      return;
    }
    lastDraw = now;
    const lines = liveTable(current, cells).split('\n');
    process.stdout.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const out = (line: string) => {
    if (tty) return;
    process.stdout.write(`${line}\n`);
  };

  const offEpoch = runtime.events.on('run.epoch', ({ runId, metrics }) => {
    const t = trials.get(runId);
    if (!t) return;
    cells.get(t.cellId)!.running.set(runId, metrics.epoch);
    if (json) process.stdout.write(`${JSON.stringify({ type: 'epoch', trialId: runId, cellId: t.cellId, lr: t.lr, clip: t.clip, seed: t.seed, ...pickEpoch(metrics) })}\n`);
    draw();
  });
  const offRun = runtime.events.on('run.updated', (run: Run) => {
    const t = known(run);
    if (!t) return;
    const row = cells.get(t.cellId)!;
    if (run.status === 'running') {
      // A pruned trial resumed by hand is not done any more.
      if (t.status === 'pruned') {
        row.done--;
        row.pruned--;
        t.status = 'running';
      }
      if (!row.running.has(run.id)) row.running.set(run.id, run.epochsDone);
      draw();
      return;
    }
    row.running.delete(run.id);
    if (!TRIAL_ENDED.has(run.status) || t.status === run.status) return;
    t.status = run.status;
    if (run.status === 'completed' || run.status === 'diverged' || run.status === 'pruned') row.done++;
    if (run.status === 'completed' && run.lastValAcc !== null) row.finals.push(run.lastValAcc);
    if (run.status === 'failed') row.failed++;
    if (run.status === 'pruned') row.pruned++;
    const end = { trialId: run.id, cellId: t.cellId, lr: t.lr, clip: t.clip, seed: t.seed, status: run.status, epochs: run.epochsDone, bestValAcc: run.bestValAcc, bestEpoch: run.bestEpoch, finalValAcc: run.lastValAcc, backend: run.backend, packSize: run.packSize ?? null, error: run.error, pruned: run.pruned ?? null };
    if (json) process.stdout.write(`${JSON.stringify({ type: 'trial', ...end })}\n`);
    else
      out(
        // Counted here, not from the last sweep.updated: a pack's trials end together, before it comes.
        `[${[...trials.values()].filter((x) => ['completed', 'diverged', 'pruned'].includes(x.status)).length}/${current.trials.total}] ${row.label}, seed ${t.seed}: ${run.status}` +
          (run.lastValAcc !== null ? `, val ${pct(run.lastValAcc)} (best ${pct(run.bestValAcc)} @ ${run.bestEpoch})` : '') +
          (run.packSize ? ` [pack of ${run.packSize}]` : '') +
          (run.error ? ` — ${run.error}` : ''),
      );
    draw();
  });
  let resolveEnd!: (s: Sweep) => void;
  const ended = new Promise<Sweep>((resolve) => (resolveEnd = resolve));
  const offSweep = runtime.events.on('sweep.updated', (s) => {
    if (s.id !== sweepId) return;
    current = s;
    draw();
    if (SWEEP_ENDED.has(s.status)) resolveEnd(s);
  });
  let deleted = false;
  const offDeleted = runtime.events.on('sweep.deleted', ({ id }) => {
    if (id !== sweepId) return;
    deleted = true;
    resolveEnd(current);
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`${tty ? '\n' : ''}Cancelling sweep ${sweepId} (trainers are being stopped; Ctrl-C again to leave it interrupted)…\n`);
      void ctx.call('sweeps.cancel', { id: sweepId }).catch(() => {});
    } else {
      // Leave now: the sweep stays 'running' with a dead owner, which the next start (or resume)
      // turns into 'interrupted'. The trainers are our children and die with us.
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ sweepId, name: initial.name, trials: initial.trials.total, ...(plan ? { epochs: plan.epochs, epochsFull: plan.epochsFull, etaSeconds: plan.etaSeconds, etaSource: plan.etaSource } : {}) })}\n`,
      );
    } else {
      process.stdout.write(
        `Sweep ${initial.name} (${sweepId}) on ${initial.spec.method && initial.spec.method !== 'grid' ? `up to ${initial.trials.total} trials (${describeMethod(initial.spec)}, proposed as trainers free up)` : `${detail0.trials.length} trials`}\n`,
      );
      if (plan) {
        process.stdout.write(`${plan.trials} trials, ${plan.epochs} trial-epochs, about ${duration(plan.etaSeconds)} (${plan.basis})\n`);
        if (plan.pruneBasis) process.stdout.write(`  with early termination: about ${plan.epochs} of ${plan.epochsFull} trial-epochs (${plan.pruneBasis})\n`);
      }
    }
    if (mode === 'create') current = await ctx.call('sweeps.launch', { id: sweepId });
    else if (mode === 'resume') current = await ctx.call('sweeps.resume', { id: sweepId });
    else if (mode === 'resume-trial') current = await ctx.call('sweeps.resumeTrial', { id: sweepId, trialId: trialId! });
    else current = await ctx.call('sweeps.rerunFailed', { id: sweepId, includeDiverged });
    draw(true);
    if (!SWEEP_ENDED.has(current.status)) await ended;
    // The status flips to cancelled/paused as soon as it is asked for; the trainers and trial
    // statuses settle after. Wait for that before reading the result and closing the store.
    current = await runtime.scheduler.waitUntilIdle(sweepId);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    offEpoch();
    offRun();
    offSweep();
    offDeleted();
    if (drawTimer) clearTimeout(drawTimer);
  }
  if (deleted) throw new ApiError('not_found', `sweep ${sweepId} was deleted (by another Sweeplab process?) while it ran; its trials here are stopped`);
  draw(true);
  const detail = await ctx.call('sweeps.show', { id: sweepId });
  if (json) {
    process.stdout.write(`${JSON.stringify({ type: 'stats', sweepId, status: detail.status, stats: detail.stats })}\n`);
  } else {
    process.stdout.write(`\n${describeSweep(detail)}\n\n${statsReport(detail)}\n`);
  }
  // Non-zero exit (through main's error path: one line on stderr) when the sweep did not finish.
  if (detail.status !== 'completed') {
    throw new ApiError(detail.status === 'cancelled' ? 'cancelled' : 'failed_precondition', `sweep ${sweepId} is ${detail.status}; continue with \`sweeplab sweep resume ${sweepId}\``);
  }
  // A sweep can complete with trials that failed (a trainer crash, a store error): scripts must notice.
  const failed = detail.trials.filter((t) => t.status === 'failed').length;
  if (failed) {
    throw new ApiError(
      'failed_precondition',
      `sweep ${sweepId} completed with ${failed} failed trial${failed === 1 ? '' : 's'} of ${detail.trials.length}; run them again with \`sweeplab sweep rerun-failed ${sweepId}\``,
    );
  }
}

function pickEpoch(m: EpochMetrics) {
  const { epoch, loss, trainAcc, valAcc, valLoss, seconds, gradNormMean, gradNormMax, clippedFraction } = m;
  return { epoch, loss, trainAcc, valAcc, valLoss, seconds, gradNormMean, gradNormMax, clippedFraction };
}

function liveTable(sweep: Sweep, cells: Map<string, CellRow>): string {
  const t = sweep.trials;
  const head = `${sweep.name}: ${sweep.status}, ${t.done}/${t.total} trials done, ${t.running} running, ${t.failed} failed` + (sweep.etaSeconds ? `, about ${duration(sweep.etaSeconds)} left` : '');
  const rows = [...cells.values()].map((c) => {
    const mean = c.finals.length ? c.finals.reduce((a, b) => a + b, 0) / c.finals.length : null;
    const running = [...c.running.values()].map((e) => `ep ${e}`).join(' ');
    return [c.label, `${c.done}/${c.total}`, running || '', pct(mean), c.pruned || '', c.failed || ''];
  });
  return `${head}\n${formatTable(['cell', 'seeds', 'running', 'final val (mean)', 'pruned', 'failed'], rows)}`;
}

function describeSweep(d: SweepDetail): string {
  const t = d.trials;
  const statuses = new Map<string, number>();
  for (const x of t) statuses.set(x.status, (statuses.get(x.status) ?? 0) + 1);
  const failures = t.filter((x) => x.status === 'failed' || x.status === 'diverged').slice(0, 5);
  return [
    `${d.name}  (${d.id})`,
    `status     ${d.status}${d.finishedAt ? `, finished ${shortDate(d.finishedAt)}` : ''}`,
    `trials     ${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}`,
    `concurrency ${d.concurrency}${d.spec.pack !== undefined ? `, packs of up to ${d.spec.pack}` : ''}, ${d.spec.base.epochs} epochs per trial, ${d.spec.repeats} seed${d.spec.repeats === 1 ? '' : 's'} per cell`,
    ...failures.map((x) => `  ${x.status}: lr ${hyper(x.lr)}, clip ${hyper(x.clip)}, seed ${x.seed}: ${x.error ?? ''}`),
    ...adaptiveLines(d),
  ].join('\n');
}

/** Search method, early termination, epochs saved and each pruned trial with its reason. */
export function adaptiveLines(d: Pick<SweepDetail, 'spec' | 'stats' | 'trials'>): string[] {
  const a = d.stats.adaptive;
  if (!a) return [];
  const lines = [`method     ${describeMethod(d.spec)}${a.method !== 'grid' ? ` (${a.configurations.proposed} proposed so far)` : ''}`];
  if (a.method !== 'grid') lines.push(`space      ${describeSpace(d.spec).join('; ')}`);
  lines.push(`pruning    ${describePrune(d.spec.prune)}`);
  if (d.spec.prune) {
    const share = a.epochs.full ? ` (${((100 * a.epochs.saved) / a.epochs.full).toFixed(0)}% of ${a.epochs.full})` : '';
    lines.push(`epochs     ${a.epochs.trained} trained, ${a.epochs.saved} saved by pruning${share}; ${a.prunedTrials} trial${a.prunedTrials === 1 ? '' : 's'} pruned`);
    const pruned = d.trials.filter((t) => t.status === 'pruned');
    for (const t of pruned.slice(0, 10)) lines.push(`  pruned: ${describeCell(t)}, seed ${t.seed}, at epoch ${t.pruned?.epoch ?? t.epochs.length}: ${t.pruned?.reason ?? t.error ?? ''}`);
    if (pruned.length > 10) lines.push(`  … and ${pruned.length - 10} more pruned (sweep show --json lists them all)`);
  }
  lines.push(a.note);
  return lines;
}


/** The statistics as terminal tables, ranked by the sweep's analysis metric: per cell, then ANOVA. */
export function statsReport(detail: Pick<SweepDetail, 'stats' | 'analysisMetric' | 'spec'>): string {
  const { stats } = detail;
  const m = detail.analysisMetric;
  const alt = m === 'finalValAcc' ? 'bestValAcc' : 'finalValAcc';
  const validation = detail.spec.base.validation;
  const cells = [...stats.cells].sort((a, b) => (b[m].mean ?? -1) - (a[m].mean ?? -1));
  const table = formatTable(
    ['cell', 'n', `${metricShortLabel(m, validation)} mean ± std`, '95% CI', 'vs best (Holm p)', metricShortLabel(alt, validation), 'best epoch', 'val/train'],
    cells.map((c) => {
      const f = c[m];
      const v = c.vsBest[m];
      return [
        c.label +
          (c.trials.diverged ? ` (${c.trials.diverged} diverged)` : '') +
          (c.trials.failed ? ` (${c.trials.failed} failed)` : '') +
          (c.trials.pruned ? ` (${c.trials.pruned} pruned at epoch ${[...new Set(c.prunedAtEpochs)].join(', ')})` : ''),
        f.n,
        f.mean === null ? '—' : `${pct(f.mean)} ± ${f.std === null ? '—' : pct(f.std)}`,
        f.ci95 ? `${pct(f.ci95[0])} – ${pct(f.ci95[1])}` : '—',
        v.verdict === 'best' || v.verdict === 'untested' ? verdictLabel(v) : `${verdictLabel(v)} (p ${pValue(v.pHolm)}${v.mdd !== null && v.mdd !== undefined ? `, detects ≥ ${pp(v.mdd, 1)} pp` : ''})`,
        pct(c[alt].mean),
        num(c.bestEpoch.mean, 1),
        num(c.overfitRatio.mean, 3),
      ];
    }),
  );
  const name = metricLabel(m, validation);
  const parts = [
    `${name[0]!.toUpperCase()}${name.slice(1)} per cell (the sweep's analysis metric; Welch t-test against the best, Holm-corrected, α = ${stats.alpha}):`,
    table,
  ];
  const bestCell = stats.cells.find((c) => c.cellId === stats.best[m]);
  if (stats.adaptive && bestCell) {
    const f = bestCell[m];
    parts.push(
      '',
      `Best configuration: ${bestCell.label}: ${pct(f.mean)}${f.ci95 ? `, 95% CI ${pct(f.ci95[0])} – ${pct(f.ci95[1])} over its ${f.n} seeds` : ` (${f.n} seed${f.n === 1 ? '' : 's'}: no CI)`} (compared at epoch ${stats.adaptive.comparedAtEpoch})`,
    );
    if (bestCell.trials.pruned) {
      parts.push(`  ${bestCell.trials.pruned} of its seeds ${bestCell.trials.pruned === 1 ? 'was' : 'were'} pruned: \`sweeplab sweep resume-trial <sweep> <trial>\` trains ${bestCell.trials.pruned === 1 ? 'it' : 'them'} to full length`);
    }
  }
  for (const a of stats.anova[m]) {
    const slice = Object.entries(a.slice).map(([k, v]) => `${k} ${v}`).join(', ');
    parts.push('', `Two-way ANOVA of ${name}, lr × clip${slice ? ` (${slice})` : ''}:`);
    if (!a.computed) parts.push(`  not computed: ${a.reason}`);
    else {
      parts.push(formatTable(['source', 'df', 'sum sq', 'mean sq', 'F', 'p'], a.terms.map((t) => [t.source, t.df, t.ss.toExponential(3), t.ms.toExponential(3), num(t.f, 3), pValue(t.p)])));
      if (a.reason) parts.push(`  (${a.reason})`);
    }
  }
  return parts.join('\n');
}
