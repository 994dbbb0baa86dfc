/**
 * A TrialExecutor over the service's RunRunner, for processes where the run executor is not wired
 * to the sweep scheduler directly: `start` asks the runner to train the stored run and `done`
 * resolves when a run.updated event reports it ended. The direct wiring (electron/runs/executor.ts
 * passed as SweepSchedulerOptions.executor) is preferred: it has no event round trip.
 */
import type { RunRunner } from '../service/context';
import type { EventBus } from '../service/events';
import type { RunStatus } from '../../shared/domain';
import type { TrialExecutor, TrialHandle } from './scheduler';

const ENDED: RunStatus[] = ['completed', 'failed', 'diverged', 'cancelled', 'interrupted'];

export function executorFromRunner(runner: RunRunner, events: EventBus): TrialExecutor {
  return {
    start(runId, options): TrialHandle {
      let off: () => void = () => {};
      const done = new Promise<RunStatus>((resolve, reject) => {
        off = events.on('run.updated', (run) => {
          if (run.id === runId && ENDED.includes(run.status)) {
            off();
            resolve(run.status);
          }
        });
        runner.start(runId, { resume: options.resume }).then(
          (run) => {
            if (ENDED.includes(run.status)) {
              off();
              resolve(run.status);
            }
          },
          (error: unknown) => {
            off();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
      return {
        done,
        cancel: async () => {
          await runner.cancel(runId);
        },
      };
    },
  };
}
