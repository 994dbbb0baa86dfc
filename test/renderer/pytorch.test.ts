import { describe, expect, it } from 'vitest';
import { fromPyTorch, toPyTorch } from '../../shared/pytorch';
import { PRESET_NAMES, presetModel } from '../../shared/models';
import { ModelSpec } from '../../shared/domain';
import { ApiError } from '../../shared/errors';

// Printed exactly as PyTorch 2.x prints these modules (print(model)).
const BOTH_REPR = `Sequential(
  (0): Flatten(start_dim=1, end_dim=-1)
  (1): Linear(in_features=784, out_features=256, bias=True)
  (2): BatchNorm1d(256, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (3): ReLU()
  (4): Dropout(p=0.5, inplace=False)
  (5): Linear(in_features=256, out_features=256, bias=True)
  (6): BatchNorm1d(256, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (7): ReLU()
  (8): Linear(in_features=256, out_features=10, bias=True)
)`;

const NOTEBOOK_CLASS_REPR = `Net(
  (net): Sequential(
    (0): Flatten(start_dim=1, end_dim=-1)
    (1): Linear(in_features=784, out_features=128, bias=False)
    (2): LeakyReLU(negative_slope=0.2)
    (3): Dropout(p=0.25, inplace=False)
    (4): Linear(in_features=128, out_features=64, bias=True)
    (5): GELU(approximate='none')
    (6): Linear(in_features=64, out_features=26, bias=True)
    (7): LogSoftmax(dim=1)
  )
)`;

describe('toPyTorch / fromPyTorch', () => {
  it.each(PRESET_NAMES)('round-trips the %s preset through code', (name) => {
    const spec = presetModel(name, 10);
    const code = toPyTorch(spec, [28, 28, 1]);
    expect(code).toContain('nn.Sequential(');
    expect(code).toContain('nn.init.kaiming_uniform_(m.weight)');
    const back = fromPyTorch(code);
    expect(back.model).toEqual(ModelSpec.parse(spec));
    expect(back.model.preset).toBe(name);
    expect(back.inputFeatures).toBe(784);
  });

  it('writes the layers PyTorch needs, with in_features from the input shape', () => {
    const code = toPyTorch(presetModel('both'), [28, 28, 1]);
    expect(code).toBe(`import torch.nn as nn

model = nn.Sequential(
    nn.Flatten(),
    nn.Linear(784, 256),
    nn.BatchNorm1d(256),
    nn.ReLU(),
    nn.Dropout(p=0.5),
    nn.Linear(256, 256),
    nn.BatchNorm1d(256),
    nn.ReLU(),
    nn.Linear(256, 10),
)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_uniform_(m.weight)


model.apply(init_weights)
`);
    expect(toPyTorch(presetModel('shl', 3), [32, 32, 3])).toContain('nn.Linear(3072, 256)');
  });

  it('keeps non-default options and per-layer initialisation', () => {
    const spec = ModelSpec.parse({
      init: { kind: 'xavier_uniform' },
      layers: [
        { type: 'flatten' },
        { type: 'linear', units: 64, bias: false, init: { kind: 'torch_default' } },
        { type: 'batchnorm1d', eps: 0.001, momentum: 0.01 },
        { type: 'leaky_relu', negativeSlope: 0.2 },
        { type: 'linear', units: 32, init: { kind: 'normal', std: 0.02 } },
        { type: 'tanh' },
        { type: 'linear', units: 10 },
        { type: 'sigmoid' },
      ],
    });
    const code = toPyTorch(spec);
    expect(code).toContain('import math');
    expect(code).toContain('nn.BatchNorm1d(64, eps=0.001, momentum=0.01)');
    expect(code).toContain('nn.init.kaiming_uniform_(model[1].weight, a=math.sqrt(5))');
    expect(code).toContain('nn.init.normal_(model[4].weight, std=0.02)');
    expect(fromPyTorch(code).model).toEqual(spec);
  });

  it('reads the repr PyTorch prints, multi-line', () => {
    const parsed = fromPyTorch(BOTH_REPR);
    expect(parsed.model).toEqual(presetModel('both', 10));
    expect(parsed.inputFeatures).toBe(784);
    expect(parsed.notes.join(' ')).toMatch(/does not say how its weights were initialised/);
  });

  it('reads a repr pasted onto one line, as copied from some notebook viewers', () => {
    expect(fromPyTorch(BOTH_REPR.replace(/\s*\n\s*/g, ' ')).model).toEqual(presetModel('both', 10));
  });

  it('reads a custom module repr with a nested Sequential and drops a final LogSoftmax', () => {
    const parsed = fromPyTorch(NOTEBOOK_CLASS_REPR, { defaultInit: { kind: 'xavier_normal' } });
    expect(parsed.model.init).toEqual({ kind: 'xavier_normal' });
    expect(parsed.model.layers).toEqual([
      { type: 'flatten' },
      { type: 'linear', units: 128, bias: false },
      { type: 'leaky_relu', negativeSlope: 0.2 },
      { type: 'dropout', p: 0.25 },
      { type: 'linear', units: 64, bias: true },
      { type: 'gelu' },
      { type: 'linear', units: 26, bias: true },
    ]);
    expect(parsed.model.preset).toBeUndefined();
    expect(parsed.notes.join(' ')).toMatch(/Dropped the final LogSoftmax/);
  });

  it('reads code the way notebooks write it: torch.nn prefixes, defaults, init loop over modules', () => {
    const code = `
import torch
from torch import nn
model = torch.nn.Sequential(
    nn.Flatten(),
    nn.Linear(784, 256),  # hidden
    nn.ReLU(inplace=True),
    nn.Dropout(),
    nn.Linear(in_features=256, out_features=10),
)
for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight)
`;
    const parsed = fromPyTorch(code);
    expect(parsed.model).toEqual(
      ModelSpec.parse({
        init: { kind: 'kaiming_normal' },
        layers: [{ type: 'flatten' }, { type: 'linear', units: 256 }, { type: 'relu' }, { type: 'dropout', p: 0.5 }, { type: 'linear', units: 10 }],
      }),
    );
  });

  it("uses nn.Linear's own initialisation when code has no nn.init call", () => {
    const parsed = fromPyTorch('nn.Sequential(nn.Flatten(), nn.Linear(784, 10))');
    expect(parsed.model.init).toEqual({ kind: 'torch_default' });
  });

  it('adds a Flatten when the model starts with Linear', () => {
    const parsed = fromPyTorch('nn.Sequential(nn.Linear(784, 10))');
    expect(parsed.model.layers[0]).toEqual({ type: 'flatten' });
    expect(parsed.notes.join(' ')).toMatch(/Added a Flatten/);
  });

  const refuse = (text: string) => {
    try {
      fromPyTorch(text);
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      return (error as ApiError).message;
    }
    throw new Error('expected a refusal');
  };

  it('refuses convolutions with the layer named', () => {
    const message = refuse(`Sequential(
  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))
  (1): ReLU()
  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  (3): Flatten(start_dim=1, end_dim=-1)
  (4): Linear(in_features=1352, out_features=10, bias=True)
)`);
    expect(message).toBe('layer 1 (Conv2d) is not supported: Sweeplab builds fully connected stacks of Flatten, Linear, BatchNorm1d, Dropout, ReLU, LeakyReLU, Tanh, Sigmoid, GELU');
  });

  it('refuses layers whose sizes do not chain', () => {
    expect(refuse('nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(128, 10))')).toBe(
      'layer 4 (Linear) takes 128 inputs but the layer before it gives 256',
    );
    expect(refuse('nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.BatchNorm1d(128), nn.Linear(256, 10))')).toMatch(
      /normalises 128 features but the layer before it gives 256/,
    );
  });

  it('reads arithmetic in arguments as notebooks write it', () => {
    const pasted = fromPyTorch(`nn.Sequential(
      nn.Flatten(),
      nn.Linear(28*28, 256),
      nn.ReLU(),
      nn.Linear(256, 2**7),
      nn.Dropout(p=1/4),
      nn.LeakyReLU(negative_slope=-(-0.1)),
      nn.Linear(128, (10 + 6) // 2 - 3),
    )`);
    expect(pasted.inputFeatures).toBe(784);
    expect(pasted.model.layers).toEqual([
      { type: 'flatten' },
      expect.objectContaining({ type: 'linear', units: 256 }),
      { type: 'relu' },
      expect.objectContaining({ type: 'linear', units: 128 }),
      { type: 'dropout', p: 0.25 },
      { type: 'leaky_relu', negativeSlope: 0.1 },
      expect.objectContaining({ type: 'linear', units: 5 }),
    ]);
    // Precedence as in Python: 2 + 3 * 4 = 14, -2 ** 2 = -4 (so this chain breaks at 14 vs 12).
    expect(refuse('nn.Sequential(nn.Linear(10, 2 + 3 * 4), nn.Linear(12, 10))')).toMatch(/takes 12 inputs but the layer before it gives 14/);
    // Names from the notebook cannot be known: say so, not "a loop".
    const named = refuse('nn.Sequential(nn.Flatten(), nn.Linear(in_f * 2, 10))');
    expect(named).toMatch(/in_f \* 2/);
    expect(named).not.toMatch(/loop/);
  });

  it('refuses what it cannot build or read, in words', () => {
    expect(refuse('')).toMatch(/Nothing to read/);
    expect(refuse('nn.Sequential(*layers)')).toMatch(/in a loop \(`\*layers`\)/);
    expect(refuse('nn.Sequential(nn.Flatten(), *blocks, nn.Linear(784, 10))')).toMatch(/in a loop/);
    expect(refuse('nn.Sequential(nn.Flatten(), nn.Linear(784, 10)')).toMatch(/never closed/);
    expect(refuse('nn.Sequential(nn.BatchNorm1d(10, affine=False))')).toMatch(/affine=False is not supported/);
    expect(refuse('nn.Sequential(nn.GELU(approximate="tanh"))')).toMatch(/exact GELU/);
    expect(refuse('hello world')).toMatch(/Paste nn.Sequential/);
  });
});
