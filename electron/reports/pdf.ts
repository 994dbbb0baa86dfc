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

/**
 * The font for characters Roboto lacks (Greek and Cyrillic it has; Hebrew, Arabic, Armenian,
 * Georgian, symbols it does not): DejaVu Sans from Debian's fonts-dejavu-core, where installed.
 * pdfmake has no per-character fallback, so texts are split into runs by coverage (withFallback).
 */
const FALLBACK_DIR = process.env.SWEEPLAB_FALLBACK_FONT_DIR ?? '/usr/share/fonts/truetype/dejavu';

export function fallbackFontFiles(): Record<'normal' | 'bold' | 'italics' | 'bolditalics', string> | null {
  const files = {
    normal: join(FALLBACK_DIR, 'DejaVuSans.ttf'),
    bold: join(FALLBACK_DIR, 'DejaVuSans-Bold.ttf'),
    italics: join(FALLBACK_DIR, 'DejaVuSans-Oblique.ttf'),
    bolditalics: join(FALLBACK_DIR, 'DejaVuSans-BoldOblique.ttf'),
  };
  if (!existsSync(files.normal)) return null;
  for (const key of ['bold', 'italics', 'bolditalics'] as const) if (!existsSync(files[key])) files[key] = files.normal;
  return files;
}

interface Coverage {
  hasGlyphForCodePoint(codePoint: number): boolean;
}
let coverage: { main: Coverage; fallback: Coverage | null } | null = null;

function fontCoverage() {
  if (coverage) return coverage;
  const fontkit = require('fontkit') as { openSync(path: string): Coverage };
  const fallback = fallbackFontFiles();
  return (coverage = { main: fontkit.openSync(fontFiles().normal), fallback: fallback ? fontkit.openSync(fallback.normal) : null });
}

type Run = string | { text: string; font?: string };

/**
 * A text as runs the PDF can show: characters Roboto has stay in it, those the fallback font has
 * switch to it, and those neither has (emoji, CJK without a CJK font) are written as their code
 * point, "[U+1F600]", so a name never prints as a blank.
 */
export function withFallback(text: string): string | Run[] {
  const { main, fallback } = fontCoverage();
  let plain = true;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && !main.hasGlyphForCodePoint(cp) && cp !== 0xfe0f && cp !== 0x200d) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  const runs: Run[] = [];
  let current: { text: string; font?: string } | null = null;
  const push = (piece: string, font?: string) => {
    if (current && current.font === font) current.text += piece;
    else runs.push((current = font ? { text: piece, font } : { text: piece }));
  };
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    // Emoji variation selectors and joiners have no glyph of their own.
    if (cp === 0xfe0f || cp === 0x200d) continue;
    if (cp < 0x20 || main.hasGlyphForCodePoint(cp)) push(ch);
    else if (fallback?.hasGlyphForCodePoint(cp)) push(ch, 'Fallback');
    else push(`[U+${cp.toString(16).toUpperCase().padStart(4, '0')}]`);
  }
  return runs.map((r) => (typeof r === 'object' && !r.font ? r.text : r));
}

/** Keys whose string values (or arrays of strings) are shown text; everything else is layout. */
const TEXT_CONTAINERS = new Set(['content', 'stack', 'columns', 'ul', 'ol', 'body']);

/** Applies withFallback to every shown string of a document definition. */
export function applyFallback(node: unknown, key = 'content'): unknown {
  if (typeof node === 'string') return TEXT_CONTAINERS.has(key) ? asRuns(node) : node;
  if (Array.isArray(node)) return node.map((item) => applyFallback(item, key === 'body' && Array.isArray(item) ? 'body' : key));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'text') out[k] = typeof v === 'string' ? withFallback(v) : applyFallback(v, 'content');
    else if (TEXT_CONTAINERS.has(k) || k === 'table') out[k] = applyFallback(v, k);
    else out[k] = v;
  }
  return out;
}

function asRuns(text: string): unknown {
  const runs = withFallback(text);
  return typeof runs === 'string' ? runs : { text: runs };
}

function pdfmake(): PdfMake {
  if (ready) return ready;
  const lib = require('pdfmake') as PdfMake;
  const fonts = fontFiles();
  const fallback = fallbackFontFiles();
  const allowed = new Set([...Object.values(fonts), ...Object.values(fallback ?? {})]);
  lib.setFonts(fallback ? { Roboto: fonts, Fallback: fallback } : { Roboto: fonts });
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
    content: applyFallback(doc.content) as TDocumentDefinitions['content'],
    footer: (current, count, size) => {
      pages = count;
      return typeof footer === 'function' ? footer(current, count, size) : (footer ?? null);
    },
  };
  const bytes = await pdfmake().createPdf(counted).getBuffer();
  return { bytes, pages: Math.max(pages, 1) };
}
