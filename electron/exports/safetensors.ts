/**
 * A trained run's weights for PyTorch: a `.safetensors` file whose tensor names, shapes and
 * dtypes are exactly the `state_dict()` of the `nn.Sequential` that shared/pytorch.ts writes, so
 * `model.load_state_dict(load_file(path))` takes it with strict checking.
 *
 * The format (https://github.com/huggingface/safetensors, "Format"): an unsigned little-endian
 * 64-bit header size N, N bytes of JSON ({name: {dtype, shape, data_offsets: [begin, end]}} plus
 * an optional "__metadata__" map of strings), then the tensors' raw little-endian bytes, offsets
 * relative to the end of the header. Written by hand because it is those three parts and nothing
 * else; the npm packages that read and write it pull in a full tensor runtime or are unmaintained.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so
 * readers that map the file can view the tensors in place.
 *
 * Names follow the engine, which already keeps PyTorch's (`<layer index>.weight`, `.bias`,
 * `.running_mean`, `.running_var`); BatchNorm1d also has `num_batches_tracked` (int64, 0-dim),
 * which PyTorch counts once per training forward pass: the optimizer's step count.
 */
import type { Dataset, ModelSpec } from '../../shared/domain';
import { describeModel } from '../../shared/models';
import { ApiError } from '../../shared/errors';
import type { TrainedWeights, WeightTensor } from './model';

export interface SafeTensor {
  name: string;
  dtype: 'F32' | 'I64';
  shape: number[];
  data: Buffer;
}

/** Serialises tensors (in the given order) and string metadata as one .safetensors file. */
export function encodeSafetensors(tensors: SafeTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    const width = t.dtype === 'F32' ? 4 : 8;
    if (t.data.length !== elements * width) throw new Error(`tensor ${t.name}: ${t.data.length} bytes for shape [${t.shape.join(', ')}] ${t.dtype}`);
    if (t.name in header) throw new Error(`tensor ${t.name} twice`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, json, ...tensors.map((t) => t.data)]);
}

function f32(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, i * 4);
  return out;
}

/**
 * The state_dict of `model` (as shared/pytorch.ts writes it for `dataset`'s input shape) from a
 * checkpoint. Throws 'failed_precondition' when the checkpoint does not fit the model.
 */
export function pytorchStateDict(model: ModelSpec, dataset: Pick<Dataset, 'shape' | 'numClasses'>, weights: TrainedWeights & { steps: number }): SafeTensor[] {
  const description = describeModel(model, dataset.shape, dataset.numClasses);
  const tensors = new Map([...weights.params, ...weights.buffers].map((t) => [t.name, t]));
  const get = (name: string, count: number): WeightTensor => {
    const t = tensors.get(name);
    if (!t) throw new ApiError('failed_precondition', `the checkpoint has no tensor ${name} for this model`);
    if (t.values.length !== count) throw new ApiError('failed_precondition', `checkpoint tensor ${name} has ${t.values.length} values, the model needs ${count}`);
    return t;
  };
  const out: SafeTensor[] = [];
  const vector = (name: string, n: number) => out.push({ name, dtype: 'F32', shape: [n], data: f32(get(name, n).values) });
  let features = description.inputFeatures;
  model.layers.forEach((layer, i) => {
    if (layer.type === 'linear') {
      const t = get(`${i}.weight`, features * layer.units);
      let values = t.values;
      if (t.shape.join() === [features, layer.units].join() && features !== layer.units) {
        // Checkpoints from before the engine kept nn.Linear's [out, in] layout hold [in, out].
        values = new Float32Array(values.length);
        for (let o = 0; o < layer.units; o++) for (let k = 0; k < features; k++) values[o * features + k] = t.values[k * layer.units + o]!;
      } else if (t.shape.join() !== [layer.units, features].join()) {
        throw new ApiError('failed_precondition', `checkpoint tensor ${t.name} has shape [${t.shape.join(', ')}], expected [${layer.units}, ${features}]`);
      }
      out.push({ name: `${i}.weight`, dtype: 'F32', shape: [layer.units, features], data: f32(values) });
      if (layer.bias) vector(`${i}.bias`, layer.units);
      features = layer.units;
    } else if (layer.type === 'batchnorm1d') {
      for (const part of ['weight', 'bias', 'running_mean', 'running_var']) vector(`${i}.${part}`, features);
      const tracked = Buffer.alloc(8);
      tracked.writeBigInt64LE(BigInt(weights.steps));
      out.push({ name: `${i}.num_batches_tracked`, dtype: 'I64', shape: [], data: tracked });
    }
  });
  return out;
}

/** Python that loads the weights file beside it into `model` (appended to the model's code). */
export function pytorchLoader(fileName: string, epoch: number): string {
  return `
import json
import os
import struct

import torch


def load_safetensors(path):
    """The file's tensors by name: safetensors.torch.load_file when installed, else plain torch."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        return load_file(path)
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    header.pop("__metadata__", None)
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + size + begin : 8 + size + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


# Trained weights after epoch ${epoch}; eval() uses BatchNorm's running statistics and no dropout, as Sweeplab predicts.
model.load_state_dict(load_safetensors(os.path.join(os.path.dirname(os.path.abspath(__file__)), "${fileName}")))
model.eval()
`;
}
