/** Divergence beyond NaN: finite explosions and collapses to chance end a run as diverged. */
import { describe, expect, it } from 'vitest';
import { chanceAccuracy, explosion } from '../../electron/engine/divergence';
import { train } from '../../electron/engine/train';
import { ModelSpec, TrainConfig } from '../../shared/domain';
import { blobs } from './helpers';

describe('explosion', () => {
  const ln10 = Math.log(10);
  it('catches a loss far above the untrained loss (lr 50: 8.6e20)', () => {
    expect(explosion(1, [8.6e20], 10, null, 0.1)).toBe('epoch 1: the training loss exploded to 8.6e+20 (over 20 × the untrained loss ln 10 = 2.30)');
    expect(explosion(1, [20 * ln10 + 0.01], 10, 0.5, 0.1)).toMatch(/exploded/);
    expect(explosion(1, [20 * ln10 - 0.01], 10, 0.5, 0.1)).toBeNull();
  });
  it('catches accuracy at chance after an explosion, not an ordinary slow start', () => {
    // SGD lr 2, no clipping: a big loss in epoch 1, then 2.3 at 10 % accuracy.
    expect(explosion(2, [9, 2.303], 10, 0.1, 0.1)).toBe('epoch 2: validation accuracy 10.0% is at chance after the training loss exploded to 9.000 at epoch 1');
    expect(explosion(2, [2.5, 2.303], 10, 0.1, 0.1)).toBeNull(); // never exploded: not learning yet, not diverged
    expect(explosion(2, [9, 1.2], 10, 0.6, 0.1)).toBeNull(); // exploded, but recovered
    expect(explosion(3, [Number.NaN], 10, null, 0.1)).toBe('epoch 3: the training loss became NaN');
  });
  it('takes chance as the most common class', () => {
    expect(chanceAccuracy(new Uint8Array([0, 0, 0, 1]), 2)).toBe(0.75);
    expect(chanceAccuracy(new Uint8Array([0, 1, 2, 3]), 4)).toBe(0.25);
  });
});

describe('train', () => {
  it('stops an exploding run as diverged, keeping the epoch that shows it', async () => {
    const data = blobs({ train: 256, test: 64, classes: 4, seed: 3 });
    const model = ModelSpec.parse({ layers: [{ type: 'flatten' }, { type: 'linear', units: 32 }, { type: 'relu' }, { type: 'linear', units: 32 }, { type: 'relu' }, { type: 'linear', units: 4 }] });
    const config = TrainConfig.parse({ lr: 2, optimizer: 'sgd', epochs: 4, batchSize: 32, backend: 'cpu' });
    const result = await train({ model, config, data });
    expect(result.status).toBe('diverged');
    // Finite all along: before this rule the run "completed" at a loss in the thousands.
    expect(result.error).toMatch(/^epoch 1: the training loss exploded to [\d.e+]+ \(over 20 × the untrained loss ln 4 = 1.39\)$/);
    expect(result.epochs).toHaveLength(1);
    expect(result.epochs[0]!.loss).toBeGreaterThan(20 * Math.log(4));
    expect(result.lastEpoch).toBe(1);
  });
});
