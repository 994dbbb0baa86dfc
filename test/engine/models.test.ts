import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { describeModel, presetModel, withNumClasses, PRESET_NAMES } from '../../shared/models';

const MNIST: [number, number, number] = [28, 28, 1];

describe('presets', () => {
  it('match the notebook build() parameter counts', () => {
    // torch: sum(p.numel() for p in build(kind).parameters())
    const plain = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10;
    expect(describeModel(presetModel('plain'), MNIST, 10).totalParams).toBe(plain);
    expect(describeModel(presetModel('drop'), MNIST, 10).totalParams).toBe(plain);
    expect(describeModel(presetModel('bn'), MNIST, 10).totalParams).toBe(plain + 2 * (256 + 256));
    expect(describeModel(presetModel('both'), MNIST, 10).totalParams).toBe(plain + 2 * (256 + 256));
    const five = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10 + 2 * (512 + 512 + 256 + 256);
    expect(describeModel(presetModel('five'), MNIST, 10).totalParams).toBe(five);
    expect(describeModel(presetModel('shl'), MNIST, 10).totalParams).toBe(784 * 256 + 256 + 2 * 256 + 256 * 10 + 10);
  });

  it('have the notebook layer order', () => {
    expect(presetModel('both').layers.map((l) => l.type)).toEqual([
      'flatten', 'linear', 'batchnorm1d', 'relu', 'dropout', 'linear', 'batchnorm1d', 'relu', 'linear',
    ]);
    expect(presetModel('five').layers.filter((l) => l.type === 'dropout')).toHaveLength(3);
    expect(presetModel('drop').layers.map((l) => l.type)).toEqual(['flatten', 'linear', 'relu', 'dropout', 'linear', 'relu', 'linear']);
  });

  it('take the class count', () => {
    for (const name of PRESET_NAMES) {
      const d = describeModel(presetModel(name, 26), [28, 28, 1], 26);
      expect(d.layers.at(-1)!.outputShape).toEqual([26]);
    }
    expect(describeModel(withNumClasses(presetModel('bn'), 3), [8, 8, 3], 3).inputFeatures).toBe(192);
  });
});

describe('describeModel', () => {
  it('reports shapes and labels per layer', () => {
    const d = describeModel(presetModel('bn'), MNIST, 10);
    expect(d.layers[0]).toMatchObject({ label: 'Flatten', outputShape: [784], params: 0 });
    expect(d.layers[1]).toMatchObject({ label: 'Linear(784, 256)', outputShape: [256], params: 784 * 256 + 256 });
    expect(d.layers[2]).toMatchObject({ label: 'BatchNorm1d(256)', params: 512 });
  });

  const bad = (layers: unknown[], classes = 10) => {
    try {
      describeModel({ layers } as never, MNIST, classes);
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('invalid_argument');
      return (error as ApiError).message;
    }
    throw new Error('expected an error');
  };

  it('refuses specs that cannot be built, naming the problem', () => {
    expect(bad([{ type: 'flatten' }, { type: 'linear', units: 7 }])).toMatch(/last Linear layer \(layer 2\) has 7 units but the data set has 10 classes/);
    expect(bad([{ type: 'linear', units: 10 }])).toMatch(/layer 1 \(Linear\) needs a flat input but gets 28×28×1 images: add a Flatten/);
    expect(bad([{ type: 'batchnorm1d' }, { type: 'flatten' }, { type: 'linear', units: 10 }])).toMatch(/layer 1 \(BatchNorm1d\) has nothing to normalise/);
    expect(bad([{ type: 'relu' }, { type: 'batchnorm1d' }, { type: 'flatten' }, { type: 'linear', units: 10 }])).toMatch(/layer 2 \(BatchNorm1d\) needs a flat input/);
    expect(bad([{ type: 'flatten' }, { type: 'relu' }])).toMatch(/no Linear layer/);
    expect(bad([{ type: 'relu' }])).toMatch(/must end with a Flatten and a Linear layer of 10 units/);
    expect(bad([{ type: 'flatten' }, { type: 'linear', units: 0 }])).toMatch(/invalid model: layers\.1\.units/);
  });

  it('accepts elementwise layers before Flatten', () => {
    const d = describeModel({ layers: [{ type: 'dropout' }, { type: 'flatten' }, { type: 'linear', units: 10 }] }, MNIST, 10);
    expect(d.layers[0]!.outputShape).toEqual([28, 28, 1]);
    expect(d.totalParams).toBe(7850);
  });
});
