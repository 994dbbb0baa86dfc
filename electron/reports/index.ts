/**
 * The PDF report of a run, a comparison of runs or a sweep: one code path for the desktop app,
 * browser mode and the CLI (they differ only in where the bytes go; see files.ts).
 */
import { release, type } from 'node:os';
import { ComparisonOptions, type ReportSubject } from '../../shared/contract';
import type { Store } from '../store';
import { buildDocument, defaultTitle, type Environment } from './document';
import { renderPdf } from './pdf';
import { loadSubject } from './subject';
import { safeFileStem } from '../files';

export function currentEnvironment(appVersion: string): Environment {
  return {
    appVersion,
    os: `${type()} ${release()} (${process.arch})`,
    node: process.versions.node,
    electron: process.versions.electron ?? null,
  };
}

export interface BuiltReport {
  bytes: Buffer;
  pages: number;
  title: string;
  /** A suggested file name: "sweep-lr-clip-kmnist.pdf". */
  fileName: string;
}

export async function buildReport(
  store: Store,
  subject: ReportSubject,
  options: { title?: string; appVersion: string; now?: Date; comparison?: ComparisonOptions },
): Promise<BuiltReport> {
  const loaded = loadSubject(store, subject);
  const title = options.title ?? defaultTitle(loaded);
  const doc = buildDocument(loaded, {
    title,
    generatedAt: options.now ?? new Date(),
    environment: currentEnvironment(options.appVersion),
    comparison: ComparisonOptions.parse(options.comparison ?? {}),
  });
  const { bytes, pages } = await renderPdf(doc);
  return { bytes, pages, title, fileName: `${safeFileStem(title, 'sweeplab-report')}.pdf` };
}
