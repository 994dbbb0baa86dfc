/**
 * Exports: runs, epochs and sweep cells as CSV or the JSON bundle; a trained model as TF.js files
 * or PyTorch code with its weights in a .safetensors file. Each writes where the caller says or hands the bytes back (output.ts).
 */
import { join } from 'node:path';
import type { FileResult, ModelExportResult } from '../../shared/contract';
import { DataExportRequest as DataExportSchema, ModelExportRequest } from '../../shared/contract';
import type { z } from 'zod';
import { ApiError } from '../../shared/errors';
import { toPyTorch } from '../../shared/pytorch';
import type { Store } from '../store';
import { readCheckpoint } from '../engine/checkpoint';
import { checkpointDir } from '../paths';
import { loadSubject } from '../reports/subject';
import { buildBundle, bundleJson } from './bundle';
import { toTfjs } from './model';
import { encodeSafetensors, pytorchLoader, pytorchStateDict } from './safetensors';

/** model.py loads the weights from this file beside it. */
const PYTORCH_WEIGHTS = 'model.safetensors';
import { deliver, prepareFolder, safeFileStem, writeFileAtomic } from '../files';
import { tableOf, toCsv } from './tables';

export function exportData(store: Store, request: z.output<typeof DataExportSchema>, appVersion: string): FileResult {
  const subject = loadSubject(store, request.subject);
  const stem =
    subject.sweep !== null
      ? safeFileStem(subject.sweep.sweep.name, 'sweep')
      : subject.runs.length === 1
        ? safeFileStem(subject.runs[0]!.run.name, 'run')
        : `${subject.runs.length}-runs`;
  const output = { path: request.path, overwrite: request.overwrite };
  if (request.format === 'json') {
    return deliver(bundleJson(buildBundle(subject, appVersion, new Date(), (id) => store.runs.steps(id))), { fileName: `${stem}.sweeplab.json`, mimeType: 'application/json' }, output);
  }
  const table = request.table ?? (subject.sweep ? 'cells' : 'runs');
  if (table === 'cells' && !subject.sweep) {
    throw new ApiError('invalid_argument', 'The cells table is per sweep: export a sweep, or choose the runs or epochs table');
  }
  const fileName = stem.endsWith(table) ? `${stem}.csv` : `${stem}-${table}.csv`;
  return deliver(toCsv(tableOf(subject, table)), { fileName, mimeType: 'text/csv' }, output);
}

/**
 * Where a run's checkpoint.bin lives: one folder per run under the data folder (paths.ts), the
 * folder the run executor hands the trainer process.
 */
export function runCheckpointDir(dataDir: string, runId: string): string {
  return checkpointDir(dataDir, runId);
}

interface ProducedFile {
  name: string;
  mimeType: string;
  content: Buffer;
}

export function exportModel(
  ctx: { store: Store; dataDir: string } & { checkpointDir?: (runId: string) => string },
  request: z.output<typeof ModelExportRequest>,
  appVersion: string,
): ModelExportResult {
  const run = ctx.store.runs.get(request.runId);
  if (!run) throw new ApiError('not_found', `No run with id ${request.runId}`);
  const dataset = ctx.store.datasets.get(run.datasetId);
  let files: ProducedFile[];

  if (!dataset) throw new ApiError('failed_precondition', `The data set of run ${run.name} is gone; its input shape is needed to build the model`);
  const dir = (ctx.checkpointDir ?? ((id: string) => runCheckpointDir(ctx.dataDir, id)))(run.id);
  const checkpoint = readCheckpoint(dir);
  if (!checkpoint) {
    throw new ApiError(
      'failed_precondition',
      run.epochsDone === 0
        ? `Run ${run.name} has not finished an epoch yet, so there are no trained weights to export`
        : `Run ${run.name} has no saved weights on this machine (imported from another machine, or its checkpoint was removed)`,
    );
  }
  const epoch = checkpoint.epoch;
  if (request.format === 'pytorch') {
    const shape = dataset.shape;
    const channelsLast =
      shape[2] > 1
        ? `# Channels last, as Sweeplab stores images: permute torchvision's [N, C, H, W] batches with x.permute(0, 2, 3, 1) first.\n`
        : '';
    const header = `# ${run.name} (Sweeplab run ${run.id}), exported by Sweeplab ${appVersion}\n# Input: float tensors [batch, ${shape.join(', ')}] (pixels / 255); output: class scores (logits).\n${channelsLast}`;
    const weights = encodeSafetensors(pytorchStateDict(run.model, dataset, { ...checkpoint, steps: checkpoint.optimizer.step }), {
      format: 'pt',
      run: run.id,
      epoch: String(epoch),
      generatedBy: `Sweeplab ${appVersion}`,
    });
    const code = `${header}${toPyTorch(run.model, shape)}${pytorchLoader(PYTORCH_WEIGHTS, epoch)}`;
    files = [
      { name: 'model.py', mimeType: 'text/x-python', content: Buffer.from(code, 'utf8') },
      { name: PYTORCH_WEIGHTS, mimeType: 'application/octet-stream', content: weights },
    ];
  } else {
    const { modelJson, weightsBin } = toTfjs(run, dataset, checkpoint, `Sweeplab ${appVersion}`);
    files = [
      { name: 'model.json', mimeType: 'application/json', content: Buffer.from(modelJson, 'utf8') },
      { name: 'weights.bin', mimeType: 'application/octet-stream', content: weightsBin },
    ];
  }

  if (request.dir) {
    prepareFolder(request.dir, files.map((f) => f.name), request.overwrite);
    for (const f of files) writeFileAtomic(join(request.dir, f.name), f.content);
    return { dir: request.dir, epoch, files: files.map((f) => ({ name: f.name, mimeType: f.mimeType, bytes: f.content.length, base64: null })) };
  }
  // Browser mode: the page saves each file; the names stay as written because model.json refers
  // to weights.bin and model.py to model.safetensors by name.
  return { dir: null, epoch, files: files.map((f) => ({ name: f.name, mimeType: f.mimeType, bytes: f.content.length, base64: f.content.toString('base64') })) };
}
