/**
 * A folder of class sub-folders of images, as torchvision's ImageFolder reads them:
 *
 *   root/cat/001.png, root/dog/abc.jpg, …            one split (a hold-out is carved later)
 *   root/train/cat/…, root/test/cat/…                 train and test splits ("val"/"validation"
 *                                                     also count as test)
 *
 * Class names are the folder names, sorted by code point like ImageFolder so label indices match
 * a notebook's. Every image is decoded with sharp, alpha dropped (as PIL's convert('L') does),
 * converted to grayscale and resized to size x size (stretched, like transforms.Resize((s, s))),
 * so mixed sizes and colour modes are fine; a file in a class folder that is not an image is an
 * error, not skipped silently.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { SplitName } from './blocks';
import { badData, cancelledError, fileError } from './errors';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.jpe', '.jfif', '.webp', '.gif', '.tif', '.tiff']);
const TRAIN_DIRS = new Set(['train', 'training']);
const TEST_DIRS = new Set(['test', 'testing', 'val', 'valid', 'validation']);
/** Files operating systems and tools drop into folders; never data. */
const IGNORED_FILES = /^(\..*|thumbs\.db|desktop\.ini)$/i;

export interface FolderLayout {
  root: string;
  classNames: string[];
  splits: Partial<Record<SplitName, { files: string[]; labels: number[] }>>;
  total: number;
}

export interface FolderReadOptions {
  size: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Images decoded at once; sharp runs each on its own libuv thread. */
  concurrency?: number;
}

/**
 * A folder's entries with symbolic links followed (as torchvision's ImageFolder does): a class
 * folder that is a link to another disk counts as a folder. A dangling link is left out.
 */
async function entries(dir: string): Promise<{ name: string; isFile(): boolean; isDirectory(): boolean }[]> {
  let list;
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw fileError(dir, error);
  }
  const out = [];
  for (const entry of list) {
    if (!entry.isSymbolicLink()) {
      out.push(entry);
      continue;
    }
    const target = await stat(join(dir, entry.name)).catch(() => null);
    if (target) out.push({ name: entry.name, isFile: () => target.isFile(), isDirectory: () => target.isDirectory() });
  }
  return out;
}

const isImageName = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

/**
 * Whether `dir` is laid out as class folders (directly or under train/ and test/): true when it has
 * sub-folders and one of them holds an image, directly or one level down.
 */
export async function looksLikeImageFolder(dir: string): Promise<boolean> {
  for (const sub of (await entries(dir)).filter((e) => e.isDirectory() && !IGNORED_FILES.test(e.name))) {
    const inner = await entries(join(dir, sub.name));
    if (inner.some((e) => e.isFile() && isImageName(e.name))) return true;
    for (const deeper of inner.filter((e) => e.isDirectory() && !IGNORED_FILES.test(e.name))) {
      if ((await entries(join(dir, sub.name, deeper.name))).some((e) => e.isFile() && isImageName(e.name))) return true;
    }
  }
  return false;
}

/** All files under a class folder, recursively (ImageFolder also walks sub-folders). */
async function filesUnder(dir: string, out: string[], seen = new Set<string>()): Promise<void> {
  // Followed links could lead back up the tree: each real folder is walked once.
  const real = await realpath(dir).catch(() => dir);
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of (await entries(dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (IGNORED_FILES.test(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await filesUnder(path, out, seen);
    else if (!isImageName(entry.name)) {
      throw badData(path, `not an image (expected ${[...IMAGE_EXTENSIONS].join(', ')} files in class folders)`);
    } else out.push(path);
  }
}

export async function scanImageFolder(root: string): Promise<FolderLayout> {
  const top = (await entries(root)).filter((e) => !IGNORED_FILES.test(e.name));
  const dirs = top.filter((e) => e.isDirectory()).map((e) => e.name);
  const loose = top.filter((e) => e.isFile() && isImageName(e.name));
  if (loose.length) {
    throw badData(join(root, loose[0]!.name), 'images directly in the import folder have no class: put each class in its own sub-folder');
  }
  const trainDir = dirs.find((d) => TRAIN_DIRS.has(d.toLowerCase()));
  const testDir = dirs.find((d) => TEST_DIRS.has(d.toLowerCase()));
  const splitRoots: Partial<Record<SplitName, string>> =
    trainDir && testDir ? { train: join(root, trainDir), test: join(root, testDir) } : trainDir && !dirs.some((d) => d !== trainDir) ? { train: join(root, trainDir) } : { train: root };

  const classSet = new Set<string>();
  const classDirs: Partial<Record<SplitName, string[]>> = {};
  for (const [split, dir] of Object.entries(splitRoots) as [SplitName, string][]) {
    const inner = (await entries(dir)).filter((e) => !IGNORED_FILES.test(e.name));
    const names = inner.filter((e) => e.isDirectory()).map((e) => e.name);
    const strayImage = inner.find((e) => e.isFile() && isImageName(e.name));
    if (strayImage) throw badData(join(dir, strayImage.name), 'an image outside any class folder: put each class in its own sub-folder');
    classDirs[split] = names;
    for (const name of names) classSet.add(name);
  }
  // Code-point order, like Python's sorted() in torchvision's ImageFolder.
  const classNames = [...classSet].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classNames.length < 2) throw badData(root, `found ${classNames.length} class folder${classNames.length === 1 ? '' : 's'}; a classifier needs at least two`);
  if (classNames.length > 256) throw badData(root, `${classNames.length} class folders; at most 256 classes are supported (labels are stored as one byte)`);

  const layout: FolderLayout = { root, classNames, splits: {}, total: 0 };
  const perClass = new Array<number>(classNames.length).fill(0);
  for (const [split, dir] of Object.entries(splitRoots) as [SplitName, string][]) {
    const files: string[] = [];
    const labels: number[] = [];
    for (const name of classDirs[split]!) {
      const before = files.length;
      await filesUnder(join(dir, name), files);
      const label = classNames.indexOf(name);
      for (let i = before; i < files.length; i++) labels.push(label);
      perClass[label]! += files.length - before;
    }
    layout.splits[split] = { files, labels };
    layout.total += files.length;
  }
  const empty = perClass.findIndex((n) => n === 0);
  if (empty >= 0) throw badData(join(root, classNames[empty]!), 'class folder holds no images');
  if (!layout.splits.train?.files.length) throw badData(splitRoots.train!, 'no training images');
  return layout;
}

/** Decodes one split's images into one HWC u8 buffer (channels 1). */
export async function decodeImages(files: string[], options: FolderReadOptions, progress: { done: number; total: number }): Promise<Uint8Array> {
  const { size, signal } = options;
  const pixels = size * size;
  const out = new Uint8Array(files.length * pixels);
  let next = 0;
  let stopped = false;
  const decodeAll = async () => {
    for (;;) {
      if (stopped) return;
      if (signal?.aborted) throw cancelledError();
      const index = next++;
      if (index >= files.length) return;
      const file = files[index]!;
      let bytes: Buffer;
      try {
        // Read here rather than letting sharp open the path: an OS error then says what it is.
        bytes = await readFile(file);
      } catch (error) {
        throw fileError(file, error);
      }
      if (bytes.length === 0) throw badData(file, 'the file is empty');
      let data: Buffer;
      try {
        data = await sharp(bytes, { failOn: 'error' })
          .removeAlpha()
          .toColourspace('b-w')
          .resize(size, size, { fit: 'fill' })
          .raw({ depth: 'uchar' })
          .toBuffer();
      } catch (error) {
        throw badData(file, `not a readable image (${(error as Error).message})`);
      }
      if (data.length !== pixels) throw badData(file, `decoded to ${data.length} bytes, expected ${pixels} (${size}x${size} grayscale)`);
      out.set(data, index * pixels);
      progress.done++;
      options.onProgress?.(progress.done, progress.total);
    }
  };
  const worker = async () => {
    try {
      await decodeAll();
    } catch (error) {
      stopped = true;
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return out;
}
