/**
 * NumPy .npy and .npz files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 * A .npy is `\x93NUMPY`, a version, a header length, a Python dict literal
 * `{'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }` and the raw array. A .npz
 * is a zip of .npy files, stored (np.savez) or deflated (np.savez_compressed), e.g. KMNIST's
 * kmnist-train-imgs.npz holding one array `arr_0`, or Keras's mnist.npz holding x_train, y_train…
 *
 * The header is parsed as data (a tiny tokenizer), never evaluated. Images must be uint8; labels may
 * be uint8 or any little-endian integer type whose values fit 0–255.
 */
import yauzl from 'yauzl';
import { badData, cancelledError, formatBytes } from './errors';
import { DEFAULT_MAX_BYTES, readChunks, type FileProbe, type ReadOptions } from './source';

export const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]); // PK\3\4

export function looksNpy(head: Uint8Array): boolean {
  return head.length >= 6 && Buffer.from(head.subarray(0, 6)).equals(NPY_MAGIC);
}
export function looksZip(head: Uint8Array): boolean {
  return head.length >= 4 && Buffer.from(head.subarray(0, 4)).equals(ZIP_MAGIC);
}

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  headerLength: number;
}

export interface NpyArray {
  /** File path, with the member name for .npz arrays: "mnist.npz (x_train)". */
  label: string;
  /** The member's array name for .npz ("arr_0", "x_train"); null for a .npy file. */
  member: string | null;
  shape: number[];
  /** u8 values in C order. Labels of wider integer types are narrowed here after a range check. */
  data: Uint8Array;
}

interface Dtype {
  kind: 'u' | 'i' | 'b';
  size: number;
  littleEndian: boolean;
}

/** Parses "|u1", "<i8", ">u2"… into what this reader supports, or explains why not. */
function parseDtype(label: string, descr: string): Dtype {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) throw badData(label, `dtype ${JSON.stringify(descr)} is not supported (structured or unusual dtypes cannot hold images or labels)`);
  const [, order, kind, sizeText] = m as unknown as [string, string, string, string];
  const size = Number(sizeText);
  if (kind === 'f' || kind === 'c') {
    throw badData(label, `dtype ${descr} (floating point) is not supported: save images as uint8 0–255 and labels as integers`);
  }
  if (kind !== 'u' && kind !== 'i' && kind !== 'b') throw badData(label, `dtype ${descr} is not supported`);
  if (![1, 2, 4, 8].includes(size)) throw badData(label, `dtype ${descr} is not supported`);
  if (size > 1 && order === '>') throw badData(label, `dtype ${descr} is big-endian; only little-endian integers are supported`);
  // '=' is native order; NumPy always writes '<' or '>' in files, and every platform Sweeplab runs on is little-endian.
  return { kind: kind as Dtype['kind'], size, littleEndian: true };
}

/**
 * Tokenizes and reads the header's Python dict literal: strings, True/False, ints (with an old
 * Python 2 "L" suffix), tuples and lists. Anything else is rejected.
 */
function parseHeaderDict(label: string, text: string): Record<string, unknown> {
  let i = 0;
  const fail = (why: string): never => {
    throw badData(label, `malformed .npy header (${why}): ${text.trim().slice(0, 120)}`);
  };
  const skip = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): unknown => {
    skip();
    const ch = text[i];
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (ch === '(' || ch === '[') {
      const close = ch === '(' ? ')' : ']';
      i++;
      const items: unknown[] = [];
      for (;;) {
        skip();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected , or ${close}`);
      }
    }
    const word = /^(True|False|None|-?\d+L?)/.exec(text.slice(i));
    if (!word) return fail(`unexpected ${JSON.stringify(text.slice(i, i + 10))}`);
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  };
  skip();
  if (text[i] !== '{') fail('expected {');
  i++;
  const dict: Record<string, unknown> = {};
  for (;;) {
    skip();
    if (text[i] === '}') break;
    const key = value();
    if (typeof key !== 'string') fail('expected a string key');
    skip();
    if (text[i] !== ':') fail('expected :');
    i++;
    dict[key as string] = value();
    skip();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('expected , or }');
  }
  return dict;
}

export function parseNpyHeader(label: string, bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || !looksNpy(bytes)) throw badData(label, 'not a .npy array (wrong magic number)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let textStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    textStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw badData(label, 'truncated .npy header');
    headerLength = view.getUint32(8, true);
    textStart = 12;
  } else {
    throw badData(label, `.npy format version ${major} is not supported (1, 2 or 3)`);
  }
  if (textStart + headerLength > bytes.length) throw badData(label, 'truncated .npy header');
  const text = Buffer.from(bytes.subarray(textStart, textStart + headerLength)).toString(major === 3 ? 'utf8' : 'latin1');
  const dict = parseHeaderDict(label, text);
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (typeof descr !== 'string') throw badData(label, `.npy header has no usable 'descr' (${JSON.stringify(descr)})`);
  if (typeof fortranOrder !== 'boolean') throw badData(label, ".npy header has no 'fortran_order'");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw badData(label, ".npy header has no valid 'shape'");
  }
  return { descr, fortranOrder, shape: shape as number[], headerLength: textStart + headerLength };
}

/** Parses a complete .npy held in memory (its length is the real size, so claims are checked against it). */
export function parseNpy(label: string, member: string | null, bytes: Uint8Array): NpyArray {
  const header = parseNpyHeader(label, bytes);
  const dtype = parseDtype(label, header.descr);
  const { shape } = header;
  if (shape.length === 0) throw badData(label, 'is a scalar, not an array');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count === 0) throw badData(label, `shape (${shape.join(', ')}) holds no data`);
  const payload = bytes.subarray(header.headerLength);
  const need = count * dtype.size;
  if (payload.length < need) {
    throw badData(label, `truncated: shape (${shape.join(', ')}) of ${header.descr} needs ${need} bytes but only ${payload.length} follow the header`);
  }
  if (payload.length > need) throw badData(label, `${payload.length - need} bytes more than shape (${shape.join(', ')}) of ${header.descr} accounts for`);
  const labelsLike = shape.length === 1 || (shape.length === 2 && shape[1] === 1);
  let data: Uint8Array;
  if (dtype.size === 1 && dtype.kind !== 'i') {
    data = payload;
  } else if (!labelsLike) {
    throw badData(label, `images must be uint8; dtype ${header.descr} is only supported for labels`);
  } else {
    data = narrowLabels(label, payload, dtype, count);
  }
  if (header.fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { label, member, shape, data };
}

/** Integer labels of any width to u8, refusing values outside 0–255 (the stored label type). */
function narrowLabels(label: string, payload: Uint8Array, dtype: Dtype, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let i = 0; i < count; i++) {
    const at = i * dtype.size;
    let v: number;
    switch (dtype.size) {
      case 1:
        v = dtype.kind === 'i' ? view.getInt8(at) : view.getUint8(at);
        break;
      case 2:
        v = dtype.kind === 'i' ? view.getInt16(at, true) : view.getUint16(at, true);
        break;
      case 4:
        v = dtype.kind === 'i' ? view.getInt32(at, true) : view.getUint32(at, true);
        break;
      default: {
        const big = dtype.kind === 'i' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
        v = big < -1n || big > 1000n ? Number(big > 0n ? 1000n : -1n) : Number(big);
      }
    }
    if (v < 0 || v > 255) {
      throw badData(label, `label ${v} at index ${i} is outside 0–255 (labels are stored as one byte: at most 256 classes)`);
    }
    out[i] = v;
  }
  return out;
}

/** Column-major (Fortran) to row-major, for any rank: index math per element, done once at import. */
function fortranToC(src: Uint8Array, shape: number[]): Uint8Array {
  const out = new Uint8Array(src.length);
  const rank = shape.length;
  const fStride = new Array<number>(rank);
  let s = 1;
  for (let d = 0; d < rank; d++) {
    fStride[d] = s;
    s *= shape[d]!;
  }
  const idx = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = src[from]!;
    // Advance the C-order index (last axis fastest) and move `from` by the Fortran strides.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]! += 1;
      from += fStride[d]!;
      if (idx[d]! < shape[d]!) break;
      from -= fStride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Gathers a whole byte stream, refusing to pass `maxBytes`. */
async function gather(chunks: AsyncIterable<Buffer>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    total += chunk.length;
  }
  const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

export async function readNpy(probe: FileProbe, options: ReadOptions = {}): Promise<NpyArray> {
  const bytes = await gather(readChunks(probe, options));
  return parseNpy(probe.path, null, bytes);
}

/**
 * Reads every .npy member of a .npz. Sizes in the zip's directory are claims too: a member that
 * claims more than the limit is refused before it is read, and yauzl stops any member whose real
 * size differs from its claim.
 */
export async function readNpz(probe: FileProbe, options: ReadOptions = {}): Promise<NpyArray[]> {
  const { path } = probe;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false }, (error, zipfile) =>
      error ? reject(badData(path, `not a valid .npz (zip) archive (${error.message})`)) : resolve(zipfile!),
    ),
  );
  const arrays: NpyArray[] = [];
  let compressedDone = 0;
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      zip.close();
    }
  };
  let rejectRead: ((error: unknown) => void) | undefined;
  const onAbort = () => {
    rejectRead?.(cancelledError());
    close();
  };
  options.signal?.addEventListener('abort', onAbort);
  /** Bytes of every member read so far, decompressed. */
  let expanded = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      rejectRead = reject;
      const fail = (error: unknown) => reject(error);
      zip.on('error', (error: Error) => fail(badData(path, `corrupt .npz archive (${error.message})`)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        if (options.signal?.aborted) return fail(cancelledError());
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        const member = entry.fileName.replace(/\.npy$/i, '');
        const label = `${path} (${entry.fileName})`;
        if (!/\.npy$/i.test(entry.fileName)) return fail(badData(path, `member ${entry.fileName} is not a .npy array`));
        // The cap is on the whole archive, not each member: many members just under it would
        // otherwise add up to a bomb.
        if (expanded + entry.uncompressedSize > maxBytes) {
          return fail(badData(label, `claims ${formatBytes(expanded + entry.uncompressedSize)} uncompressed${expanded ? ' with the members before it' : ''}, more than the ${formatBytes(maxBytes)} limit`, { limit: maxBytes }));
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error || !stream) return fail(badData(label, `cannot be read (${error?.message ?? 'no stream'})`));
          const parts: Buffer[] = [];
          let total = 0;
          stream.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (expanded + total > maxBytes) {
              stream.destroy();
              return fail(badData(label, `expands to more than ${formatBytes(maxBytes)} (decompression limit)`, { limit: maxBytes }));
            }
            parts.push(chunk);
          });
          stream.on('error', (e: Error) => fail(badData(label, `corrupt or truncated member (${e.message})`)));
          stream.on('end', () => {
            try {
              expanded += total;
              const all = Buffer.concat(parts, total);
              arrays.push(parseNpy(label, member, new Uint8Array(all.buffer, all.byteOffset, all.byteLength)));
              compressedDone += entry.compressedSize;
              options.onProgress?.(Math.min(compressedDone, probe.size), probe.size);
              zip.readEntry();
            } catch (e) {
              fail(e);
            }
          });
        });
      });
      zip.readEntry();
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    close();
  }
  if (options.signal?.aborted) throw cancelledError();
  if (arrays.length === 0) throw badData(path, 'the .npz archive holds no arrays');
  return arrays;
}

