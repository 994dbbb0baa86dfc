/**
 * Model presets and model description, as pure data and pure functions.
 *
 * The presets are the six models of the notebook this app grew out of, exactly as the notebook's
 * `build(kind)` makes them: Flatten, then per hidden layer
 * Linear → [BatchNorm1d] → ReLU → [Dropout(0.5)], then Linear to the classes, kaiming-uniform
 * weights. `describeModel` walks a spec over an input shape and reports each layer's output shape
 * and parameter count the way PyTorch's `model.parameters()` counts them (BatchNorm's running
 * statistics are buffers, not parameters). The UI calls it for live parameter counts and the engine
 * calls it before building, so a spec that cannot be built is refused with one clear message.
 *
 * Pure TypeScript: no tfjs, no Node (see tsconfig.shared.json).
 */
import { ModelSpec, PresetName, type LayerSpec, type ModelSpecInput } from './domain';
import { ApiError, describeIssues } from './errors';

export const PRESET_DESCRIPTIONS: Record<PresetName, string> = {
  plain: '784-256-256-C: two hidden ReLU layers',
  drop: 'plain + Dropout(0.5) after the first ReLU',
  bn: 'plain + BatchNorm1d before each ReLU',
  both: 'BatchNorm1d before each ReLU + Dropout(0.5) after the first',
  five: '512-512-256-256 with BatchNorm1d, Dropout(0.5) after the first three',
  shl: 'one hidden layer of 256 with BatchNorm1d and Dropout(0.5)',
};

export const PRESET_NAMES: readonly PresetName[] = PresetName.options;

/**
 * The preset `name` for `numClasses` outputs (10 for the MNIST family). Mirrors the notebook's
 * build(kind): widths and where BatchNorm and Dropout go.
 */
export function presetModel(name: PresetName, numClasses = 10): ModelSpec {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ApiError('invalid_argument', `a classifier needs at least 2 classes, got ${numClasses}`);
  }
  const bn = name === 'bn' || name === 'both' || name === 'five' || name === 'shl';
  const drop = name === 'drop' || name === 'both' || name === 'five' || name === 'shl';
  let widths: number[];
  let drops: boolean[];
  if (name === 'five') {
    widths = [512, 512, 256, 256];
    drops = [true, true, true, false];
  } else if (name === 'shl') {
    widths = [256];
    drops = [true];
  } else {
    widths = [256, 256];
    drops = [drop, false];
  }
  const layers: LayerSpec[] = [{ type: 'flatten' }];
  widths.forEach((units, i) => {
    layers.push({ type: 'linear', units, bias: true });
    if (bn) layers.push({ type: 'batchnorm1d', eps: 1e-5, momentum: 0.1 });
    layers.push({ type: 'relu' });
    if (drop && drops[i]) layers.push({ type: 'dropout', p: 0.5 });
  });
  layers.push({ type: 'linear', units: numClasses, bias: true });
  return { preset: name, init: { kind: 'kaiming_uniform' }, layers };
}

/** Sets the output width of a spec's last Linear layer (e.g. a 10-class preset on a 26-class set). */
export function withNumClasses(spec: ModelSpec, numClasses: number): ModelSpec {
  const layers = spec.layers.slice();
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (layer.type === 'linear') {
      layers[i] = { ...layer, units: numClasses };
      return { ...spec, layers };
    }
  }
  throw new ApiError('invalid_argument', 'the model has no Linear layer to produce class scores');
}

export interface LayerDescription {
  /** Position in `spec.layers` (= the module index of the equivalent nn.Sequential). */
  index: number;
  type: LayerSpec['type'];
  /** A short human label, e.g. "Linear(784, 256)". */
  label: string;
  /** Per-sample output shape: [h, w, c] before Flatten, [features] after. */
  outputShape: number[];
  /** Trainable parameters of this layer (PyTorch's count). */
  params: number;
}

export interface ModelDescription {
  layers: LayerDescription[];
  totalParams: number;
  /** Input features after flattening (h·w·c). */
  inputFeatures: number;
  numClasses: number;
}

const LABELS: Record<LayerSpec['type'], string> = {
  flatten: 'Flatten',
  linear: 'Linear',
  batchnorm1d: 'BatchNorm1d',
  dropout: 'Dropout',
  relu: 'ReLU',
  leaky_relu: 'LeakyReLU',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  gelu: 'GELU',
};

function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}

/**
 * Walks `spec` over per-sample input `inputShape` ([h, w, c]) and describes every layer.
 * Throws ApiError('invalid_argument') with a message naming the layer when the spec cannot be
 * built: a Linear or BatchNorm1d on an unflattened image, a BatchNorm1d with nothing before it, or
 * an output that is not one score per class.
 */
export function describeModel(
  specInput: ModelSpec | ModelSpecInput,
  inputShape: readonly [number, number, number] | readonly number[],
  numClasses: number,
): ModelDescription {
  const parsed = ModelSpec.safeParse(specInput);
  if (!parsed.success) {
    throw new ApiError('invalid_argument', `invalid model: ${describeIssues(parsed.error.issues)}`, { issues: parsed.error.issues });
  }
  const spec = parsed.data;
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ApiError('invalid_argument', `input shape must be [height, width, channels] of positive integers, got [${inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ApiError('invalid_argument', `a classifier needs at least 2 classes, got ${numClasses}`);
  }
  let shape: number[] = [...inputShape];
  const inputFeatures = shape.reduce((a, b) => a * b, 1);
  const layers: LayerDescription[] = [];
  let total = 0;
  spec.layers.forEach((layer, index) => {
    const where = `layer ${index + 1} (${LABELS[layer.type]})`;
    const flat = shape.length === 1;
    let params = 0;
    let label: string = LABELS[layer.type];
    switch (layer.type) {
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'linear': {
        if (!flat) {
          throw new ApiError(
            'invalid_argument',
            `${where} needs a flat input but gets ${shapeText(shape)} images: add a Flatten before it`,
            { layer: index },
          );
        }
        const inF = shape[0]!;
        params = inF * layer.units + (layer.bias ? layer.units : 0);
        label = `Linear(${inF}, ${layer.units}${layer.bias ? '' : ', bias=False'})`;
        shape = [layer.units];
        break;
      }
      case 'batchnorm1d':
        if (index === 0) {
          throw new ApiError('invalid_argument', `${where} has nothing to normalise: put it after a Linear layer`, { layer: index });
        }
        if (!flat) {
          throw new ApiError(
            'invalid_argument',
            `${where} needs a flat input (features) but gets ${shapeText(shape)} images: add a Flatten before it`,
            { layer: index },
          );
        }
        params = 2 * shape[0]!;
        label = `BatchNorm1d(${shape[0]})`;
        break;
      case 'dropout':
        label = `Dropout(p=${layer.p})`;
        break;
      case 'leaky_relu':
        label = `LeakyReLU(${layer.negativeSlope})`;
        break;
      default:
        break;
    }
    total += params;
    layers.push({ index, type: layer.type, label, outputShape: [...shape], params });
  });
  if (shape.length !== 1) {
    throw new ApiError(
      'invalid_argument',
      `the model ends with ${shapeText(shape)} images; it must end with a Flatten and a Linear layer of ${numClasses} units (one per class)`,
    );
  }
  if (!spec.layers.some((l) => l.type === 'linear')) {
    throw new ApiError('invalid_argument', 'the model has no Linear layer to produce class scores');
  }
  if (shape[0] !== numClasses) {
    const lastLinear = [...layers].reverse().find((l) => l.type === 'linear')!;
    throw new ApiError(
      'invalid_argument',
      `the last Linear layer (layer ${lastLinear.index + 1}) has ${shape[0]} units but the data set has ${numClasses} classes`,
      { layer: lastLinear.index, expected: numClasses, actual: shape[0] },
    );
  }
  return { layers, totalParams: total, inputFeatures, numClasses };
}
