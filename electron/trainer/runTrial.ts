/**
 * One trial (or a pack of them), as a trainer process runs it: load the stored data set, train, and report through
 * `send` in protocol messages. Kept apart from the process glue (entry.ts) so it can be called
 * in-process too (tests, a future in-process mode).
 */
import { ApiError, describeIssues } from '../../shared/errors';
import { runSplits } from '../datasets/holdout';
import { readStoredDataset } from '../datasets/storage';
import { trainPacked } from '../engine/packedTrain';
import { train, type TrainHooks } from '../engine/train';
import { peakGpuBytes } from '../engine/webgpu';
import { Trial, type FromTrainer, type TrialInput } from './protocol';

export interface TrialIo {
  send(message: FromTrainer): void;
  shouldStop(): boolean;
  onStep?: TrainHooks['onStep'];
}

export async function runTrial(trialInput: TrialInput, io: TrialIo): Promise<void> {
  const parsed = Trial.safeParse(trialInput);
  if (!parsed.success) throw new ApiError('invalid_argument', `invalid trial: ${describeIssues(parsed.error.issues)}`);
  const trial = parsed.data;
  const stored = await readStoredDataset(trial.datasetDir);
  const [h, w, c] = stored.meta.shape;
  const splits = runSplits(stored, trial.config, h * w * c);
  const result = await train({
    model: trial.model,
    config: trial.config,
    // The engine evaluates every epoch on `test`: the validation split here.
    data: { shape: stored.meta.shape, numClasses: stored.meta.numClasses, train: splits.train, test: splits.validation },
    finalTest: splits.test,
    checkpointDir: trial.checkpointDir,
    resume: trial.resume,
    hooks: {
      onStarted: (info) =>
        io.send({ type: 'started', backend: info.backend, device: info.device, startEpoch: info.startEpoch, totalParams: info.totalParams, history: info.history }),
      onEpoch: (metrics, timing, steps) => io.send({ type: 'epoch', metrics, timing, steps }),
      onLog: (level, message) => io.send({ type: 'log', level, message }),
      shouldStop: io.shouldStop,
      onStep: io.onStep,
    },
  });
  io.send({
    type: 'finished',
    status: result.status,
    error: result.error,
    test: result.test ?? null,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    peakGpuBytes: peakGpuBytes(),
  });
}

export interface PackIo {
  send(message: FromTrainer): void;
  /** True once this trial (or the whole pack) was asked to stop. */
  shouldStop(runId: string): boolean;
  onStep?: TrainHooks['onStep'];
}

/** A pack of trials in one trainer (engine/packedTrain.ts); every message names its trial. */
export async function runPack(trialInputs: TrialInput[], io: PackIo): Promise<void> {
  const trials = trialInputs.map((input) => {
    const parsed = Trial.safeParse(input);
    if (!parsed.success) throw new ApiError('invalid_argument', `invalid trial: ${describeIssues(parsed.error.issues)}`);
    return parsed.data;
  });
  const first = trials[0]!;
  if (trials.some((t) => t.datasetDir !== first.datasetDir)) throw new ApiError('invalid_argument', 'the trials of a pack must train on one data set');
  if (new Set(trials.map((t) => t.runId)).size !== trials.length) throw new ApiError('invalid_argument', 'a pack lists a run twice');
  // One data layout for the whole pack: its members must share the validation split (a sweep's
  // trials do: it comes from the base config); a final test score is a single run's business.
  const validation = JSON.stringify(first.config.validation);
  if (trials.some((t) => JSON.stringify(t.config.validation) !== validation)) throw new ApiError('invalid_argument', 'the trials of a pack must share one validation split');
  if (trials.some((t) => t.config.finalTest)) throw new ApiError('invalid_argument', 'runs with a final test score train alone, not in a pack');
  const stored = await readStoredDataset(first.datasetDir);
  const [h, w, c] = stored.meta.shape;
  const splits = runSplits(stored, first.config, h * w * c);
  const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;
  await trainPacked({
    model: first.model,
    // The engine evaluates every epoch on `test`: the validation split here.
    data: { shape: stored.meta.shape, numClasses: stored.meta.numClasses, train: splits.train, test: splits.validation },
    hooks: { onStep: io.onStep },
    members: trials.map((t) => ({
      config: t.config,
      checkpointDir: t.checkpointDir,
      resume: t.resume,
      hooks: {
        onStarted: (info) =>
          io.send({ type: 'started', runId: t.runId, backend: info.backend, device: info.device, startEpoch: info.startEpoch, totalParams: info.totalParams, history: info.history }),
        onEpoch: (metrics, timing, steps) => io.send({ type: 'epoch', runId: t.runId, metrics, timing, steps }),
        onLog: (level, message) => io.send({ type: 'log', runId: t.runId, level, message }),
        shouldStop: () => io.shouldStop(t.runId),
        onFinished: (result) => io.send({ type: 'finished', runId: t.runId, status: result.status, error: result.error, test: null, maxRssBytes: maxRssBytes(), peakGpuBytes: peakGpuBytes() }),
      },
    })),
  });
}
