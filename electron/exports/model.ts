/**
 * A trained run as a TF.js layers model: `model.json` (a Keras-style Sequential topology and the
 * weights manifest) and `weights.bin`, which `tf.loadLayersModel('file://…/model.json')` loads
 * and which predicts what the app's engine predicts (eval mode: BatchNorm on running statistics,
 * no dropout).
 *
 * The engine keeps its weights PyTorch-style by layer index (`<i>.weight`, `<i>.bias`,
 * `<i>.running_mean`, `<i>.running_var`), Linear weights as [out, in] like nn.Linear (older
 * checkpoints: [in, out]) and vectors as [n, 1] columns; a Keras Dense kernel is [in, out], so
 * weights are transposed where stored [out, in]. BatchNorm's momentum is converted to Keras's
 * convention (keep-rate: 1 − PyTorch's momentum); it only matters if the model is trained further.
 *
 * The model takes images of shape [batch, h, w, c] scaled to [0, 1] (pixel / 255), as the app
 * feeds them; Flatten reads them in the same row-major h, w, c order as the engine.
 */
import type { Dataset, Init, LayerSpec, ModelSpec, Run } from '../../shared/domain';
import { NORMAL_INIT_DEFAULT_STD } from '../../shared/domain';
import { describeModel } from '../../shared/models';
import { ApiError } from '../../shared/errors';

export interface WeightTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** What the export needs from a checkpoint (engine/checkpoint.ts's CheckpointData has these). */
export interface TrainedWeights {
  epoch: number;
  params: WeightTensor[];
  buffers: WeightTensor[];
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/** Keras initializers equal to PyTorch's, so re-training the exported model starts like the app does. */
function kernelInitializer(init: Init): KerasLayer {
  switch (init.kind) {
    case 'kaiming_uniform': // U(±sqrt(6/fan_in)) = VarianceScaling(2, fan_in, uniform)
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform', seed: null } };
    case 'torch_default': // U(±1/sqrt(fan_in)) = VarianceScaling(1/3, fan_in, uniform)
      return { class_name: 'VarianceScaling', config: { scale: 1 / 3, mode: 'fan_in', distribution: 'uniform', seed: null } };
    case 'xavier_uniform':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };
    // Keras's 'normal' variance scaling is a truncated normal: close to, not exactly, PyTorch's.
    case 'kaiming_normal':
      return { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null } };
    case 'xavier_normal':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } };
    case 'normal':
      return { class_name: 'RandomNormal', config: { mean: 0, stddev: init.std ?? NORMAL_INIT_DEFAULT_STD, seed: null } };
  }
}

const ACTIVATION: Partial<Record<LayerSpec['type'], string>> = { relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', gelu: 'gelu' };

export interface TfjsExport {
  modelJson: string;
  weightsBin: Buffer;
}

/**
 * Builds model.json and weights.bin for `model` trained on `dataset` with `weights`.
 * Throws 'failed_precondition' when the checkpoint does not fit the model.
 */
export function toTfjs(run: Pick<Run, 'id' | 'name' | 'model'>, dataset: Dataset, weights: TrainedWeights, generatedBy: string): TfjsExport {
  const model: ModelSpec = run.model;
  const description = describeModel(model, dataset.shape, dataset.numClasses);
  const tensors = new Map([...weights.params, ...weights.buffers].map((t) => [t.name, t]));
  const squeeze = (shape: number[]) => shape.filter((d) => d !== 1);
  const sameShape = (a: number[], b: number[]) => squeeze(a).join() === squeeze(b).join();
  const get = (name: string, size: number, want: number[]): WeightTensor => {
    const t = tensors.get(name);
    if (!t) throw new ApiError('failed_precondition', `the checkpoint has no tensor ${name} for this model`);
    if (t.values.length !== size) {
      throw new ApiError('failed_precondition', `checkpoint tensor ${name} has ${t.values.length} values, the model needs [${want.join(', ')}]`);
    }
    return t;
  };

  /** A vector (bias, BatchNorm): any shape with these many values in order ([n], [n, 1], [1, n]). */
  const vector = (name: string, n: number): WeightTensor => {
    const t = get(name, n, [n]);
    if (!sameShape(t.shape, [n])) throw new ApiError('failed_precondition', `checkpoint tensor ${name} has shape [${t.shape.join(', ')}], the model needs ${n} values`);
    return { name, shape: [n], values: t.values };
  };

  /** A Dense kernel [in, out] from the checkpoint's weight, which the engine stores [out, in] as PyTorch does. */
  const kernel = (name: string, inF: number, outF: number): WeightTensor => {
    const t = get(name, inF * outF, [outF, inF]);
    if (t.shape.join() !== [outF, inF].join()) {
      throw new ApiError('failed_precondition', `checkpoint tensor ${name} has shape [${t.shape.join(', ')}], expected [${outF}, ${inF}]`);
    }
    const out = new Float32Array(inF * outF);
    for (let o = 0; o < outF; o++) for (let k = 0; k < inF; k++) out[k * outF + o] = t.values[o * inF + k]!;
    return { name, shape: [inF, outF], values: out };
  };

  const layers: KerasLayer[] = [];
  const manifest: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const blobs: Float32Array[] = [];
  // Keras orders a model's weights trainable first, then non-trainable (BatchNorm's moving
  // statistics); tfjs matches them by name, but keeping Keras's order makes the file conventional.
  const trailing: { name: string; shape: number[]; values: Float32Array }[] = [];
  const addWeight = (name: string, t: WeightTensor, trainable = true) => {
    if (trainable) {
      manifest.push({ name, shape: t.shape, dtype: 'float32' });
      blobs.push(t.values);
    } else trailing.push({ name, shape: t.shape, values: t.values });
  };

  let features = description.inputFeatures;
  model.layers.forEach((layer, i) => {
    const base: Record<string, unknown> = { trainable: true };
    if (i === 0) Object.assign(base, { batch_input_shape: [null, ...dataset.shape], dtype: 'float32' });
    switch (layer.type) {
      case 'flatten': {
        layers.push({ class_name: 'Flatten', config: { ...base, name: `flatten_${i}` } });
        break;
      }
      case 'linear': {
        const name = `dense_${i}`;
        const bound = 1 / Math.sqrt(features);
        layers.push({
          class_name: 'Dense',
          config: {
            ...base,
            name,
            units: layer.units,
            activation: 'linear',
            use_bias: layer.bias,
            kernel_initializer: kernelInitializer(layer.init ?? model.init),
            // PyTorch's Linear bias: U(±1/sqrt(fan_in)).
            bias_initializer: { class_name: 'RandomUniform', config: { minval: -bound, maxval: bound, seed: null } },
            kernel_regularizer: null,
            bias_regularizer: null,
            activity_regularizer: null,
            kernel_constraint: null,
            bias_constraint: null,
          },
        });
        addWeight(`${name}/kernel`, kernel(`${i}.weight`, features, layer.units));
        if (layer.bias) addWeight(`${name}/bias`, vector(`${i}.bias`, layer.units));
        features = layer.units;
        break;
      }
      case 'batchnorm1d': {
        const name = `batch_normalization_${i}`;
        layers.push({
          class_name: 'BatchNormalization',
          config: {
            ...base,
            name,
            axis: -1,
            // Keras: moving = momentum·moving + (1 − momentum)·batch; PyTorch's momentum is the other weight.
            momentum: 1 - layer.momentum,
            epsilon: layer.eps,
            center: true,
            scale: true,
            beta_initializer: { class_name: 'Zeros', config: {} },
            gamma_initializer: { class_name: 'Ones', config: {} },
            moving_mean_initializer: { class_name: 'Zeros', config: {} },
            moving_variance_initializer: { class_name: 'Ones', config: {} },
            beta_regularizer: null,
            gamma_regularizer: null,
            beta_constraint: null,
            gamma_constraint: null,
          },
        });
        addWeight(`${name}/gamma`, vector(`${i}.weight`, features));
        addWeight(`${name}/beta`, vector(`${i}.bias`, features));
        addWeight(`${name}/moving_mean`, vector(`${i}.running_mean`, features), false);
        addWeight(`${name}/moving_variance`, vector(`${i}.running_var`, features), false);
        break;
      }
      case 'dropout':
        layers.push({ class_name: 'Dropout', config: { ...base, name: `dropout_${i}`, rate: layer.p, noise_shape: null, seed: null } });
        break;
      case 'leaky_relu':
        layers.push({ class_name: 'LeakyReLU', config: { ...base, name: `leaky_re_lu_${i}`, alpha: layer.negativeSlope } });
        break;
      default:
        layers.push({ class_name: 'Activation', config: { ...base, name: `activation_${i}`, activation: ACTIVATION[layer.type]! } });
    }
  });
  for (const t of trailing) {
    manifest.push({ name: t.name, shape: t.shape, dtype: 'float32' });
    blobs.push(t.values);
  }

  const total = blobs.reduce((n, b) => n + b.length, 0);
  const weightsBin = Buffer.alloc(total * 4);
  let offset = 0;
  for (const b of blobs) {
    // Little-endian float32, as tfjs reads weights.bin on every platform.
    for (let k = 0; k < b.length; k++) weightsBin.writeFloatLE(b[k]!, (offset + k) * 4);
    offset += b.length;
  }

  const modelJson = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: `sweeplab_${run.id}`, layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: manifest }],
    userDefinedMetadata: {
      sweeplab: {
        runId: run.id,
        runName: run.name,
        epoch: weights.epoch,
        dataset: { name: dataset.name, checksum: dataset.checksum, shape: dataset.shape, classNames: dataset.classNames },
        input: 'float32 images [batch, height, width, channels], pixel values divided by 255',
        output: 'class scores (logits): apply softmax for probabilities',
        parameters: description.totalParams,
      },
    },
  };
  return { modelJson: `${JSON.stringify(modelJson, null, 1)}\n`, weightsBin };
}
