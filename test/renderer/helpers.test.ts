import { describe, expect, it } from 'vitest';
import { logspace, lrValues, parseNumberList, trialCount } from '../../renderer/src/lib/axes';
import { cumulativeSeconds, groupBand, meanStd, smooth } from '../../renderer/src/lib/series';
import { activeFilterCount, dayBound, emptyFilters, filterProblems, parseTags, toRunFilter } from '../../renderer/src/lib/history';
import { pagesFor, pagesToEvict, visibleWindow } from '../../renderer/src/lib/virtual';
import { BROWSER_SHORTCUTS, matchShortcut, startsSequence, type KeyLike } from '../../renderer/src/lib/shortcuts';
import { cleanRelativePath, importRoot, uploadHeaders, uploadSessionId } from '../../renderer/src/lib/upload';
import { mergeEpoch } from '../../renderer/src/lib/epochs';
import { compact, count, duration, hyper, relativeTime } from '../../renderer/src/lib/format';
import { runEta, runProgress } from '../../renderer/src/lib/live';
import { sweepEnded, sweepEndMessage } from '../../renderer/src/lib/notify';
import { progressFraction, progressText } from '../../renderer/src/lib/datasets';
import { groupKey, overfitRows, parseIds } from '../../renderer/src/lib/compare';
import type { EpochMetrics, Run } from '../../shared/domain';
import { TrainConfig } from '../../shared/domain';
import { presetModel } from '../../shared/models';

export const ep = (epoch: number, valAcc: number, extra: Partial<EpochMetrics> = {}): EpochMetrics => ({
  epoch, loss: 1 / epoch, trainAcc: valAcc + 0.05, valAcc, valLoss: 0.5, seconds: 2, gradNormMean: 1, gradNormMax: 2, clippedFraction: 0.1, ...extra,
});

export function runRecord(overrides: Partial<Run> & { lr?: number; clip?: number | null } = {}): Run {
  const { lr = 0.001, clip = 1.5, ...rest } = overrides;
  return {
    id: 'r1', name: 'run', datasetId: 'd1', datasetName: 'KMNIST', model: presetModel('both'),
    config: TrainConfig.parse({ lr, clipNorm: clip, epochs: 4 }), status: 'completed', error: null, backend: 'wasm',
    sweepId: null, cellId: null, epochsDone: 4, bestValAcc: 0.9, bestEpoch: 4, lastValAcc: 0.9, lastTrainAcc: 0.95,
    starred: false, tags: [], notes: '', createdAt: '2025-01-01T00:00:00.000Z', startedAt: null, finishedAt: null, ...rest,
  };
}

describe('axes', () => {
  it('log-spaces like numpy.logspace, ends included and rounded as typed', () => {
    expect(logspace(0.0001, 0.1, 4)).toEqual([0.0001, 0.001, 0.01, 0.1]);
    expect(logspace(0.001, 0.1, 3)).toEqual([0.001, 0.01, 0.1]);
    expect(logspace(0.5, 0.5, 1)).toEqual([0.5]);
    expect(logspace(1e-4, 1e-1, 7)[1]).toBe(0.000316228);
    expect(logspace(0, 1, 3)).toEqual([]);
    expect(lrValues({ range: { min: 0.001, max: 0.1, points: 3 } })).toEqual([0.001, 0.01, 0.1]);
    expect(lrValues({ values: [0.1, 0.01] })).toEqual([0.1, 0.01]);
  });

  it('parses typed lists with none, duplicates and errors', () => {
    expect(parseNumberList('0.1, 0.5 1;1.5, none', { allowNone: true })).toEqual({ values: [0.1, 0.5, 1, 1.5, null], error: null });
    expect(parseNumberList('0.1 0.1 2').values).toEqual([0.1, 2]);
    expect(parseNumberList('0.1, abc').error).toBe('"abc" is not a number');
    expect(parseNumberList('0, 1', { min: 0, exclusiveMin: true }).error).toBe('0 must be greater than 0');
    expect(parseNumberList('  ').error).toBe('Enter at least one value');
    expect(parseNumberList('1.5', { integer: true }).error).toBe('1.5 must be a whole number');
    expect(trialCount([6, 7], 3)).toBe(126);
  });
});

describe('series', () => {
  it('smooths like TensorBoard (debiased EMA)', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const s = smooth([1, 1, 1], 0.9);
    s.forEach((v) => expect(v).toBeCloseTo(1, 12));
    const t = smooth([0, 10], 0.5);
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / (1 - 0.25), 12); // (0.25·0 + 0.5·10)/0.75
  });

  it('computes cumulative time and group mean ± std epoch by epoch', () => {
    expect(cumulativeSeconds([ep(1, 0.5, { seconds: 1.5 }), ep(2, 0.6, { seconds: 2.5 })])).toEqual([1.5, 4]);
    const band = groupBand([[ep(1, 0.5), ep(2, 0.7)], [ep(1, 0.7), ep(2, 0.9), ep(3, 0.95)]], 'valAcc');
    expect(band.x).toEqual([1, 2, 3]);
    expect(band.mean[0]).toBeCloseTo(0.6, 12);
    expect(band.std[0]).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(band.n).toEqual([2, 2, 1]);
    expect(band.std[2]).toBe(0);
    const timed = groupBand([[ep(1, 0.5, { seconds: 2 })], [ep(1, 0.7, { seconds: 4 })]], 'valAcc', 0, true);
    expect(timed.x).toEqual([3]);
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1, n: 3 });
    expect(meanStd([])).toBeNull();
  });
});

describe('history filters', () => {
  it('turns the form into a RunFilter, leaving out what is empty or unreadable', () => {
    const f = { ...emptyFilters(), search: ' both ', lrMin: '0.001', lrMax: 'x', clipMax: '2', noClip: 'no' as const, tags: ['a'], preset: ['both' as const], scope: 'standalone' as const };
    expect(toRunFilter(f, 'bestValAcc', 'desc')).toEqual({
      sort: 'bestValAcc', order: 'desc', search: 'both', preset: ['both'], lrMin: 0.001, clipMax: 2, noClip: false, tags: ['a'], inSweep: false, unstartedTrials: false,
    });
    expect(filterProblems(f)).toEqual({ lr: 'not a number ≥ 0' });
    expect(filterProblems({ ...emptyFilters(), clipMin: '3', clipMax: '1', from: '2025-02-01', to: '2025-01-01' })).toEqual({ clip: 'min is above max', date: 'from is after to' });
    expect(activeFilterCount(f)).toBe(6);
    expect(activeFilterCount(emptyFilters())).toBe(0);
  });

  it('makes local-day bounds', () => {
    const from = new Date(dayBound('2025-03-04', false)!);
    const to = new Date(dayBound('2025-03-04', true)!);
    expect([from.getFullYear(), from.getMonth(), from.getDate(), from.getHours()]).toEqual([2025, 2, 4, 0]);
    expect(to.getTime() - from.getTime()).toBe(86_400_000 - 1);
    expect(dayBound('yesterday', false)).toBeUndefined();
    expect(parseTags(' a, b,,a , c ')).toEqual(['a', 'b', 'c']);
  });
});

describe('virtual list', () => {
  it('renders only the rows in view plus overscan, with spacers for the rest', () => {
    expect(visibleWindow(0, 360, 36, 10_000, 5)).toEqual({ start: 0, end: 16, before: 0, after: (10_000 - 16) * 36 });
    const w = visibleWindow(36 * 5000, 360, 36, 10_000, 5);
    expect(w.start).toBe(4995);
    expect(w.end).toBe(5016);
    expect(w.before + (w.end - w.start) * 36 + w.after).toBe(10_000 * 36);
    expect(visibleWindow(0, 500, 36, 0)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
    expect(visibleWindow(36 * 20_000, 360, 36, 100).end).toBe(100);
  });

  it('maps rows to pages and evicts the farthest pages', () => {
    expect(pagesFor(95, 130, 100)).toEqual([0, 1]);
    expect(pagesFor(0, 0, 100)).toEqual([]);
    expect(pagesToEvict([0, 1, 2, 10, 11], 10, 3).sort()).toEqual([0, 1]);
    expect(pagesToEvict(new Set([1, 2]).keys(), 1, 5)).toEqual([]);
  });
});

describe('shortcuts', () => {
  const key = (k: string, o: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, inField: false, ...o });
  it('matches Ctrl on Linux/Windows and ⌘ on macOS, as the native menu does', () => {
    expect(matchShortcut(key('1', { ctrlKey: true }), false)).toBe('nav:/datasets');
    expect(matchShortcut(key('1', { metaKey: true }), true)).toBe('nav:/datasets');
    expect(matchShortcut(key('1', { metaKey: true }), false)).toBeNull();
    expect(matchShortcut(key('n', { ctrlKey: true }), false)).toBe('nav:/runs/new');
    expect(matchShortcut(key('N', { ctrlKey: true, shiftKey: true }), false)).toBe('nav:/sweeps/new');
    expect(matchShortcut(key('o', { ctrlKey: true }), false)).toBe('nav:/datasets?import=1');
  });
  it('leaves plain keys to text fields', () => {
    expect(matchShortcut(key('/'), false)).toBe('focus-search');
    expect(matchShortcut(key('/', { inField: true }), false)).toBeNull();
    expect(matchShortcut(key('?', { shiftKey: true }), false)).toBe('help');
    expect(matchShortcut(key('Escape', { inField: true }), false)).toBe('escape');
  });
  it('in browser mode leaves Ctrl/⌘ shortcuts (new window, open file, tabs) to the browser', () => {
    const b = BROWSER_SHORTCUTS;
    for (const mac of [false, true]) {
      const mod = mac ? { metaKey: true } : { ctrlKey: true };
      for (const k of ['n', 'o', '1', '2', '3', '4', '5', '6']) expect(matchShortcut(key(k, mod), mac, b)).toBeNull();
      expect(matchShortcut(key('N', { ...mod, shiftKey: true }), mac, b)).toBeNull();
    }
    expect(b.some((s) => s.keys.includes('Mod'))).toBe(false);
    expect(matchShortcut(key('n'), false, b)).toBe('nav:/runs/new');
    expect(matchShortcut(key('N', { shiftKey: true }), false, b)).toBe('nav:/sweeps/new');
    expect(matchShortcut(key('i'), false, b)).toBe('nav:/datasets?import=1');
    expect(matchShortcut(key('n', { inField: true }), false, b)).toBeNull();
    // Two-key sequences: g, then d.
    expect(startsSequence(key('g'), b)).toBe(true);
    expect(matchShortcut(key('g'), false, b)).toBeNull();
    expect(matchShortcut(key('d'), false, b, 'g')).toBe('nav:/datasets');
    expect(matchShortcut(key('l'), false, b, 'g')).toBe('nav:/live');
    expect(matchShortcut(key('d'), false, b, null)).toBeNull();
    expect(matchShortcut(key('d', { inField: true }), false, b, 'g')).toBeNull();
  });
});

describe('uploads', () => {
  it('makes session ids the server accepts and safe relative paths', () => {
    let i = 0;
    const id = uploadSessionId(() => (i++ % 62) / 62);
    expect(id).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(id.startsWith('ABC')).toBe(true);
    expect(cleanRelativePath('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanRelativePath('kmnist\\train.gz')).toBe('kmnist/train.gz');
    expect(uploadHeaders('abcdefgh', 'k mnist/a b.gz')['x-upload-path']).toBe('k%20mnist%2Fa%20b.gz');
    expect(importRoot('/data/uploads/s', ['kmnist/a.gz', 'kmnist/b.gz'])).toBe('/data/uploads/s/kmnist');
    expect(importRoot('/data/uploads/s', ['a.gz', 'b.gz'])).toBe('/data/uploads/s');
    expect(importRoot('/data/uploads/s', ['x/a.gz', 'y/b.gz'])).toBe('/data/uploads/s');
  });
});

describe('live epochs and progress', () => {
  it('appends epochs in order and replaces them after a resume from an older checkpoint', () => {
    const a = mergeEpoch([], ep(1, 0.5));
    const b = mergeEpoch(a, ep(2, 0.6));
    expect(b.map((e) => e.epoch)).toEqual([1, 2]);
    const c = mergeEpoch(mergeEpoch(b, ep(3, 0.7)), ep(2, 0.65));
    expect(c.map((e) => [e.epoch, e.valAcc])).toEqual([[1, 0.5], [2, 0.65]]);
  });
  it('estimates time left from recent epoch times', () => {
    const run = runRecord({ status: 'running', epochsDone: 2 });
    expect(runEta(run, [ep(1, 0.5, { seconds: 3 }), ep(2, 0.6, { seconds: 5 })])).toBe(8);
    expect(runEta({ ...run, status: 'completed' }, [ep(1, 0.5)])).toBeNull();
    expect(runProgress(run, 3)).toBe(0.75);
  });
});

describe('format', () => {
  it('writes hyperparameters, durations and counts the way people read them', () => {
    expect(hyper(0.0005)).toBe('0.0005');
    expect(hyper(0.001 * 3)).toBe('0.003');
    expect(hyper(1e-7)).toBe('1e-7');
    expect(hyper(null)).toBe('none');
    expect(duration(45)).toBe('45 s');
    expect(duration(200)).toBe('3 min 20 s');
    expect(duration(3 * 3600 + 65)).toBe('3 h 01 min');
    expect(count(1234567)).toBe('1,234,567');
    expect(compact(270346)).toBe('270k');
    expect(relativeTime('2025-01-01T00:00:00Z', Date.parse('2025-01-01T00:10:00Z'))).toBe('10 min ago');
  });
});

describe('notifications and progress text', () => {
  it('notices a sweep ending only when it was seen running', () => {
    expect(sweepEnded('running', 'completed')).toBe(true);
    expect(sweepEnded('paused', 'cancelled')).toBe(true);
    expect(sweepEnded(undefined, 'completed')).toBe(false);
    expect(sweepEnded('completed', 'completed')).toBe(false);
    expect(sweepEndMessage({ name: 'S', status: 'completed', trials: { total: 10, done: 9, running: 0, failed: 1, stopped: 0 } })).toEqual({
      title: 'Sweep finished: S', body: '9 of 10 trials done, 1 failed. Open Sweeplab for the analysis.',
    });
  });
  it('words import progress', () => {
    const p = { taskId: 't', phase: 'download' as const, label: 'KMNIST', done: 1024 * 1024 * 3, total: 1024 * 1024 * 18 };
    expect(progressText(p)).toBe('Downloading 3.0 MB of 18 MB');
    expect(progressFraction(p)).toBeCloseTo(3 / 18);
    expect(progressText({ ...p, phase: 'parse', done: 12000, total: 60000 })).toBe('Reading 12,000 of 60,000');
    expect(progressFraction({ ...p, total: null })).toBeNull();
  });
});

describe('compare', () => {
  it('groups by config fields and computes the overfitting table', () => {
    const a = runRecord({ id: 'a', name: 'a', lr: 0.001 });
    const b = runRecord({ id: 'b', name: 'b', lr: 0.001 });
    const c = runRecord({ id: 'c', name: 'c', lr: 0.01, clip: null });
    expect(groupKey(c, 'clip')).toBe('no clip');
    expect(groupKey(a, 'lr')).toBe('lr 0.001');
    const epochs = {
      a: [ep(1, 0.8, { trainAcc: 0.9 }), ep(2, 0.85, { trainAcc: 1 })],
      b: [ep(1, 0.9, { trainAcc: 0.95 }), ep(2, 0.75, { trainAcc: 1 })],
      c: [ep(1, 0.6, { trainAcc: 0.6 })],
    };
    const perRun = overfitRows([a, b, c], epochs, 'none');
    expect(perRun.map((r) => [r.label, r.ratio, r.bestEpoch])).toEqual([['a', 0.85, 2], ['b', 0.75, 1], ['c', 1, 1]]);
    const grouped = overfitRows([a, b, c], epochs, 'lr');
    expect(grouped[0]).toMatchObject({ label: 'lr 0.001', n: 2, finalVal: 0.8, finalTrain: 1 });
    expect(grouped[0]!.ratio).toBeCloseTo(0.8, 12);
    expect(grouped[0]!.ratioStd).toBeCloseTo(Math.SQRT2 * 0.05, 12);
    expect(grouped[0]!.gap).toBeCloseTo(0.2, 12);
    expect(parseIds('a,b,,a,../x')).toEqual(['a', 'b']);
  });
});
