import { describe, expect, it } from 'vitest';
import { importedText } from '../../renderer/src/lib/datasets';

describe('import toast', () => {
  it('writes counts with thousands separators, split into training and test', () => {
    expect(importedText({ name: 'fashion-mnist', numClasses: 10, counts: { train: 60000, test: 10000 } })).toBe(
      'Imported fashion-mnist: 60,000 training and 10,000 test images, 10 classes',
    );
  });
});
