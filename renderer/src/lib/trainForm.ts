/**
 * The New run / New sweep form: the text the user types → a TrainConfig or SweepSpec input, with a
 * message per field, validated by the contract's zod schemas as they type. Pure.
 */
import { SweepSpec, TrainConfig, type ModelSpec, type OptimizerName, type BackendChoice, type SweepSpecInput, type TrainConfigInput } from '../../../shared/domain';
import { fieldErrors, numberField, type FieldErrors } from './validation';
import { logspace, parseNumberList } from './axes';

export interface TrainForm {
  name: string;
  datasetId: string;
  /** 'preset:both' | 'saved:<id>' | 'sweep:<id>' (a sweep's own model). */
  model: string;
  optimizer: OptimizerName;
  lr: string;
  clip: string;
  clipOn: boolean;
  batchSize: string;
  epochs: string;
  weightDecay: string;
  seed: string;
  /** '' = all training data; else the first N samples. */
  subset: string;
  backend: BackendChoice;
  /** Validation held out of the training split: a fraction below 1, or a count. */
  valSize: string;
  /** Validate and select on the test split instead (the notebook's practice; warned). */
  selectOnTest: boolean;
  /** Score the test split once after the last epoch (a run of a configuration chosen on validation). */
  finalTest: boolean;
  // Sweep only
  lrMode: 'range' | 'list';
  lrMin: string;
  lrMax: string;
  lrPoints: string;
  lrList: string;
  clipList: string;
  repeats: string;
  concurrency: string;
  /** Most trials one trainer trains together: '' = automatic, '1' = never pack. */
  pack: string;
  /** 'grid': every combination; 'random' / 'tpe': `trials` configurations drawn (lr range: log-uniform). */
  method: 'grid' | 'random' | 'tpe';
  trials: string;
  /** Search only: clip norms from a list of choices, or drawn from a range. */
  clipMode: 'list' | 'range';
  clipMin: string;
  clipMax: string;
  clipLog: boolean;
  /** With a clip range: "no clipping" is drawn too. */
  clipNone: boolean;
  tpeStartup: string;
  /** Early termination: 'none' or a rule, with its settings. */
  prune: 'none' | 'asha' | 'median' | 'hyperband';
  pruneMetric: 'valAcc' | 'valLoss';
  /** Its best so far, or its latest value. */
  pruneMode: 'best' | 'last';
  grace: string;
  eta: string;
  pruneStartup: string;
  warmup: string;
  strict: boolean;
}

/** The notebook's sweep: lr 5e-4 … 0.1, clip 0.1 … 3, 16 epochs on a 10k subset. */
export function defaultForm(): TrainForm {
  return {
    name: '',
    datasetId: '',
    model: 'preset:both',
    optimizer: 'adamw',
    lr: '0.001',
    clip: '1.5',
    clipOn: true,
    batchSize: '64',
    epochs: '16',
    weightDecay: '',
    seed: '0',
    subset: '10000',
    backend: 'auto',
    valSize: '0.1',
    selectOnTest: false,
    finalTest: false,
    lrMode: 'list',
    lrMin: '0.0005',
    lrMax: '0.1',
    lrPoints: '6',
    lrList: '0.0005, 0.001, 0.005, 0.01, 0.05, 0.1',
    clipList: '0.1, 0.5, 1, 1.5, 2, 2.5, 3',
    repeats: '3',
    concurrency: '2',
    pack: '',
    method: 'grid',
    trials: '20',
    clipMode: 'list',
    clipMin: '0.1',
    clipMax: '3',
    clipLog: false,
    clipNone: false,
    tpeStartup: '10',
    prune: 'none',
    pruneMetric: 'valAcc',
    pruneMode: 'best',
    grace: '1',
    eta: '3',
    pruneStartup: '5',
    warmup: '0',
    strict: false,
  };
}

const wholeIn = (x: number | undefined, lo: number, hi: number) => x !== undefined && Number.isInteger(x) && x >= lo && x <= hi;

/** The search and early-termination part of the spec, with a message per field. */
function adaptiveInput(form: TrainForm, errors: FormErrors, lrRange: { min: number; max: number } | null): Partial<SweepSpecInput> {
  const out: Partial<SweepSpecInput> = {};
  if (form.method !== 'grid') {
    const trials = numberField(form.trials);
    if (!wholeIn(trials, 1, 1000)) errors.trials = 'a whole number from 1 to 1000';
    out.method = form.method;
    out.trials = trials as number;
    const ranges: NonNullable<SweepSpecInput['ranges']> = {};
    if (lrRange) ranges.lr = { ...lrRange, log: true };
    if (form.clipMode === 'range') {
      const min = numberField(form.clipMin);
      const max = numberField(form.clipMax);
      if (!(min! > 0)) errors.clipMin = 'must be greater than 0';
      if (!(max! > 0)) errors.clipMax = 'must be greater than 0';
      else if (min! > max!) errors.clipMax = 'must not be below the minimum';
      ranges.clip = { min: min as number, max: max as number, log: form.clipLog, none: form.clipNone };
    }
    if (Object.keys(ranges).length) out.ranges = ranges;
    if (form.method === 'tpe') {
      const startup = numberField(form.tpeStartup);
      if (!wholeIn(startup, 1, 1000)) errors.tpeStartup = 'a whole number from 1 to 1000';
      out.tpe = { startupTrials: startup as number };
    }
  }
  if (form.prune !== 'none') {
    const metric = { name: form.pruneMetric, mode: form.pruneMode };
    const grace = numberField(form.grace);
    const eta = numberField(form.eta);
    if (form.prune !== 'median') {
      if (!wholeIn(grace, 1, 10_000)) errors.grace = 'a whole number of epochs, at least 1';
      if (!(eta! >= 1.5 && eta! <= 100)) errors.eta = 'from 1.5 to 100 (3: the top third go on)';
    }
    if (form.prune === 'asha') out.prune = { rule: 'asha', metric, grace: grace as number, eta: eta as number };
    else if (form.prune === 'hyperband') out.prune = { rule: 'hyperband', metric, minIter: grace as number, eta: eta as number, strict: form.strict };
    else {
      const startup = numberField(form.pruneStartup);
      const warmup = numberField(form.warmup);
      if (!wholeIn(startup, 0, 10_000)) errors.pruneStartup = 'a whole number, 0 or more';
      if (!wholeIn(warmup, 0, 10_000)) errors.warmup = 'a whole number of epochs, 0 or more';
      out.prune = { rule: 'median', metric, startupTrials: startup as number, warmupEpochs: warmup as number };
    }
  }
  return out;
}

/** Field name in the form ← path in the TrainConfig / SweepSpec. */
const CONFIG_FIELDS: Record<string, keyof TrainForm> = {
  lr: 'lr',
  clipNorm: 'clip',
  batchSize: 'batchSize',
  epochs: 'epochs',
  weightDecay: 'weightDecay',
  seed: 'seed',
  'subset.size': 'subset',
  optimizer: 'optimizer',
  'validation.size': 'valSize',
  finalTest: 'finalTest',
};

function configInput(form: TrainForm, forSweep: boolean): TrainConfigInput {
  const subset = numberField(form.subset);
  const wd = numberField(form.weightDecay);
  return {
    optimizer: form.optimizer,
    lr: forSweep ? 0.001 : (numberField(form.lr) as number),
    clipNorm: forSweep ? null : form.clipOn ? (numberField(form.clip) as number) : null,
    batchSize: numberField(form.batchSize) as number,
    epochs: numberField(form.epochs) as number,
    seed: numberField(form.seed) as number,
    ...(wd !== undefined ? { weightDecay: wd } : {}),
    subset: subset === undefined ? null : { size: subset, mode: 'first' },
    backend: form.backend,
    validation: form.selectOnTest ? { split: 'test' } : { split: 'holdout', size: numberField(form.valSize) as number, seed: 0 },
    finalTest: !forSweep && !form.selectOnTest && form.finalTest,
  };
}

function mapErrors(errors: FieldErrors, prefix: string): Partial<Record<keyof TrainForm, string>> {
  const out: Partial<Record<keyof TrainForm, string>> = {};
  for (const [path, message] of Object.entries(errors)) {
    const key = path.startsWith(prefix) ? path.slice(prefix.length) : null;
    if (key === null) continue;
    const field = CONFIG_FIELDS[key];
    if (field) out[field] ??= message;
  }
  return out;
}

export type FormErrors = Partial<Record<keyof TrainForm, string>>;

export function runRequest(form: TrainForm, model: ModelSpec | null): { errors: FormErrors; config: TrainConfigInput } {
  const config = configInput(form, false);
  const errors: FormErrors = mapErrors(fieldErrors(TrainConfig, config), '');
  if (!form.datasetId) errors.datasetId = 'pick a data set';
  if (!model) errors.model = 'pick a model';
  for (const key of ['lr', 'batchSize', 'epochs', 'seed'] as const) if (!form[key].trim()) errors[key] = 'required';
  if (!form.selectOnTest && !form.valSize.trim()) errors.valSize = 'required';
  return { errors, config };
}

export interface SweepAxesPreview {
  lrs: number[];
  clips: (number | null)[];
}

export function sweepRequest(form: TrainForm, model: ModelSpec | null): { errors: FormErrors; spec: SweepSpecInput | null; preview: SweepAxesPreview } {
  const errors: FormErrors = {};
  let lrAxis: SweepSpecInput['axes']['lr'];
  let lrs: number[] = [];
  if (form.lrMode === 'range') {
    const min = numberField(form.lrMin);
    const max = numberField(form.lrMax);
    const points = numberField(form.lrPoints);
    if (!(min! > 0)) errors.lrMin = 'must be greater than 0';
    if (!(max! > 0)) errors.lrMax = 'must be greater than 0';
    else if (min! > max!) errors.lrMax = 'must not be below the minimum';
    const search = form.method !== 'grid';
    // A search draws lr log-uniformly from the range: no points to choose.
    if (!search && !(points! >= 1 && Number.isInteger(points) && points! <= 200)) errors.lrPoints = 'a whole number from 1 to 200';
    lrAxis = search ? { values: [min as number, max as number] } : { range: { min: min as number, max: max as number, points: points as number } };
    if (!errors.lrMin && !errors.lrMax && !errors.lrPoints) lrs = search ? [min!, max!] : logspace(min!, max!, points!);
  } else {
    const parsed = parseNumberList(form.lrList, { min: 0, exclusiveMin: true, max: 100 });
    if (parsed.error) errors.lrList = parsed.error;
    lrs = (parsed.values as number[]).slice().sort((a, b) => a - b);
    lrAxis = { values: lrs };
  }
  const clipFromRange = form.method !== 'grid' && form.clipMode === 'range';
  const clipParsed = clipFromRange ? { values: [null] as (number | null)[], error: null } : parseNumberList(form.clipList, { allowNone: true, min: 0, exclusiveMin: true });
  if (clipParsed.error) errors.clipList = clipParsed.error;
  const clips = clipParsed.values.slice().sort((a, b) => (a === null ? -1 : b === null ? 1 : a - b));
  const repeats = numberField(form.repeats);
  const concurrency = numberField(form.concurrency);
  if (!(concurrency! >= 1 && concurrency! <= 64 && Number.isInteger(concurrency))) errors.concurrency = 'a whole number from 1 to 64';
  const pack = form.pack.trim() ? numberField(form.pack) : undefined;
  if (pack !== undefined && !(pack! >= 1 && pack! <= 64 && Number.isInteger(pack))) errors.pack = 'empty (automatic) or a whole number from 1 to 64';
  const base = configInput(form, true);
  Object.assign(errors, mapErrors(fieldErrors(TrainConfig, base), ''));
  if (!form.datasetId) errors.datasetId = 'pick a data set';
  if (!model) errors.model = 'pick a model';
  const lrRange = form.method !== 'grid' && form.lrMode === 'range' && !errors.lrMin && !errors.lrMax ? { min: lrs[0]!, max: lrs[1]! } : null;
  const spec: SweepSpecInput = {
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    datasetId: form.datasetId || 'none',
    model: model ?? { layers: [{ type: 'flatten' }] },
    base,
    axes: { lr: lrAxis, clip: clips },
    repeats: repeats as number,
    ...(pack !== undefined && !errors.pack ? { pack: pack as number } : {}),
    ...adaptiveInput(form, errors, lrRange),
  };
  const specErrors = fieldErrors(SweepSpec, spec);
  if (specErrors.repeats) errors.repeats = specErrors.repeats;
  if (!form.repeats.trim()) errors.repeats = 'required';
  for (const [path, message] of Object.entries(specErrors)) {
    if (path.startsWith('axes.lr') && form.lrMode === 'list') errors.lrList ??= message;
    if (path.startsWith('axes.clip')) errors.clipList ??= message;
    if (path === 'trials') errors.trials ??= message;
    if (path.startsWith('prune')) errors.grace ??= message;
    if (path.startsWith('ranges.clip')) errors.clipMax ??= message;
    if (path.startsWith('ranges.lr')) errors.lrMax ??= message;
  }
  return { errors, spec: Object.keys(errors).length ? null : spec, preview: { lrs, clips } };
}
