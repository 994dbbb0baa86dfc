import type { Command } from 'commander';
import type { CliContext } from './context';
import { addValidationOptions, numberOption, resolveDataset, resolveModel, validationFromOptions, type ValidationOptions } from './resolve';
import { OptimizerName, BackendChoice, selectsOnTest, type EpochMetrics, type Run, type TrainConfigInput } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { formatTable, pct } from './output';

const TERMINAL = new Set(['completed', 'failed', 'diverged', 'cancelled', 'interrupted']);

interface TrainOptions extends ValidationOptions {
  dataset: string;
  model: string;
  optimizer: string;
  lr: number;
  clip: string;
  batch: number;
  epochs: number;
  seed: number;
  subset?: number;
  subsetRandom?: boolean;
  weightDecay?: number;
  momentum?: number;
  nesterov?: boolean;
  backend: string;
  trainAccFull?: boolean;
  finalTest?: boolean;
  name?: string;
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'━'.repeat(filled)}${' '.repeat(width - filled)}`;
}

export function registerTrain(program: Command, ctx: CliContext): void {
  addValidationOptions(program
    .command('train')
    .description('train one model and store the run; progress on the terminal, or JSON lines with --json')
    .requiredOption('--dataset <id|path>', 'a data-set id or name, or files/folder to import first')
    .requiredOption('--model <preset|spec.json>', 'plain, drop, bn, both, five, shl, or a ModelSpec JSON file')
    .option('--optimizer <name>', 'sgd | momentum | adam | adamw', 'adamw')
    .requiredOption('--lr <x>', 'learning rate', numberOption('--lr'))
    .option('--clip <x|none>', 'max global gradient norm, or none', 'none')
    .option('--batch <n>', 'batch size', numberOption('--batch', true), 64)
    .option('--epochs <n>', 'epochs', numberOption('--epochs', true), 10)
    .option('--seed <n>', 'seed for initialisation, shuffling and dropout', numberOption('--seed', true), 0)
    .option('--subset <n>', 'train on N samples of the training split', numberOption('--subset', true))
    .option('--subset-random', 'with --subset: a seeded random N instead of the first N')
    .option('--weight-decay <x>', 'weight decay (AdamW default 0.01, others 0)', numberOption('--weight-decay'))
    .option('--momentum <x>', 'SGD momentum (optimizer momentum)', numberOption('--momentum'))
    .option('--nesterov', 'Nesterov momentum')
    .option('--backend <name>', 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (see `sweeplab backends`)', 'auto')
    .option('--train-acc-full', 'train accuracy on the full training split (as the notebook did)')
    .option('--final-test', 'score the test split once after the last epoch (the test accuracy of a configuration chosen on validation)')
    .option('--name <name>', 'run name'))
    .action(async (opts: TrainOptions) => {
      const optimizer = OptimizerName.safeParse(opts.optimizer);
      if (!optimizer.success) throw new ApiError('invalid_argument', `--optimizer must be one of ${OptimizerName.options.join(', ')}`);
      const backend = BackendChoice.safeParse(opts.backend);
      if (!backend.success) throw new ApiError('invalid_argument', `--backend must be auto, tensorflow-gpu, webgpu, tensorflow, wasm or cpu`);
      const clipNorm = opts.clip === 'none' ? null : numberOption('--clip')(opts.clip);

      const dataset = await resolveDataset(ctx, opts.dataset);
      const model = resolveModel(opts.model, dataset);
      const config: TrainConfigInput = {
        optimizer: optimizer.data,
        lr: opts.lr,
        clipNorm,
        batchSize: opts.batch,
        epochs: opts.epochs,
        seed: opts.seed,
        subset: opts.subset ? { size: opts.subset, mode: opts.subsetRandom ? 'random' : 'first' } : null,
        backend: backend.data,
        trainAccOn: opts.trainAccFull ? 'full' : 'trained',
        validation: validationFromOptions(opts),
        finalTest: Boolean(opts.finalTest),
        ...(opts.weightDecay !== undefined ? { weightDecay: opts.weightDecay } : {}),
        ...(opts.momentum !== undefined ? { momentum: opts.momentum } : {}),
        ...(opts.nesterov ? { nesterov: true } : {}),
      };

      const runtime = await ctx.open();
      const json = Boolean(ctx.options.json);
      const tty = !json && process.stdout.isTTY;
      let runId: string | null = null;
      const epochs: EpochMetrics[] = [];
      let final: Run | null = null;
      let resolveDone!: () => void;
      const done = new Promise<void>((resolve) => (resolveDone = resolve));

      const offEpoch = runtime.events.on('run.epoch', ({ runId: id, metrics }) => {
        if (id !== runId) return;
        epochs.push(metrics);
        if (json) {
          const { epoch, loss, trainAcc, valAcc, valLoss, seconds, gradNormMean, gradNormMax, clippedFraction } = metrics;
          process.stdout.write(`${JSON.stringify({ epoch, loss, trainAcc, valAcc, valLoss, seconds, gradNormMean, gradNormMax, clippedFraction })}\n`);
        } else {
          const line = `epoch ${String(metrics.epoch).padStart(String(opts.epochs).length)}/${opts.epochs} ${bar(metrics.epoch / opts.epochs)} loss ${metrics.loss.toFixed(4)}  train ${pct(metrics.trainAcc)}  val ${pct(metrics.valAcc)}  ${metrics.seconds.toFixed(1)} s`;
          process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
        }
      });
      const offLog = runtime.events.on('run.log', ({ runId: id, level, message }) => {
        if (id === runId && level !== 'info' && !json) process.stderr.write(`${tty ? '\n' : ''}${level}: ${message}\n`);
      });
      const offRun = runtime.events.on('run.updated', (run) => {
        if (run.id !== runId || !TERMINAL.has(run.status)) return;
        final = run;
        resolveDone();
      });
      let deleted = false;
      const offDeleted = runtime.events.on('run.deleted', ({ id }) => {
        if (id !== runId) return;
        deleted = true;
        resolveDone();
      });
      // Ctrl-C cancels the run cleanly (trainer stopped, run marked cancelled) instead of orphaning it.
      const onSigint = () => {
        if (runId) void ctx.call('runs.cancel', { id: runId }).catch(() => {});
      };
      process.on('SIGINT', onSigint);
      try {
        const run = await ctx.call('runs.create', { name: opts.name, datasetId: dataset.id, model, config });
        runId = run.id;
        if (!json) process.stdout.write(`Training ${run.name} on ${dataset.name} (run ${run.id})\n`);
        if (TERMINAL.has(run.status)) final = run;
        else await done;
      } finally {
        process.off('SIGINT', onSigint);
        offEpoch();
        offLog();
        offRun();
        offDeleted();
      }
      // The other process's cascade marks the run cancelled just before deleting it: gone either way.
      if (!deleted && runId && !runtime.store.runs.get(runId)) deleted = true;
      // Its trainer may have written a checkpoint after the other process removed the folder.
      if (deleted && runId) runtime.executor.forget(runId);
      if (deleted) throw new ApiError('not_found', `run ${runId} was deleted (by another Sweeplab process?) while it trained; its checkpoints are removed`);
      const run = final as Run | null;
      if (!run) return;
      if (tty) process.stdout.write('\n');
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ runId: run.id, status: run.status, validation: run.config.validation, bestValAcc: run.bestValAcc, bestEpoch: run.bestEpoch, testAcc: run.test?.acc ?? null, testLoss: run.test?.loss ?? null, backend: run.backend, error: run.error })}\n`,
        );
      } else {
        const onTest = selectsOnTest(run.config);
        process.stdout.write(
          `${formatTable(['run', 'status', onTest ? 'best test acc (selected on test)' : 'best val acc', 'best epoch', 'backend'], [[run.id, run.status, pct(run.bestValAcc), run.bestEpoch, run.backend]])}\n`,
        );
        if (run.test) process.stdout.write(`test accuracy (the test split, scored once after the last epoch): ${pct(run.test.acc)}\n`);
        if (run.error) process.stdout.write(`${run.error}\n`);
      }
      if (run.status === 'failed' || run.status === 'cancelled') process.exitCode = 1;
      if (run.status === 'failed') throw new ApiError('internal', `run ${run.id} failed: ${run.error ?? 'unknown reason'}`);
    });
}
