/**
 * The in-memory shapes every parser produces and the importer normalises: images as u8,
 * sample-major, row-major HWC (what storage writes and the trainer reads without conversion), and
 * labels as one u8 per sample.
 */
import { badData } from './errors';

export type SplitName = 'train' | 'test';

export interface ImageBlock {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** count * height * width * channels bytes. */
  data: Uint8Array;
}

export interface LabelBlock {
  count: number;
  data: Uint8Array;
}

/** One split's samples: images[i] belongs to labels[i]. */
export interface SplitData {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/**
 * Interprets an N-dimensional u8 array (from IDX or .npy) as images:
 * (N, D) with D a square, (N, H, W), (N, H, W, C) with C ≤ 4, or (N, C, H, W) with C ≤ 4
 * (PyTorch's layout, transposed here to HWC).
 */
export function imagesFromArray(file: string, dims: number[], data: Uint8Array): ImageBlock {
  const [n = 0] = dims;
  if (dims.length === 2) {
    const side = Math.round(Math.sqrt(dims[1]!));
    if (side * side !== dims[1]) {
      throw badData(file, `rows of ${dims[1]} values are not square images (shape [${dims.join(', ')}])`);
    }
    return { count: n, height: side, width: side, channels: 1, data };
  }
  if (dims.length === 3) return { count: n, height: dims[1]!, width: dims[2]!, channels: 1, data };
  if (dims.length === 4) {
    const [, a, b, c] = dims as [number, number, number, number];
    if (c <= 4) return { count: n, height: a, width: b, channels: c, data };
    if (a <= 4) return { count: n, height: b, width: c, channels: a, data: a === 1 ? data : chwToHwc(data, n, a, b, c) };
    throw badData(file, `cannot tell the channel axis of image shape [${dims.join(', ')}] (expected N,H,W,C or N,C,H,W with at most 4 channels)`);
  }
  throw badData(file, `shape [${dims.join(', ')}] is not a stack of images`);
}

function chwToHwc(src: Uint8Array, n: number, c: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(src.length);
  const plane = h * w;
  const per = c * plane;
  for (let s = 0; s < n; s++) {
    const base = s * per;
    for (let ch = 0; ch < c; ch++) {
      const from = base + ch * plane;
      for (let p = 0; p < plane; p++) out[base + p * c + ch] = src[from + p]!;
    }
  }
  return out;
}

/** Labels are 1-D, or (N, 1) as some exporters write them. */
export function labelsFromArray(file: string, dims: number[], data: Uint8Array): LabelBlock {
  if (dims.length === 1 || (dims.length === 2 && dims[1] === 1)) return { count: dims[0]!, data };
  throw badData(file, `shape [${dims.join(', ')}] is not a list of labels`);
}

/** Whether an array of this shape holds labels (else images). */
export function isLabelShape(dims: number[]): boolean {
  return dims.length === 1 || (dims.length === 2 && dims[1] === 1);
}

/** A byte buffer that grows by doubling, for parsers that cannot know their output size up front. */
export class GrowableBytes {
  private buffer: Uint8Array;
  length = 0;

  constructor(initial = 1 << 16) {
    this.buffer = new Uint8Array(Math.max(16, initial));
  }

  /** Makes room for `extra` more bytes and returns the buffer to write into at `length`. */
  reserve(extra: number): Uint8Array {
    const need = this.length + extra;
    if (need > this.buffer.length) {
      let size = this.buffer.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(0, this.length));
      this.buffer = next;
    }
    return this.buffer;
  }

  push(byte: number): void {
    this.reserve(1)[this.length++] = byte;
  }

  /** The bytes written so far (a view when the buffer is full, else a trimmed copy). */
  toBytes(): Uint8Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
  }
}
