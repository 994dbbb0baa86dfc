/** The layer-stack editor's operations on a ModelSpec, and its live check. Pure. */
import type { Init, LayerSpec, LayerType, ModelSpec } from '../../../shared/domain';
import { describeModel, type ModelDescription } from '../../../shared/models';
import { ApiError } from '../../../shared/errors';

export const LAYER_TYPES: { type: LayerType; label: string; hint: string }[] = [
  { type: 'linear', label: 'Linear', hint: 'fully connected layer' },
  { type: 'batchnorm1d', label: 'BatchNorm1d', hint: 'normalise features over the batch' },
  { type: 'dropout', label: 'Dropout', hint: 'zero inputs at random while training' },
  { type: 'relu', label: 'ReLU', hint: 'activation' },
  { type: 'leaky_relu', label: 'LeakyReLU', hint: 'activation' },
  { type: 'gelu', label: 'GELU', hint: 'activation' },
  { type: 'tanh', label: 'Tanh', hint: 'activation' },
  { type: 'sigmoid', label: 'Sigmoid', hint: 'activation' },
  { type: 'flatten', label: 'Flatten', hint: 'images → feature vectors' },
];

export const INIT_LABELS: Record<Init['kind'], string> = {
  kaiming_uniform: 'Kaiming uniform (notebook)',
  kaiming_normal: 'Kaiming normal',
  xavier_uniform: 'Xavier uniform',
  xavier_normal: 'Xavier normal',
  normal: 'Normal (std)',
  torch_default: "PyTorch Linear default",
};

export function defaultLayer(type: LayerType, units = 256): LayerSpec {
  switch (type) {
    case 'linear':
      return { type, units, bias: true };
    case 'batchnorm1d':
      return { type, eps: 1e-5, momentum: 0.1 };
    case 'dropout':
      return { type, p: 0.5 };
    case 'leaky_relu':
      return { type, negativeSlope: 0.01 };
    default:
      return { type } as LayerSpec;
  }
}

/** Width of the Linear layer before `index` (what a new BatchNorm there would normalise). */
function widthBefore(layers: readonly LayerSpec[], index: number): number {
  for (let i = index - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (l.type === 'linear') return l.units;
  }
  return 256;
}

export function insertLayer(spec: ModelSpec, index: number, type: LayerType): ModelSpec {
  const layers = spec.layers.slice();
  const at = Math.max(0, Math.min(index, layers.length));
  layers.splice(at, 0, defaultLayer(type, type === 'linear' ? widthBefore(layers, at) : 256));
  return { ...spec, preset: undefined, layers };
}

export function removeLayer(spec: ModelSpec, index: number): ModelSpec {
  if (spec.layers.length <= 1) return spec;
  return { ...spec, preset: undefined, layers: spec.layers.filter((_, i) => i !== index) };
}

/** Moves the layer at `from` to `to` (positions in the resulting list). */
export function moveLayer(spec: ModelSpec, from: number, to: number): ModelSpec {
  if (from === to || from < 0 || to < 0 || from >= spec.layers.length || to >= spec.layers.length) return spec;
  const layers = spec.layers.slice();
  const [layer] = layers.splice(from, 1);
  layers.splice(to, 0, layer!);
  return { ...spec, preset: undefined, layers };
}

export function updateLayer(spec: ModelSpec, index: number, patch: Partial<LayerSpec>): ModelSpec {
  const layers = spec.layers.slice();
  const current = layers[index];
  if (!current) return spec;
  if (patch.type && patch.type !== current.type) layers[index] = defaultLayer(patch.type);
  else layers[index] = { ...current, ...patch } as LayerSpec;
  return { ...spec, preset: undefined, layers };
}

/** The editor's live check: parameter count and shapes, or the one message to show. */
export function checkModel(
  spec: ModelSpec,
  inputShape: readonly number[],
  numClasses: number,
): { ok: true; description: ModelDescription } | { ok: false; message: string; layer: number | null } {
  try {
    return { ok: true, description: describeModel(spec, inputShape, numClasses) };
  } catch (error) {
    const details = error instanceof ApiError ? (error.details as { layer?: number } | undefined) : undefined;
    return { ok: false, message: (error as Error).message, layer: typeof details?.layer === 'number' ? details.layer : null };
  }
}

/** "Linear 256 · BN · ReLU · Dropout 0.5 · …" for lists. */
export function layerSummary(spec: ModelSpec): string {
  return spec.layers
    .filter((l) => l.type !== 'flatten')
    .map((l) => {
      switch (l.type) {
        case 'linear':
          return String(l.units);
        case 'batchnorm1d':
          return 'BN';
        case 'dropout':
          return `Drop ${l.p}`;
        case 'relu':
          return 'ReLU';
        case 'leaky_relu':
          return 'LReLU';
        default:
          return l.type.toUpperCase();
      }
    })
    .join(' · ');
}
