/**
 * One trial, as a trainer process runs it: load the stored data set, train, and report through
 * `send` in protocol messages. Kept apart from the process glue (entry.ts) so it can be called
 * in-process too (tests, a future in-process mode).
 */
import { ApiError, describeIssues } from '../../shared/errors';
import { readStoredDataset } from '../datasets/storage';
import { train, type TrainHooks } from '../engine/train';
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
  const result = await train({
    model: trial.model,
    config: trial.config,
    data: { shape: stored.meta.shape, numClasses: stored.meta.numClasses, train: stored.train, test: stored.test },
    checkpointDir: trial.checkpointDir,
    resume: trial.resume,
    hooks: {
      onStarted: (info) =>
        io.send({ type: 'started', backend: info.backend, startEpoch: info.startEpoch, totalParams: info.totalParams, history: info.history }),
      onEpoch: (metrics, timing) => io.send({ type: 'epoch', metrics, timing }),
      onLog: (level, message) => io.send({ type: 'log', level, message }),
      shouldStop: io.shouldStop,
      onStep: io.onStep,
    },
  });
  io.send({ type: 'finished', status: result.status, error: result.error, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
}
