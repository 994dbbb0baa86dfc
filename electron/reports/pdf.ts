/**
 * pdfmake in the main process: fonts from pdfmake's own package (Roboto, Apache-2.0, shipped in
 * node_modules/pdfmake/fonts), never fetched. pdfmake is a process-wide singleton, so it is set up
 * once, and locked down: no URL is ever fetched and the only local files it may read are the fonts
 * (a report's text is user data — run names, notes — and must not be able to pull in anything).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { TDocumentDefinitions } from 'pdfmake/interfaces';
import { ApiError } from '../../shared/errors';

const require = createRequire(import.meta.url);

interface PdfMake {
  setFonts(fonts: Record<string, Record<string, string>>): void;
  setUrlAccessPolicy(policy: (url: string) => boolean): void;
  setLocalAccessPolicy(policy: (path: string) => boolean): void;
  createPdf(doc: TDocumentDefinitions): { getBuffer(): Promise<Buffer> };
}

let ready: PdfMake | null = null;

export function fontFiles(): Record<'normal' | 'bold' | 'italics' | 'bolditalics', string> {
  const dir = join(dirname(require.resolve('pdfmake/package.json')), 'fonts', 'Roboto');
  const files = {
    normal: join(dir, 'Roboto-Regular.ttf'),
    // Medium rather than Bold: pdfmake ships these four; Medium reads as bold at report sizes.
    bold: join(dir, 'Roboto-Medium.ttf'),
    italics: join(dir, 'Roboto-Italic.ttf'),
    bolditalics: join(dir, 'Roboto-MediumItalic.ttf'),
  };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) throw new ApiError('unavailable', `The report font ${file} is missing from this install`);
  }
  return files;
}

function pdfmake(): PdfMake {
  if (ready) return ready;
  const lib = require('pdfmake') as PdfMake;
  const fonts = fontFiles();
  const allowed = new Set(Object.values(fonts));
  lib.setFonts({ Roboto: fonts });
  lib.setUrlAccessPolicy(() => false);
  lib.setLocalAccessPolicy((path) => allowed.has(path));
  return (ready = lib);
}

/** Renders a document definition to PDF bytes, with its page count. */
export async function renderPdf(doc: TDocumentDefinitions): Promise<{ bytes: Buffer; pages: number }> {
  let pages = 0;
  const footer = doc.footer;
  // The footer is called once per page with the final count: the cheapest way to learn it.
  const counted: TDocumentDefinitions = {
    ...doc,
    footer: (current, count, size) => {
      pages = count;
      return typeof footer === 'function' ? footer(current, count, size) : (footer ?? null);
    },
  };
  const bytes = await pdfmake().createPdf(counted).getBuffer();
  return { bytes, pages: Math.max(pages, 1) };
}
