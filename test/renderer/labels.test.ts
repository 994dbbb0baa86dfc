import { describe, expect, it } from 'vitest';
import { importedText } from '../../renderer/src/lib/datasets';
import { sweepSubtitle } from '../../renderer/src/lib/sweepHeader';

describe('import toast', () => {
  it('writes counts with thousands separators, split into training and test', () => {
    expect(importedText({ name: 'fashion-mnist', numClasses: 10, counts: { train: 60000, test: 10000 } })).toBe(
      'Imported fashion-mnist: 60,000 training and 10,000 test images, 10 classes',
    );
  });
});

describe('sweep page subtitle', () => {
  it('says "1 epoch", and writes the subset with thousands separators', () => {
    expect(sweepSubtitle({ dataset: 'fmnist', preset: 'plain', epochs: 1, subset: 500 })).toBe('fmnist · plain · 1 epoch on 500 samples');
    expect(sweepSubtitle({ dataset: 'fmnist', preset: undefined, epochs: 3, subset: 2000 })).toBe('fmnist · custom model · 3 epochs on 2,000 samples');
    expect(sweepSubtitle({ dataset: 'fmnist', preset: 'both', epochs: 16, subset: null })).toBe('fmnist · both · 16 epochs');
  });
});
