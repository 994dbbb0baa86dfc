/**
 * Reports, exports and imports (issue 7). Handlers only validate what the schemas cannot and
 * delegate; the PDF code (pdfmake, ECharts) is loaded on first use so app start-up does not pay
 * for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Handlers } from './dispatch';
import type { ServiceContext } from './context';
import type { reportMethods } from '../../shared/contract/reports';
import { appRoot } from '../paths';
import { removeUploadSessions } from '../paths';

let version: string | null = null;
function appVersion(): string {
  version ??= (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export function reportHandlers(ctx: ServiceContext): Pick<Handlers, keyof typeof reportMethods> {
  return {
    'reports.pdf': async ({ subject, title, path, overwrite, comparison }) => {
      const { buildReport } = await import('../reports');
      const { deliver } = await import('../files');
      const report = await buildReport(ctx.store, subject, { title, appVersion: appVersion(), comparison });
      return { ...deliver(report.bytes, { fileName: report.fileName, mimeType: 'application/pdf' }, { path, overwrite }), pages: report.pages };
    },
    'exports.data': async (request) => {
      const { exportData } = await import('../exports');
      return exportData(ctx.store, request, appVersion());
    },
    'exports.model': async (request) => {
      const { exportModel } = await import('../exports');
      return exportModel(ctx, request, appVersion());
    },
    'imports.history': async ({ path }) => {
      const { readBundle, importBundleInSlices } = await import('../exports/import');
      let imported: Awaited<ReturnType<typeof importBundleInSlices>>;
      try {
        // In slices with turns of the event loop between them: a 60k-run bundle held the server for minutes.
        imported = await importBundleInSlices(ctx.store, readBundle(path));
      } finally {
        removeUploadSessions(ctx.dataDir, [path]);
      }
      const { result, runIds, sweepIds } = imported;
      // Tell open windows: imported runs and sweeps appear in their lists without a reload.
      for (const id of sweepIds) {
        const sweep = ctx.store.sweeps.get(id);
        if (sweep) ctx.events.emit('sweep.updated', sweep);
      }
      for (const [index, id] of runIds.entries()) {
        if (index && index % 500 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const run = ctx.store.runs.get(id);
        if (run) ctx.events.emit('run.updated', run);
      }
      return result;
    },
  };
}
