/**
 * Turns the CLI's `--dataset` and `--model` arguments into a stored data set and a ModelSpec:
 * a data-set id, or a path that is imported first (the same files imported before are reused);
 * a preset name, or a JSON file holding a ModelSpec.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliContext } from './context';
import type { Command } from 'commander';
import { DEFAULT_VALIDATION, ModelSpec, PresetName, type Dataset, type ValidationSpec } from '../../shared/domain';
import { presetModel, withNumClasses, describeModel } from '../../shared/models';
import { ApiError, describeIssues } from '../../shared/errors';

export async function resolveDataset(ctx: CliContext, arg: string): Promise<Dataset> {
  const looksLikePath = arg.includes('/') || arg.includes('\\') || arg.startsWith('.') || existsSync(arg);
  if (!looksLikePath) {
    const list = await ctx.call('datasets.list', {});
    const match = list.find((d) => d.id === arg) ?? list.filter((d) => d.name === arg)[0];
    if (match) return match;
    throw new ApiError('not_found', `No data set with id or name "${arg}" (see \`sweeplab data list\`; a path is imported)`);
  }
  const path = resolve(arg);
  if (!existsSync(path)) throw new ApiError('not_found', `No such file or folder: ${path}`);
  return ctx.call('datasets.import', { paths: [path] });
}

export function resolveModel(arg: string, dataset: Dataset): ModelSpec {
  let spec: ModelSpec;
  const preset = PresetName.safeParse(arg);
  if (preset.success) spec = presetModel(preset.data, dataset.numClasses);
  else {
    const path = resolve(arg);
    if (!existsSync(path)) {
      throw new ApiError('invalid_argument', `--model must be a preset (${PresetName.options.join(', ')}) or a ModelSpec JSON file; no file ${path}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new ApiError('invalid_argument', `${path}: not JSON (${(error as Error).message})`);
    }
    const parsed = ModelSpec.safeParse(json);
    if (!parsed.success) throw new ApiError('invalid_argument', `${path}: not a model spec: ${describeIssues(parsed.error.issues)}`);
    spec = parsed.data;
  }
  if (spec.preset && preset.success) spec = withNumClasses(spec, dataset.numClasses);
  describeModel(spec, dataset.shape, dataset.numClasses);
  return spec;
}

/** Parses a number option strictly: "1e-3" yes, "abc" or "NaN" no. */
export function numberOption(name: string, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      throw new ApiError('invalid_argument', `${name} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
    }
    return n;
  };
}

const DEFAULT_VALIDATION_SIZE = DEFAULT_VALIDATION.split === 'holdout' ? DEFAULT_VALIDATION.size : 0.1;

/** The validation options `train` and `sweep` share. */
export interface ValidationOptions {
  valSize: number;
  valSeed: number;
  selectOnTest?: boolean;
}

export function addValidationOptions(command: Command): Command {
  return command
    .option('--val-size <x>', 'validation held out of the training split: a fraction below 1, or a sample count', numberOption('--val-size'), DEFAULT_VALIDATION_SIZE)
    .option('--val-seed <n>', "the validation split's seed (the same for every trial)", numberOption('--val-seed', true), 0)
    .option('--select-on-test', "validate and select on the test split, as the notebook does (biases the winner's score upward)");
}

/** The config's validation spec from the options; selection on test is said on stderr, every time. */
export function validationFromOptions(opts: ValidationOptions): ValidationSpec {
  if (opts.selectOnTest) {
    process.stderr.write('warning: --select-on-test: epochs and configurations are chosen on the test split, so their test scores are biased upward; report a held-out test score instead (the default validation split and --final-test)\n');
    return { split: 'test' };
  }
  return { split: 'holdout', size: opts.valSize, seed: opts.valSeed };
}
