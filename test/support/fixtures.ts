import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset, ModelSpec, TrainConfig } from '../../shared/domain';
import { ModelSpec as ModelSpecSchema, TrainConfig as TrainConfigSchema } from '../../shared/domain';

export function tempDir(prefix = 'sweeplab-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

let counter = 0;
/** A valid Dataset row for store and service tests that do not need the files behind it. */
export function datasetRecord(overrides: Partial<Dataset> = {}): Dataset {
  counter += 1;
  return {
    id: `ds${counter}${Date.now().toString(36)}`,
    name: 'Fixture digits',
    source: 'test:fixture',
    shape: [28, 28, 1],
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    counts: { train: 600, test: 100 },
    classCounts: { train: Array(10).fill(60), test: Array(10).fill(10) },
    heldOut: false,
    checksum: `sum-${counter}-${Math.random()}`,
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

export const tinyModel: ModelSpec = ModelSpecSchema.parse({
  preset: 'plain',
  layers: [{ type: 'flatten' }, { type: 'linear', units: 16 }, { type: 'relu' }, { type: 'linear', units: 10 }],
});

export const tinyConfig: TrainConfig = TrainConfigSchema.parse({ lr: 0.001, clipNorm: 1.5, epochs: 2 });

/**
 * A model with every layer type, BatchNorm with non-default momentum and eps, a bias-free Linear
 * and a per-layer init: what the model exports must get right.
 */
export function allLayersModel(classes: number, batchnorm: { momentum: number; eps?: number } = { momentum: 0.3 }): ModelSpec {
  return ModelSpecSchema.parse({
    init: { kind: 'kaiming_uniform' },
    layers: [
      { type: 'flatten' },
      { type: 'linear', units: 24 },
      { type: 'batchnorm1d', ...batchnorm },
      { type: 'relu' },
      { type: 'dropout', p: 0.3 },
      { type: 'linear', units: 16, bias: false, init: { kind: 'xavier_uniform' } },
      { type: 'tanh' },
      { type: 'linear', units: 16 },
      { type: 'leaky_relu', negativeSlope: 0.1 },
      { type: 'linear', units: 12 },
      { type: 'gelu' },
      { type: 'linear', units: 12 },
      { type: 'sigmoid' },
      { type: 'linear', units: classes },
    ],
  });
}
