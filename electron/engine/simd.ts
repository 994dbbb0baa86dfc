/**
 * Two WebAssembly SIMD kernels for the wasm backend's optimizer step, assembled here at runtime
 * (no toolchain, no binary blob: the instruction lists below are the source):
 *
 *   sumsq(ptr, n) → Σ x²            over n float32 (n a multiple of 4), for clip_grad_norm_
 *   adam(src, dst, g, m, v, n, …)   one Adam/AdamW update of n floats, in float32 like PyTorch
 *
 * They import tfjs-backend-wasm's own WebAssembly.Memory, so they read gradients and update
 * weights and moments where tfjs keeps them: no copies, 4 lanes at a time. Measured on the 2-core
 * bench machine, `both` (270k parameters): the same step in a JS loop takes ~2 ms, in tfjs ops ~3.
 */

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const str = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

// Instructions (https://webassembly.github.io/spec/core/binary/instructions.html).
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32const = (v: number) => [0x41, ...sleb(v)];
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const br = (depth: number) => [0x0c, ...uleb(depth)];
const brIf = (depth: number) => [0x0d, ...uleb(depth)];
const END = [0x0b];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const V_LOAD = simd(0x00, 2, 0); // align 2^2 (any address works), offset 0
const V_STORE = simd(0x0b, 2, 0);
const F32X4_SPLAT = simd(0x13);
const extractLane = (lane: number) => simd(0x1f, lane);
const F32X4_SQRT = simd(0xe3);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_DIV = simd(0xe7);
const F32_ADD = [0x92];

/** `base + k` address then a v128.load. */
const loadAt = (base: number, k: number) => [...get(base), ...get(k), ...I32_ADD, ...V_LOAD];

function sumsqBody(): number[] {
  // params: 0 ptr, 1 n; locals: 2 k, 3 end (i32), 4 acc, 5 x (v128)
  const [ptr, n, k, end, acc, x] = [0, 1, 2, 3, 4, 5];
  const code = [
    ...get(n), ...i32const(2), ...I32_SHL, ...set(end),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(end), ...I32_GE_U, ...brIf(1),
    ...loadAt(ptr, k), ...tee(x), ...get(x), ...F32X4_MUL, ...get(acc), ...F32X4_ADD, ...set(acc),
    ...get(k), ...i32const(16), ...I32_ADD, ...set(k),
    ...br(0), ...END, ...END,
    ...get(acc), ...extractLane(0), ...get(acc), ...extractLane(1), ...F32_ADD,
    ...get(acc), ...extractLane(2), ...F32_ADD, ...get(acc), ...extractLane(3), ...F32_ADD,
    ...END,
  ];
  return [...vec([[2, I32], [2, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code];
}

function adamBody(): number[] {
  // params: 0 src, 1 dst, 2 g, 3 m, 4 v, 5 n (i32); 6 scale, 7 decay, 8 l2, 9 b1, 10 b2, 11 c1,
  // 12 c2, 13 stepSize, 14 bc2Sqrt, 15 eps (f32). locals: 16 k, 17 end (i32); 18..27 the f32
  // params splatted to f32x4; 28 s, 29 d, 30 mNew, 31 vNew (v128).
  const [src, dst, g, m, v, n] = [0, 1, 2, 3, 4, 5];
  const [k, end] = [16, 17];
  const splat = (param: number) => param + 12; // 6 → 18 … 15 → 27
  const [scale, decay, l2, b1, b2, c1, c2, step, bc2, eps] = [18, 19, 20, 21, 22, 23, 24, 25, 26, 27] as const;
  const [s, d, mNew, vNew] = [28, 29, 30, 31];
  const code = [
    ...get(n), ...i32const(2), ...I32_SHL, ...set(end),
    ...[6, 7, 8, 9, 10, 11, 12, 13, 14, 15].flatMap((p) => [...get(p), ...F32X4_SPLAT, ...set(splat(p))]),
    ...BLOCK, ...LOOP,
    ...get(k), ...get(end), ...I32_GE_U, ...brIf(1),
    // s = src[k]
    ...loadAt(src, k), ...set(s),
    // d = g[k]·scale + l2·s            (clipped gradient, plus Adam's L2 term; l2 = 0 for AdamW)
    ...loadAt(g, k), ...get(scale), ...F32X4_MUL, ...get(l2), ...get(s), ...F32X4_MUL, ...F32X4_ADD, ...set(d),
    // m = b1·m + (1 − b1)·d
    ...loadAt(m, k), ...get(b1), ...F32X4_MUL, ...get(c1), ...get(d), ...F32X4_MUL, ...F32X4_ADD, ...set(mNew),
    ...get(m), ...get(k), ...I32_ADD, ...get(mNew), ...V_STORE,
    // v = b2·v + (1 − b2)·d²
    ...loadAt(v, k), ...get(b2), ...F32X4_MUL, ...get(c2), ...get(d), ...F32X4_MUL, ...get(d), ...F32X4_MUL, ...F32X4_ADD, ...set(vNew),
    ...get(v), ...get(k), ...I32_ADD, ...get(vNew), ...V_STORE,
    // dst = s·decay − stepSize·m / (√v / √(1 − b2ᵗ) + eps)
    ...get(dst), ...get(k), ...I32_ADD,
    ...get(s), ...get(decay), ...F32X4_MUL,
    ...get(step), ...get(mNew), ...F32X4_MUL,
    ...get(vNew), ...F32X4_SQRT, ...get(bc2), ...F32X4_DIV, ...get(eps), ...F32X4_ADD,
    ...F32X4_DIV, ...F32X4_SUB, ...V_STORE,
    ...get(k), ...i32const(16), ...I32_ADD, ...set(k),
    ...br(0), ...END, ...END,
    ...END,
  ];
  return [...vec([[2, I32], [14, V128]].map(([c, t]) => [...uleb(c!), t!])), ...code];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const types = vec([
    [0x60, ...vec([I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32].map((t) => [t])), ...vec([])],
    [0x60, ...vec([[I32], [I32]]), ...vec([[F32]])],
  ]);
  const imports = vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]]);
  const functions = vec([[0], [1]]);
  const exports = vec([
    [...str('adam'), 0x00, 0],
    [...str('sumsq'), 0x00, 1],
  ]);
  const bodies = [adamBody(), sumsqBody()];
  const code = vec(bodies.map((b) => [...uleb(b.length), ...b]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

export interface SimdKernels {
  /** Σ x² of n float32 at byte address ptr; n must be a multiple of 4. */
  sumsq(ptr: number, n: number): number;
  /** Adam/AdamW on n floats (multiple of 4): reads src, writes dst (may equal src), updates m, v. */
  adam(
    src: number, dst: number, g: number, m: number, v: number, n: number,
    scale: number, decay: number, l2: number, b1: number, b2: number, c1: number, c2: number,
    stepSize: number, bc2Sqrt: number, eps: number,
  ): void;
}

const cache = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

/** The kernels bound to `memory`, or null where WebAssembly SIMD is unavailable. */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels | null {
  if (cache.has(memory)) return cache.get(memory)!;
  let kernels: SimdKernels | null = null;
  try {
    const bytes = moduleBytes();
    if (WebAssembly.validate(bytes)) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      kernels = instance.exports as unknown as SimdKernels;
    }
  } catch {
    kernels = null;
  }
  cache.set(memory, kernels);
  return kernels;
}
