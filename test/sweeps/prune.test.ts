import { describe, expect, it } from 'vitest';
import { ashaRungs, expectedEpochs, hyperbandBands, pruneDecision, quantile, type PruneTrial } from '../../electron/sweeps/prune';
import { PruneSpec, type PruneSpec as Rule } from '../../shared/domain';

/**
 * Plays trials epoch by epoch, round robin in the order given (every trial's epoch 1, then every
 * live trial's epoch 2, …), asking the rule after each stored epoch, as the scheduler does when an
 * epoch arrives. `done` trials are completed before the others start. Returns where each stopped.
 */
function play(rule: Rule, epochs: number, curves: Record<string, number[]>, done: Record<string, number[]> = {}) {
  const trials = new Map<string, PruneTrial & { values: number[] }>();
  for (const [id, values] of Object.entries(done)) trials.set(id, { id, completed: true, values: [...values] });
  const live = Object.keys(curves);
  for (const id of live) trials.set(id, { id, completed: false, values: [] });
  const stopped: Record<string, { epoch: number; reason: string }> = {};
  for (let e = 1; e <= epochs; e++) {
    for (const id of live) {
      if (stopped[id]) continue;
      const t = trials.get(id)!;
      t.values.push(curves[id]![e - 1]!);
      const d = pruneDecision(rule, epochs, t, [...trials.values()]);
      if (d.prune) stopped[id] = { epoch: d.epoch, reason: d.reason };
    }
  }
  return stopped;
}

const rule = (input: unknown) => PruneSpec.parse(input);

describe('ASHA', () => {
  it('places rungs at grace·eta^k below the last epoch', () => {
    expect(ashaRungs(1, 3, 16)).toEqual([1, 3, 9]);
    expect(ashaRungs(2, 3, 16)).toEqual([2, 6]);
    expect(ashaRungs(1, 2, 8)).toEqual([1, 2, 4]);
  });

  it('interpolates quantiles as numpy.percentile', () => {
    expect(quantile([0.4, 0.5], 2 / 3)).toBeCloseTo(0.466667, 6);
    expect(quantile([0.3, 0.4, 0.45, 0.5], 2 / 3)).toBeCloseTo(0.45, 12);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
  });

  it('stops the trials below the top 1/eta of their rung (hand-worked: B and C at epoch 1, D at epoch 3)', () => {
    // Rungs 1 and 3 (grace 1, eta 3, 9 epochs). Epoch 1: A alone on the rung goes on; B (0.40) is
    // below the 2/3 quantile of {0.40, 0.50} = 0.4667; C (0.30) below that of {0.30, 0.40, 0.50}
    // = 0.4333; D (0.45) equals that of {0.30, 0.40, 0.45, 0.50} = 0.45 and goes on. Epoch 3: A
    // (best 0.70) alone; D (best 0.55) below the 2/3 quantile of {0.55, 0.70} = 0.65.
    const stopped = play(rule({ rule: 'asha', grace: 1, eta: 3 }), 9, {
      A: [0.5, 0.6, 0.7, 0.72, 0.74, 0.75, 0.76, 0.77, 0.78],
      B: [0.4, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
      C: [0.3, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
      D: [0.45, 0.5, 0.55, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
    });
    expect(Object.fromEntries(Object.entries(stopped).map(([id, s]) => [id, s.epoch]))).toEqual({ B: 1, C: 1, D: 3 });
    expect(stopped.B!.reason).toBe(
      'ASHA: below the top-1/3 quantile at epoch 1: 0.400 < 0.467 (validation accuracy, best so far; 2 trials reached epoch 1)',
    );
    expect(stopped.D!.reason).toContain('at epoch 3: 0.550 < 0.650');
  });

  it('watches validation loss (lower is better) and respects max epochs', () => {
    const r = rule({ rule: 'asha', grace: 2, eta: 2, metric: { name: 'valLoss', mode: 'last' } });
    // Rungs 2 and 4 of 6. Epoch 2: A (0.8) alone; B (0.9) worse than the median 0.85 of {0.8, 0.9}.
    const stopped = play(r, 6, { A: [1, 0.8, 0.7, 0.6, 0.5, 0.4], B: [0.5, 0.9, 0.1, 0.1, 0.1, 0.1] });
    expect(stopped).toEqual({ B: { epoch: 2, reason: expect.stringContaining('epoch 2: 0.900 > 0.850 (validation loss, latest') } });
    // maxEpochs 1: the only rung is epoch 1, where B (0.5) beats A (1.0): nothing stops.
    expect(play(rule({ rule: 'asha', grace: 1, eta: 2, maxEpochs: 1, metric: { name: 'valLoss', mode: 'last' } }), 6, { A: [1, 0.8, 0.7, 0.6, 0.5, 0.4], B: [0.5, 0.9, 0.1, 0.1, 0.1, 0.1] })).toEqual({});
  });

  it('never stops a trial at its last epoch', () => {
    const t: PruneTrial = { id: 'x', completed: false, values: [0.1, 0.1, 0.1] };
    const best: PruneTrial = { id: 'y', completed: true, values: [0.9, 0.9, 0.9] };
    expect(pruneDecision(rule({ rule: 'asha', grace: 3, eta: 3 }), 3, t, [best])).toEqual({ prune: false });
  });
});

describe('median rule', () => {
  const done = { A: [0.5, 0.6, 0.7, 0.8], E: [0.4, 0.5, 0.6, 0.9] };

  it('stops a trial below the median of the completed trials at the same epoch (hand-worked: C at epoch 3)', () => {
    // Epoch 1 is warm-up. Epoch 2: median of {0.6, 0.5} = 0.55; B 0.65 and C 0.55 go on (not
    // below). Epoch 3: median of {0.7, 0.6} = 0.65; B 0.66 goes on, C (best 0.60) stops. Epoch 4 is
    // B's last: never stopped there.
    const stopped = play(rule({ rule: 'median', startupTrials: 2, warmupEpochs: 1 }), 4, {
      B: [0.4, 0.65, 0.66, 0.1],
      C: [0.45, 0.55, 0.6, 0.99],
    }, done);
    expect(stopped).toEqual({ C: { epoch: 3, reason: 'median rule: below the median of 2 completed trials at epoch 3: 0.600 < 0.650 (validation accuracy, best so far)' } });
  });

  it('waits for its startup trials and its warm-up epochs', () => {
    const curves = { B: [0.1, 0.1, 0.1, 0.1] };
    expect(play(rule({ rule: 'median', startupTrials: 3 }), 4, curves, done)).toEqual({});
    expect(play(rule({ rule: 'median', startupTrials: 2, warmupEpochs: 2 }), 4, curves, done)).toEqual({ B: expect.objectContaining({ epoch: 3 }) });
    expect(play(rule({ rule: 'median', startupTrials: 2 }), 4, curves, done)).toEqual({ B: expect.objectContaining({ epoch: 1 }) });
  });
});

describe('Hyperband bands', () => {
  it('places bands from min_iter, or from max_iter and s, as W&B', () => {
    expect(hyperbandBands(rule({ rule: 'hyperband', minIter: 1, eta: 2 }) as never, 6)).toEqual([1, 2, 4]);
    expect(hyperbandBands(rule({ rule: 'hyperband', minIter: 2, eta: 3 }) as never, 16)).toEqual([2, 6]);
    expect(hyperbandBands(rule({ rule: 'hyperband', maxIter: 27, s: 3, eta: 3 }) as never, 30)).toEqual([1, 3, 9]);
    expect(hyperbandBands(rule({ rule: 'hyperband', maxIter: 5, s: 2, eta: 2 }) as never, 5)).toEqual([1, 2]);
  });

  // Validation loss (lower is better), bands 1, 2, 4 of 6 epochs, eta 2: the threshold at a band is
  // the ⌊n/2⌋-th best loss there (0-based) over the n trials that reached it.
  const curves = {
    A: [1.0, 0.8, 0.6, 0.5, 0.4, 0.3],
    B: [1.2, 0.9, 0.85, 0.82, 0.81, 0.8],
    C: [0.9, 0.95, 0.7, 0.6, 0.55, 0.5],
  };
  const hb = (strict: boolean) => rule({ rule: 'hyperband', minIter: 1, eta: 2, strict, metric: { name: 'valLoss', mode: 'last' } });

  it('hand-worked, not strict: B stops at epoch 5 (best 0.81 worse than band 4\'s threshold 0.6)', () => {
    // Band 4 losses {A 0.5, B 0.82, C 0.6}: threshold 0.6. At epoch 4 B is judged before C
    // reached band 4 ({0.5, 0.82}: threshold 0.82, B goes on); at epoch 5 against all three.
    const stopped = play(hb(false), 6, curves);
    expect(stopped).toEqual({ B: { epoch: 5, reason: expect.stringContaining('band 4 at epoch 5: 0.810 > 0.600 (best so far; 3 trials reached epoch 4)') } });
  });

  it('hand-worked, strict: C stops at epoch 2 (its loss at band 2, 0.95, worse than 0.9)', () => {
    // Band 2 losses {A 0.8, B 0.9, C 0.95}: threshold 0.9. Not strict, C's best so far (0.9) is
    // not worse; strict, its value at the band (0.95) is. B's value at band 4 (0.82) is never
    // worse than the threshold once C is gone ({0.5, 0.82}: 0.82).
    expect(play(hb(true), 6, curves)).toEqual({ C: { epoch: 2, reason: expect.stringContaining('band 2 at epoch 2: 0.950 > 0.900 (value at the band') } });
  });
});

describe('launch estimate', () => {
  it('keeps 1/eta of the trials past each rung', () => {
    // 27 trials, rungs 1, 3, 9 of 16 epochs: 27·1 + 9·2 + 3·6 + 1·7 = 70.
    expect(expectedEpochs(rule({ rule: 'asha', grace: 1, eta: 3 }), 27, 16)).toBe(70);
    expect(expectedEpochs(undefined, 27, 16)).toBe(432);
    // Median: 5 startup trials in full, the other 5 stopped half the time after the warm-up epoch.
    expect(expectedEpochs(rule({ rule: 'median', startupTrials: 5, warmupEpochs: 1 }), 10, 10)).toBe(50 + 30);
  });
});
