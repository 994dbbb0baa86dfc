/**
 * Turns the CLI's `--dataset` and `--model` arguments into a stored data set and a ModelSpec:
 * a data-set id, or a path that is imported first (the same files imported before are reused);
 * a preset name, or a JSON file holding a ModelSpec.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliContext } from './index';
import { ModelSpec, PresetName, type Dataset } from '../../shared/domain';
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
