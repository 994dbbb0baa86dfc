/**
 * CSV images: one sample per line, a label column plus one column per pixel, as the common
 * mnist_train.csv (no header, label first) and Kaggle's fashion-mnist_train.csv (header
 * "label,pixel1,…") are. With a header, the column named label/class/target/y holds the labels;
 * without one, the first column does. The image is square, its side inferred from the pixel count.
 *
 * Parsed byte by byte over streamed chunks (a 60k-row MNIST CSV is ~110 MB of text), writing
 * straight into the output buffers; the first bad cell stops the import with its line and column.
 */
import { GrowableBytes } from './blocks';
import { badData, oneLine } from './errors';
import { readChunks, type FileProbe, type ReadOptions } from './source';

export interface CsvData {
  path: string;
  count: number;
  height: number;
  width: number;
  images: Uint8Array;
  labels: Uint8Array;
  hasHeader: boolean;
}

const LABEL_HEADER = /^(label|labels|class|classes|target|y|digit|category)$/i;
const NUMERIC_CELL = /^\s*"?\s*[-+]?\d+(\.\d*)?\s*"?\s*$/;
const MAX_FIRST_LINE = 4 << 20;

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const DOT = 0x2e;
const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const NINE = 0x39;

/** Looks like CSV numbers: printable text whose first line has commas. */
export function looksCsv(head: Uint8Array): boolean {
  const end = Math.min(head.length, 4096);
  let commas = 0;
  for (let i = 0; i < end; i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b === LF) break;
    if (b === COMMA) commas++;
  }
  return commas > 0;
}

function splitCells(line: string): string[] {
  return line.replace(/\r$/, '').split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
}

export async function readCsv(probe: FileProbe, options: ReadOptions = {}): Promise<CsvData> {
  const { path } = probe;
  // The first line decides the layout: header or not, the label column, the column count.
  const firstEnd = probe.head.indexOf(LF);
  let firstLine: string;
  if (firstEnd >= 0) firstLine = Buffer.from(probe.head.subarray(0, firstEnd)).toString('utf8');
  else if (probe.head.length < 64 * 1024) firstLine = Buffer.from(probe.head).toString('utf8');
  else firstLine = await readFirstLine(probe, options);
  firstLine = firstLine.replace(/^\uFEFF/, '');
  const firstCells = splitCells(firstLine);
  const hasHeader = firstCells.some((cell) => !NUMERIC_CELL.test(cell));
  let labelCol = 0;
  if (hasHeader) {
    const named = firstCells.findIndex((cell) => LABEL_HEADER.test(cell));
    if (named >= 0) labelCol = named;
  }
  const cols = firstCells.length;
  const pixels = cols - 1;
  if (pixels < 1) throw badData(path, 'line 1: a CSV of images needs a label column and pixel columns');
  const side = Math.round(Math.sqrt(pixels));
  if (side * side !== pixels) {
    throw badData(path, `line 1: ${pixels} pixel columns do not make a square image (${cols} columns with the label)`);
  }

  const images = new GrowableBytes(Math.min(probe.size, 64 << 20));
  const labels = new GrowableBytes(1 << 16);
  let count = 0;

  // Parser state, carried across chunks.
  let line = 1;
  let skipping = hasHeader; // inside the header line
  let col = 0;
  let value = 0;
  let digits = 0;
  let negative = false;
  /** 0: before the value, 1: in its digits, 2: in a fraction of zeros, 3: after it (spaces, quote). */
  let state = 0;
  let fraction = false;
  let row: Uint8Array = images.reserve(pixels);
  let rowBase = 0;

  const cellText = (chunk: Buffer, at: number): string => {
    let start = at;
    while (start > 0 && chunk[start - 1] !== COMMA && chunk[start - 1] !== LF) start--;
    let end = at;
    while (end < chunk.length && chunk[end] !== COMMA && chunk[end] !== LF && end - start < 40) end++;
    return oneLine(chunk.subarray(start, end).toString('utf8'));
  };
  const where = () => `line ${line}, column ${col + 1}`;

  const endField = (chunk: Buffer, at: number) => {
    if (digits === 0) {
      throw badData(path, `${where()}: ${state === 0 ? 'empty cell' : `${JSON.stringify(cellText(chunk, at - 1))} is not a number`}`);
    }
    if (col >= cols) throw badData(path, `line ${line}: more than ${cols} values (the first line has ${cols})`);
    if (fraction) {
      throw badData(path, `${where()}: ${JSON.stringify(cellText(chunk, at - 1))} is not a whole number (values must be integers 0–255)`);
    }
    const v = negative && value > 0 ? -value : value;
    if (col === labelCol) {
      if (v < 0 || v > 255) {
        throw badData(path, `${where()}: label ${v} is outside 0–255 (labels are stored as one byte: at most 256 classes)`);
      }
      labels.push(v);
    } else {
      if (v < 0 || v > 255) throw badData(path, `${where()}: pixel value ${v} is outside 0–255`);
      row[rowBase + (col < labelCol ? col : col - 1)] = v;
    }
    col++;
    value = 0;
    digits = 0;
    negative = false;
    fraction = false;
    state = 0;
  };

  // A UTF-8 byte-order mark (Excel writes one) is not part of the first cell.
  let start = probe.head[0] === 0xef && probe.head[1] === 0xbb && probe.head[2] === 0xbf ? 3 : 0;
  for await (const chunk of readChunks(probe, options)) {
    const n = chunk.length;
    const from = start;
    start = 0;
    for (let i = from; i < n; i++) {
      const b = chunk[i]!;
      if (skipping) {
        if (b === LF) {
          skipping = false;
          line++;
        }
        continue;
      }
      if (b >= ZERO && b <= NINE) {
        if (state === 0 || state === 1) {
          value = value * 10 + (b - ZERO);
          if (value > 1e6) value = 1e6; // keeps the range check meaningful without overflow
          digits++;
          state = 1;
        } else if (state === 2) {
          if (b !== ZERO) fraction = true;
        } else {
          throw badData(path, `${where()}: ${JSON.stringify(cellText(chunk, i))} is not a number`);
        }
      } else if (b === COMMA) {
        endField(chunk, i);
      } else if (b === LF) {
        if (col === 0 && state === 0) {
          // A blank line (the file's last newline, or a stray empty line): nothing to store.
          line++;
          continue;
        }
        endField(chunk, i);
        if (col !== cols) throw badData(path, `line ${line}: ${col} values, expected ${cols} like the first line`);
        count++;
        images.length += pixels;
        rowBase = images.length;
        row = images.reserve(pixels);
        col = 0;
        line++;
      } else if (b === SPACE || b === TAB || b === CR || b === QUOTE) {
        if (state === 1 || state === 2) state = 3;
      } else if (b === DOT && state === 1) {
        state = 2;
      } else if ((b === MINUS || b === PLUS) && state === 0 && digits === 0) {
        negative = b === MINUS;
      } else {
        throw badData(path, `${where()}: ${JSON.stringify(cellText(chunk, i))} is not a number`);
      }
    }
  }
  if (skipping) throw badData(path, 'has a header line and no data');
  if (col > 0 || state !== 0) {
    // The last line had no newline.
    endField(Buffer.alloc(0), 0);
    if (col !== cols) throw badData(path, `line ${line}: ${col} values, expected ${cols} like the first line`);
    count++;
    images.length += pixels;
  }
  if (count === 0) throw badData(path, 'has no data rows');
  return { path, count, height: side, width: side, images: images.toBytes(), labels: labels.toBytes(), hasHeader };
}

async function readFirstLine(probe: FileProbe, options: ReadOptions): Promise<string> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of readChunks(probe, { signal: options.signal, maxBytes: options.maxBytes })) {
    const nl = chunk.indexOf(LF);
    parts.push(nl >= 0 ? chunk.subarray(0, nl) : chunk);
    total += chunk.length;
    if (nl >= 0) break;
    if (total > MAX_FIRST_LINE) throw badData(probe.path, 'line 1 is longer than 4 MiB; not a CSV of images');
  }
  return Buffer.concat(parts).toString('utf8');
}
