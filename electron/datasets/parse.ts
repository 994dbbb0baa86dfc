/**
 * From the paths a user picked to one data set in memory: expands folders, sniffs each file's
 * format from its content (IDX, .npy, .npz, CSV; gzip or not), parses them, pairs image files with
 * label files and assigns train/test splits from the file names, then checks that the pieces fit
 * together (counts, shapes, label range).
 *
 * Pairing works on name tokens: "train-images-idx3-ubyte" and "train-labels-idx1-ubyte" both
 * become "train-#-#-ubyte" once the image/label words are masked, as do "kmnist-train-imgs" /
 * "kmnist-train-labels", "emnist-letters-train-images-idx3-ubyte" / "…-labels-idx1-ubyte" and
 * mnist.npz's "x_train" / "y_train". The split comes from a train/training or
 * test/t10k/val/validation token.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ApiError } from '../../shared/errors';
import { imagesFromArray, isLabelShape, labelsFromArray, type ImageBlock, type LabelBlock, type SplitData, type SplitName } from './blocks';
import { readCsv, looksCsv } from './csv';
import { badData, fileError, throwIfAborted } from './errors';
import { decodeImages, IMAGE_EXTENSIONS, looksLikeImageFolder, scanImageFolder } from './folder';
import { looksIdx, parseIdxHeader, readIdx } from './idx';
import { looksNpy, looksZip, readNpy, readNpz } from './npy';
import { hex, probeFile, type FileProbe } from './source';

export type SourceFormat = 'idx' | 'csv' | 'folder' | 'npz' | 'npy';

export interface ParseProgress {
  label: string;
  done: number;
  total: number | null;
}

export interface ParseOptions {
  /** Image folders: resize to size x size (default 28). */
  imageSize?: number;
  /** Cap on what one file may expand to. */
  maxBytes?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ParseProgress) => void;
  /** Class names to use (a catalog entry's); labels must fall inside them. */
  classNames?: string[];
  /**
   * Folders whose own names mean nothing to the user (a browser upload's session folder, named by a
   * random id): a data set read from one is named from its files or class folders instead.
   */
  anonymousDirs?: readonly string[];
}

export interface ParsedDataset {
  format: SourceFormat;
  /** The folder or file the data came from, for Dataset.source. */
  sourcePath: string;
  /** A name for the data set when the user gives none. */
  suggestedName: string;
  shape: [number, number, number];
  numClasses: number;
  /** From folder names or the catalog; null when the files only carry numbers. */
  classNames: string[] | null;
  train: SplitData;
  /** Null when the files hold no test split: the importer carves a hold-out. */
  test: SplitData | null;
  /** Every file read, for messages. */
  files: string[];
}

export const DEFAULT_IMAGE_SIZE = 28;

const IMAGE_TOKENS = new Set(['images', 'image', 'imgs', 'img', 'x', 'idx3', 'inputs', 'input', 'features', 'data']);
const LABEL_TOKENS = new Set(['labels', 'label', 'lbl', 'lbls', 'y', 'targets', 'target', 'idx1', 'classes']);
const TRAIN_TOKENS = new Set(['train', 'training']);
const TEST_TOKENS = new Set(['test', 'testing', 't10k', 'val', 'valid', 'validation']);
const NOISE_TOKENS = new Set(['ubyte', 'idx', 'npz', 'npy', 'csv', 'gz', 'arr', 'u8']);
/** Files that sit beside data files in downloaded folders and are not data. */
const DOC_FILE = /^(readme|license|licence|copying|changelog|checksums?|sha256sums|md5sums)(\..*)?$|\.(md|html?|json|ya?ml|py|ipynb|pdf|sha256|md5|sh)$/i;

interface ArrayItem {
  display: string;
  tokens: string[];
  dims: number[];
  data: Uint8Array;
}

interface Part {
  display: string;
  split: SplitName | null;
  images: ImageBlock;
  labels: LabelBlock;
  /** For messages about labels. */
  labelsDisplay: string;
}

function stem(path: string): string {
  let name = basename(path);
  while (/\.(gz|npz|npy|csv|txt)$/i.test(name)) name = name.slice(0, -extname(name).length);
  return name;
}

function tokensOf(name: string): string[] {
  return name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

function splitOf(tokens: string[]): SplitName | null {
  const test = tokens.some((t) => TEST_TOKENS.has(t));
  const train = tokens.some((t) => TRAIN_TOKENS.has(t));
  if (test && !train) return 'test';
  if (train && !test) return 'train';
  return null;
}

/** The name with image/label words masked: an images file and its labels file share it. */
function pairKey(tokens: string[]): string {
  return tokens.map((t) => (IMAGE_TOKENS.has(t) || LABEL_TOKENS.has(t) ? '#' : t)).join('-');
}

/** Words common to all files once split/role/format words are removed: "kmnist", "mnist", "fashion-mnist". */
function commonName(names: string[]): string {
  const skip = (t: string) => IMAGE_TOKENS.has(t) || LABEL_TOKENS.has(t) || TRAIN_TOKENS.has(t) || TEST_TOKENS.has(t) || NOISE_TOKENS.has(t) || /^\d+$/.test(t);
  const lists = names.map((n) => tokensOf(n).filter((t) => !skip(t)));
  const [first = [], ...rest] = lists;
  return first.filter((t) => rest.every((list) => list.includes(t))).join('-');
}

/** The common start of file names, cut at a separator ("t10k-images…", "t10k-labels…" → "t10k"); '' when short. */
function commonPrefix(names: string[]): string {
  if (names.length < 2) return '';
  let prefix = names[0]!;
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = /^(.*?)[-_. ]*$/.exec(prefix.length === names[0]!.length ? prefix : prefix.replace(/[^-_. ]*$/, ''))![1]!;
  return cut.length >= 2 ? cut : '';
}

/** A file name's bytes, printable: UTF-8 where it is, \xNN escapes where not. */
function escapeName(bytes: Buffer): string {
  let out = '';
  let at = 0;
  while (at < bytes.length) {
    let end = at + 1;
    // The longest valid UTF-8 sequence starting here (at most 4 bytes).
    for (let len = Math.min(4, bytes.length - at); len >= 1; len--) {
      const piece = bytes.subarray(at, at + len);
      const text = piece.toString('utf8');
      if (!text.includes('\uFFFD') && Buffer.from(text, 'utf8').equals(piece)) {
        out += text;
        end = at + len;
        break;
      }
      if (len === 1) out += `\\x${bytes[at]!.toString(16).padStart(2, '0')}`;
    }
    at = end;
  }
  return out;
}

async function expand(paths: string[]): Promise<{ folder: string | null; files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  let folder: string | null = null;
  const seen = new Set<string>();
  // The same file reached twice (given directly and through a symbolic link, or a link beside
  // its target) is one file: known by device and inode, not by name.
  const seenFiles = new Set<string>();
  const firstVisit = (info: { dev: number; ino: number }) => {
    const key = `${info.dev}:${info.ino}`;
    if (seenFiles.has(key)) return false;
    seenFiles.add(key);
    return true;
  };
  for (const raw of paths) {
    const path = resolve(raw);
    if (seen.has(path)) continue;
    seen.add(path);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw fileError(path, error);
    }
    if (info.isDirectory()) {
      dirs.push(path);
      if (await looksLikeImageFolder(path)) {
        folder = path;
        continue;
      }
      let names: string[];
      try {
        // Names as bytes: one that is not UTF-8 would come back with U+FFFD in it and then be
        // "no such file" when opened; it is named as it is instead.
        const entries = await readdir(path, { withFileTypes: true, encoding: 'buffer' });
        names = [];
        for (const e of entries) {
          if (!e.isFile() && !e.isSymbolicLink()) continue;
          const name = e.name.toString('utf8');
          if (!Buffer.from(name, 'utf8').equals(e.name)) {
            throw badData(join(path, escapeName(e.name)), 'its name is not valid UTF-8 text: rename the file (Sweeplab reads names as UTF-8)');
          }
          names.push(name);
        }
      } catch (error) {
        throw fileError(path, error);
      }
      const data = names.filter((n) => !n.startsWith('.') && !DOC_FILE.test(n)).sort();
      if (data.length === 0) throw badData(path, 'holds no data files (IDX, .npy/.npz or CSV) and no class folders of images');
      for (const name of data) {
        const file = join(path, name);
        if (seen.has(file)) continue;
        seen.add(file);
        let fileInfo;
        try {
          fileInfo = await stat(file);
        } catch (error) {
          throw fileError(file, error);
        }
        if (!fileInfo.isFile()) continue; // a link to a folder, or a dangling one
        if (firstVisit(fileInfo)) files.push(file);
      }
    } else if (info.isFile()) {
      if (firstVisit(info)) files.push(path);
    } else {
      throw badData(path, 'is not a regular file or folder');
    }
  }
  if (folder && paths.length > 1) {
    throw new ApiError('invalid_argument', `${folder} is a folder of class folders; import it on its own, not with other paths`);
  }
  return { folder, files, dirs };
}

type Format = Exclude<SourceFormat, 'folder'>;

function detect(probe: FileProbe): Format {
  const { head, path } = probe;
  if (looksIdx(head)) return 'idx';
  // Named like an IDX file but not one: say what is wrong with it rather than "unknown format".
  if (/idx\d|ubyte/i.test(basename(path))) {
    parseIdxHeader(path, head);
    throw badData(path, `not an IDX file (starts with ${hex(head.subarray(0, 8))})`);
  }
  if (looksNpy(head)) return 'npy';
  if (looksZip(head)) {
    if (probe.gzip) throw badData(path, 'a zip archive inside gzip; unpack it first');
    return 'npz';
  }
  if (IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) {
    throw badData(path, 'is a single image; import the folder that holds one sub-folder of images per class');
  }
  // UTF-16 text (a spreadsheet's "Unicode text" export) is CSV in the wrong encoding: say so.
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw badData(path, `is UTF-16 text (${head[0] === 0xff ? 'little' : 'big'}-endian); save it as UTF-8 CSV and import that`);
  }
  if (looksCsv(head) || /\.csv$/i.test(stem(path) + extname(path))) return 'csv';
  throw badData(path, `not a known format (IDX, .npy, .npz, CSV or a folder of images); it starts with ${hex(head.subarray(0, 8))}`);
}

export async function parsePaths(paths: string[], options: ParseOptions = {}): Promise<ParsedDataset> {
  if (paths.length === 0) throw new ApiError('invalid_argument', 'No files or folders to import');
  throwIfAborted(options.signal);
  const { folder, files, dirs } = await expand(paths);
  const anonymous = new Set((options.anonymousDirs ?? []).map((d) => resolve(d)));
  if (folder) return parseFolder(folder, options, anonymous.has(folder));
  return parseFiles(files, dirs, options, anonymous);
}

async function parseFolder(root: string, options: ParseOptions, anonymous = false): Promise<ParsedDataset> {
  const size = options.imageSize ?? DEFAULT_IMAGE_SIZE;
  options.onProgress?.({ label: `Scanning ${basename(root)}`, done: 0, total: null });
  const layout = await scanImageFolder(root);
  const progress = { done: 0, total: layout.total };
  const report = (done: number, total: number) => options.onProgress?.({ label: `Decoding images in ${basename(root)}`, done, total });
  const decode = async (split: SplitName): Promise<SplitData | null> => {
    const s = layout.splits[split];
    if (!s) return null;
    const images = await decodeImages(s.files, { size, signal: options.signal, onProgress: report }, progress);
    return { count: s.files.length, images, labels: Uint8Array.from(s.labels) };
  };
  const train = (await decode('train'))!;
  const test = await decode('test');
  return {
    format: 'folder',
    sourcePath: root,
    // Class folders dropped on their own: the classes say what it is ("cat, dog").
    suggestedName: anonymous ? layout.classNames.slice(0, 3).join(', ') + (layout.classNames.length > 3 ? ', …' : '') : basename(root),
    shape: [size, size, 1],
    numClasses: layout.classNames.length,
    classNames: layout.classNames,
    train,
    test,
    files: [root],
  };
}

async function parseFiles(files: string[], dirs: string[], options: ParseOptions, anonymous: ReadonlySet<string> = new Set()): Promise<ParsedDataset> {
  const probes: FileProbe[] = [];
  for (const file of files) probes.push(await probeFile(file));
  const formats = probes.map(detect);
  const totalBytes = probes.reduce((sum, p) => sum + p.size, 0);
  let doneBefore = 0;

  const arrays: ArrayItem[] = [];
  const parts: Part[] = [];
  for (let i = 0; i < probes.length; i++) {
    throwIfAborted(options.signal);
    const probe = probes[i]!;
    const display = basename(probe.path);
    const readOptions = {
      signal: options.signal,
      maxBytes: options.maxBytes,
      onProgress: (done: number) => options.onProgress?.({ label: `Reading ${display}`, done: doneBefore + done, total: totalBytes }),
    };
    const name = stem(probe.path);
    switch (formats[i]!) {
      case 'idx': {
        const a = await readIdx(probe.path, { ...readOptions, probe });
        arrays.push({ display: probe.path, tokens: tokensOf(name), dims: a.dims, data: a.data });
        break;
      }
      case 'npy': {
        const a = await readNpy(probe, readOptions);
        arrays.push({ display: probe.path, tokens: tokensOf(name), dims: a.shape, data: a.data });
        break;
      }
      case 'npz': {
        for (const a of await readNpz(probe, readOptions)) {
          // np.savez_compressed(f, x) names the array arr_0: the file name then says what it is.
          const member = a.member && !/^arr_\d+$/.test(a.member) ? a.member : '';
          arrays.push({ display: a.label, tokens: tokensOf(`${name} ${member}`), dims: a.shape, data: a.data });
        }
        break;
      }
      case 'csv': {
        const c = await readCsv(probe, readOptions);
        parts.push({
          display: probe.path,
          labelsDisplay: probe.path,
          split: splitOf(tokensOf(name)),
          images: { count: c.count, height: c.height, width: c.width, channels: 1, data: c.images },
          labels: { count: c.count, data: c.labels },
        });
        break;
      }
    }
    doneBefore += probe.size;
  }

  parts.push(...pairArrays(arrays));
  const splits = assignSplits(parts);
  const train = concatParts(splits.train);
  const test = splits.test.length ? concatParts(splits.test) : null;
  const first = splits.train[0]!.images;
  const shape: [number, number, number] = [first.height, first.width, first.channels];
  const { numClasses, classNames } = checkLabels([...splits.train, ...splits.test], options.classNames ?? null);

  const commonDir = files.every((f) => dirname(f) === dirname(files[0]!)) ? dirname(files[0]!) : null;
  const sourcePath = dirs.length === 1 && commonDir === dirs[0] ? dirs[0]! : files.length === 1 ? files[0]! : (commonDir ?? files[0]!);
  const namedDir = (dir: string | null | undefined): dir is string => !!dir && !anonymous.has(dir);
  const suggestedName = commonName(files.map(stem)) || (namedDir(commonDir) ? basename(commonDir) : commonPrefix(files.map(stem)) || stem(files[0]!));
  return {
    format: formats[0]!,
    sourcePath,
    suggestedName: dirs.length === 1 && namedDir(dirs[0]) ? basename(dirs[0]) : suggestedName,
    shape,
    numClasses,
    classNames,
    train,
    test,
    files,
  };
}

/** Pairs image arrays with label arrays by name key, then by split when the names do not say. */
function pairArrays(arrays: ArrayItem[]): Part[] {
  const parts: Part[] = [];
  const images = arrays.filter((a) => !isLabelShape(a.dims));
  const labels = arrays.filter((a) => isLabelShape(a.dims));
  const used = new Set<ArrayItem>();
  const pair = (img: ArrayItem, lab: ArrayItem) => {
    used.add(img);
    used.add(lab);
    const imgSplit = splitOf(img.tokens);
    const labSplit = splitOf(lab.tokens);
    if (imgSplit && labSplit && imgSplit !== labSplit) {
      throw badData(img.display, `paired with labels ${lab.display}, but one is ${imgSplit} data and the other ${labSplit}`);
    }
    const imageBlock = imagesFromArray(img.display, img.dims, img.data);
    const labelBlock = labelsFromArray(lab.display, lab.dims, lab.data);
    if (imageBlock.count !== labelBlock.count) {
      throw badData(img.display, `${imageBlock.count} images but ${lab.display} has ${labelBlock.count} labels`);
    }
    parts.push({ display: img.display, labelsDisplay: lab.display, split: imgSplit ?? labSplit, images: imageBlock, labels: labelBlock });
  };
  // 1. Same key, exactly one of each.
  for (const img of images) {
    const key = pairKey(img.tokens);
    const sameImages = images.filter((a) => pairKey(a.tokens) === key);
    const sameLabels = labels.filter((a) => pairKey(a.tokens) === key);
    if (sameImages.length === 1 && sameLabels.length === 1) pair(img, sameLabels[0]!);
  }
  // 2. What is left: one images and one labels array of the same split (or both of unknown split).
  for (const img of images.filter((a) => !used.has(a))) {
    const split = splitOf(img.tokens);
    const candidates = labels.filter((a) => !used.has(a) && splitOf(a.tokens) === split);
    const rivals = images.filter((a) => !used.has(a) && splitOf(a.tokens) === split);
    if (candidates.length === 1 && rivals.length === 1) pair(img, candidates[0]!);
  }
  const strayImages = images.find((a) => !used.has(a));
  if (strayImages) {
    throw badData(strayImages.display, 'images without labels: no labels file pairs with it (name them alike, e.g. train-images… and train-labels…)');
  }
  const strayLabels = labels.find((a) => !used.has(a));
  if (strayLabels) throw badData(strayLabels.display, 'labels without images: no images file pairs with it');
  return parts;
}

function assignSplits(parts: Part[]): Record<SplitName, Part[]> {
  if (parts.length === 0) throw new ApiError('bad_data', 'No images found in the given files');
  const tagged = parts.filter((p) => p.split);
  if (tagged.length === 0) {
    if (parts.length > 1) {
      throw badData(parts[1]!.display, `cannot tell training from test data among ${parts.map((p) => basename(p.display)).join(', ')}; put "train" or "test" in the file names`);
    }
    return { train: parts, test: [] };
  }
  const untagged = parts.find((p) => !p.split);
  if (untagged) throw badData(untagged.display, 'cannot tell whether this is training or test data; put "train" or "test" in its name');
  const train = parts.filter((p) => p.split === 'train');
  const test = parts.filter((p) => p.split === 'test');
  // Only test data (MNIST's t10k-* files alone): it is the training data, and the importer holds a
  // seeded part of it out for validation, as for a folder without a test split.
  if (train.length === 0) return assignSplits(test.map((p) => ({ ...p, split: 'train' as const })));
  const ref = train[0]!;
  for (const p of parts) {
    const a = ref.images;
    const b = p.images;
    if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
      throw badData(p.display, `images are ${b.height}x${b.width}x${b.channels} but ${ref.display} has ${a.height}x${a.width}x${a.channels}`);
    }
  }
  return { train, test };
}

function concatParts(parts: Part[]): SplitData {
  if (parts.length === 1) {
    const [p] = parts as [Part];
    return { count: p.images.count, images: p.images.data, labels: p.labels.data };
  }
  const count = parts.reduce((n, p) => n + p.images.count, 0);
  const per = parts[0]!.images.data.length / parts[0]!.images.count;
  const images = new Uint8Array(count * per);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images.data, at * per);
    labels.set(p.labels.data, at);
    at += p.images.count;
  }
  return { count, images, labels };
}

function checkLabels(parts: Part[], classNames: string[] | null): { numClasses: number; classNames: string[] | null } {
  let max = 0;
  let maxAt: Part | null = null;
  for (const p of parts) {
    const data = p.labels.data;
    for (let i = 0; i < data.length; i++) {
      if (data[i]! > max) {
        max = data[i]!;
        maxAt = p;
      }
    }
  }
  if (classNames) {
    if (max >= classNames.length) {
      throw badData(maxAt!.labelsDisplay, `label ${max} is out of range for the ${classNames.length} classes ${classNames.slice(0, 4).join(', ')}…`);
    }
    return { numClasses: classNames.length, classNames };
  }
  if (max === 0) throw badData(parts[0]!.labelsDisplay, 'every label is 0; a classifier needs at least two classes');
  // Labels 0…max with only one of them used ("all 3s") would train to 100 % on nothing.
  const seen = new Set<number>();
  for (const p of parts) for (const label of p.labels.data) if (seen.add(label).size > 1) break;
  if (seen.size < 2) throw badData(parts[0]!.labelsDisplay, `every label is ${max}; a classifier needs at least two classes`);
  return { numClasses: max + 1, classNames: null };
}
