/**
 * PyTorch ⇄ ModelSpec: "Copy as PyTorch" writes `nn.Sequential(...)` code a notebook can run, and
 * "Paste from PyTorch" reads either such code or the repr PyTorch prints for a model
 * (`Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n  (1): Linear(in_features=784, …)…)`),
 * because that is what users have at hand in a notebook's output cell.
 *
 * The reader is a small tokenizer plus a recursive-descent parser for call expressions: enough
 * Python to read module constructors, keyword arguments, tuples and the `(name): Module(...)`
 * children of a printed repr. The only thing it evaluates is arithmetic on number literals in
 * arguments (`nn.Linear(28*28, 256)` is ordinary notebook code); names it cannot know (`in_f * 2`)
 * stay unevaluated and are refused where a number is needed. Anything that is not a
 * Linear / BatchNorm1d / Dropout / activation stack is refused with the layer named.
 *
 * Pure TypeScript: no DOM, no Node.
 */
import { ModelSpec, NORMAL_INIT_DEFAULT_STD, type Init, type InitKind, type LayerSpec, type ModelSpecInput } from './domain';
import { ApiError } from './errors';
import { PRESET_NAMES, presetModel } from './models';

// ---------------------------------------------------------------------------------------------
// Export

const INIT_CALL: Record<Exclude<InitKind, 'torch_default' | 'normal'>, string> = {
  kaiming_uniform: 'kaiming_uniform_',
  kaiming_normal: 'kaiming_normal_',
  xavier_uniform: 'xavier_uniform_',
  xavier_normal: 'xavier_normal_',
};

function pyNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(value);
}

function initStatement(init: Init, target: string): string {
  switch (init.kind) {
    case 'torch_default':
      // What nn.Linear.reset_parameters() does to the weight.
      return `nn.init.kaiming_uniform_(${target}, a=math.sqrt(5))`;
    case 'normal':
      return `nn.init.normal_(${target}, std=${pyNumber(init.std ?? NORMAL_INIT_DEFAULT_STD)})`;
    default:
      return `nn.init.${INIT_CALL[init.kind]}(${target})`;
  }
}

function sameInit(a: Init | undefined, b: Init): boolean {
  if (!a) return true;
  return a.kind === b.kind && (a.kind !== 'normal' || (a.std ?? NORMAL_INIT_DEFAULT_STD) === (b.std ?? NORMAL_INIT_DEFAULT_STD));
}

/**
 * PyTorch code that builds the same network: `nn.Sequential(...)` plus the weight initialisation.
 * `inputShape` is the per-sample [h, w, c] of the data set (Linear needs its in_features).
 */
export function toPyTorch(specInput: ModelSpec | ModelSpecInput, inputShape: readonly number[] = [28, 28, 1]): string {
  const spec = ModelSpec.parse(specInput);
  let features: number | null = null; // null while the input is still an image
  const imageFeatures = inputShape.reduce((a, b) => a * b, 1);
  const lines: string[] = [];
  const overrides: string[] = [];
  let needsMath = false;
  spec.layers.forEach((layer, index) => {
    switch (layer.type) {
      case 'flatten':
        lines.push('nn.Flatten()');
        features = imageFeatures;
        break;
      case 'linear': {
        const inF = features ?? imageFeatures;
        lines.push(`nn.Linear(${inF}, ${layer.units}${layer.bias ? '' : ', bias=False'})`);
        features = layer.units;
        if (layer.init && !sameInit(layer.init, spec.init)) {
          overrides.push(initStatement(layer.init, `model[${index}].weight`));
          if (layer.init.kind === 'torch_default') needsMath = true;
        }
        break;
      }
      case 'batchnorm1d': {
        const extra = [
          layer.eps !== 1e-5 ? `eps=${pyNumber(layer.eps)}` : '',
          layer.momentum !== 0.1 ? `momentum=${pyNumber(layer.momentum)}` : '',
        ].filter(Boolean);
        lines.push(`nn.BatchNorm1d(${[String(features ?? imageFeatures), ...extra].join(', ')})`);
        break;
      }
      case 'dropout':
        lines.push(`nn.Dropout(p=${pyNumber(layer.p)})`);
        break;
      case 'relu':
        lines.push('nn.ReLU()');
        break;
      case 'leaky_relu':
        lines.push(`nn.LeakyReLU(negative_slope=${pyNumber(layer.negativeSlope)})`);
        break;
      case 'tanh':
        lines.push('nn.Tanh()');
        break;
      case 'sigmoid':
        lines.push('nn.Sigmoid()');
        break;
      case 'gelu':
        lines.push('nn.GELU()');
        break;
    }
  });
  const out: string[] = [];
  out.push('import torch.nn as nn');
  out.push('');
  out.push('model = nn.Sequential(');
  for (const line of lines) out.push(`    ${line},`);
  out.push(')');
  // torch_default is what nn.Linear does on its own: no init code needed.
  if (spec.init.kind !== 'torch_default') {
    out.push('');
    out.push('');
    out.push('def init_weights(m):');
    out.push('    if isinstance(m, nn.Linear):');
    out.push(`        ${initStatement(spec.init, 'm.weight')}`);
    out.push('');
    out.push('');
    out.push('model.apply(init_weights)');
  }
  if (overrides.length) {
    out.push('');
    out.push('# Per-layer initialisation');
    out.push(...overrides);
  }
  if (needsMath) out.unshift('import math');
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type Op = '+' | '-' | '*' | '/' | '//' | '%' | '**';

type Token =
  | { kind: 'name'; text: string; at: number }
  | { kind: 'number'; value: number; text: string; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'op'; text: Op; at: number }
  | { kind: 'punct'; text: '(' | ')' | ',' | '=' | ':' | '[' | ']'; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // Unsigned: a minus sign is an operator (unary or binary), so `28*28-4` reads as arithmetic.
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i, i + 40));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][\w.]*/.exec(source.slice(i, i + 200));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new ApiError('invalid_argument', 'Unterminated string in the pasted code');
      tokens.push({ kind: 'string', value: source.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const op = /^(?:\*\*|\/\/|[-+*/%])/.exec(source.slice(i, i + 2));
    if (op) {
      tokens.push({ kind: 'op', text: op[0] as Op, at: i });
      i += op[0].length;
      continue;
    }
    if ('(),=:[]'.includes(c)) {
      tokens.push({ kind: 'punct', text: c as '(', at: i });
      i++;
      continue;
    }
    // Anything else (braces, dots on their own…) is kept as an opaque name so that argument lists
    // with odd expressions still parse; values that matter to us are numbers.
    tokens.push({ kind: 'name', text: c, at: i });
    i++;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser: call expressions with positional and keyword arguments, and repr children.

type Value = number | string | boolean | null | Value[] | Call | { expr: string };

interface Call {
  kind: 'call';
  /** The last dotted component: `torch.nn.Linear` → `Linear`. */
  name: string;
  args: Value[];
  kwargs: Record<string, Value>;
  /** Printed-repr children `(0): Linear(...)`, in order. */
  children: Call[];
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isPunct(token: Token | undefined, text: string): boolean {
    return token?.kind === 'punct' && token.text === text;
  }

  private expect(text: string): void {
    const token = this.peek();
    if (!this.isPunct(token, text)) {
      throw new ApiError('invalid_argument', `Could not read the pasted model: expected "${text}" near ${describe(token)}`);
    }
    this.pos++;
  }

  /** `(label):` as printed before each child module in a repr. */
  private atChildLabel(): boolean {
    return (
      this.isPunct(this.peek(), '(') &&
      (this.peek(1)?.kind === 'name' || this.peek(1)?.kind === 'number') &&
      this.isPunct(this.peek(2), ')') &&
      this.isPunct(this.peek(3), ':')
    );
  }

  parseCall(): Call {
    const token = this.peek();
    if (token?.kind !== 'name') throw new ApiError('invalid_argument', `Could not read the pasted model near ${describe(token)}`);
    this.pos++;
    const call: Call = { kind: 'call', name: token.text.split('.').pop()!, args: [], kwargs: {}, children: [] };
    this.expect('(');
    while (!this.isPunct(this.peek(), ')')) {
      if (!this.peek()) throw new ApiError('invalid_argument', `Could not read the pasted model: "${call.name}(" is never closed`);
      if (this.atChildLabel()) {
        this.pos += 4;
        call.children.push(this.parseCall());
      } else if (this.peek()?.kind === 'name' && this.isPunct(this.peek(1), '=')) {
        const key = (this.peek() as { text: string }).text;
        this.pos += 2;
        call.kwargs[key] = this.parseValue();
      } else if (this.peekOp('*', '**')) {
        // Star-expansion at the start of an argument (`*layers`, `**kwargs`), not multiplication.
        throw new ApiError(
          'invalid_argument',
          'The pasted code builds its layers in a loop (`*layers`); paste the printed model instead (print(model) in the notebook)',
        );
      } else {
        call.args.push(this.parseValue());
      }
      if (this.isPunct(this.peek(), ',')) this.pos++;
    }
    this.pos++;
    return call;
  }

  /**
   * One argument: a literal, tuple/list, call, or arithmetic over them with Python's precedence
   * (`**` over unary minus over `* / // %` over `+ -`). Arithmetic on numbers is computed; with
   * anything else it stays an unevaluated expression.
   */
  parseValue(): Value {
    return this.parseSum();
  }

  private peekOp(...ops: Op[]): Op | null {
    const token = this.peek();
    return token?.kind === 'op' && ops.includes(token.text) ? token.text : null;
  }

  private parseSum(): Value {
    let left = this.parseProduct();
    for (let op = this.peekOp('+', '-'); op; op = this.peekOp('+', '-')) {
      this.pos++;
      left = arithmetic(op, left, this.parseProduct());
    }
    return left;
  }

  private parseProduct(): Value {
    let left = this.parseUnary();
    for (let op = this.peekOp('*', '/', '//', '%'); op; op = this.peekOp('*', '/', '//', '%')) {
      this.pos++;
      left = arithmetic(op, left, this.parseUnary());
    }
    return left;
  }

  private parseUnary(): Value {
    const op = this.peekOp('-', '+');
    if (!op) return this.parsePower();
    this.pos++;
    const operand = this.parseUnary();
    if (typeof operand === 'number') return op === '-' ? -operand : operand;
    return { expr: `${op}${exprText(operand)}` };
  }

  private parsePower(): Value {
    const base = this.parseAtom();
    if (!this.peekOp('**')) return base;
    this.pos++;
    return arithmetic('**', base, this.parseUnary()); // right-associative, binds tighter than unary minus on its left
  }

  private parseAtom(): Value {
    const token = this.peek();
    if (!token) throw new ApiError('invalid_argument', 'Could not read the pasted model: it ends too early');
    if (token.kind === 'number') {
      this.pos++;
      return token.value;
    }
    if (token.kind === 'string') {
      this.pos++;
      return token.value;
    }
    if (token.kind === 'punct' && (token.text === '(' || token.text === '[')) {
      const close = token.text === '(' ? ')' : ']';
      this.pos++;
      const items: Value[] = [];
      let trailingComma = false;
      while (!this.isPunct(this.peek(), close)) {
        if (!this.peek()) throw new ApiError('invalid_argument', 'Could not read the pasted model: a bracket is never closed');
        items.push(this.parseValue());
        trailingComma = this.isPunct(this.peek(), ',');
        if (trailingComma) this.pos++;
      }
      this.pos++;
      // `(28*28)` is a parenthesised value, `(28, 28)` and `(1,)` are tuples.
      if (close === ')' && items.length === 1 && !trailingComma) return items[0]!;
      return items;
    }
    if (token.kind === 'name') {
      if (this.isPunct(this.peek(1), '(')) return this.parseCall();
      this.pos++;
      if (token.text === 'True') return true;
      if (token.text === 'False') return false;
      if (token.text === 'None') return null;
      // A name we cannot know (`in_f`, `hidden`): kept as an unevaluated expression.
      return { expr: token.text };
    }
    throw new ApiError('invalid_argument', `Could not read the pasted model near ${describe(token)}`);
  }
}

function exprText(value: Value): string {
  if (typeof value === 'object' && value !== null && 'expr' in value) return value.expr;
  if (typeof value === 'object' && value !== null && 'kind' in value) return `${value.name}(…)`;
  return JSON.stringify(value);
}

/** Python's arithmetic on two numbers; anything else stays an expression we do not evaluate. */
function arithmetic(op: Op, left: Value, right: Value): Value {
  if (typeof left !== 'number' || typeof right !== 'number') return { expr: `${exprText(left)} ${op} ${exprText(right)}` };
  switch (op) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      if (right === 0) throw new ApiError('invalid_argument', 'The pasted code divides by zero');
      return left / right;
    case '//':
      if (right === 0) throw new ApiError('invalid_argument', 'The pasted code divides by zero');
      return Math.floor(left / right);
    case '%':
      if (right === 0) throw new ApiError('invalid_argument', 'The pasted code divides by zero');
      return left - right * Math.floor(left / right);
    case '**':
      return left ** right;
  }
}

function describe(token: Token | undefined): string {
  if (!token) return 'the end';
  if (token.kind === 'number') return `"${token.text}"`;
  if (token.kind === 'string') return `"${token.value}"`;
  return `"${token.text}"`;
}

// ---------------------------------------------------------------------------------------------
// Modules → layers

export interface ParsedPyTorch {
  model: ModelSpec;
  /** in_features of the first Linear layer (what the network expects after Flatten), if stated. */
  inputFeatures: number | null;
  /** Things the user should know: dropped trailing softmax, init assumed, … */
  notes: string[];
}

const SUPPORTED = 'Flatten, Linear, BatchNorm1d, Dropout, ReLU, LeakyReLU, Tanh, Sigmoid, GELU';
const CONTAINERS = new Set(['Sequential', 'ModuleList']);

function num(value: Value | undefined, what: string, where: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'expr' in value) {
    throw new ApiError(
      'invalid_argument',
      `${where}: ${what} is \`${value.expr}\`, which needs names from your notebook; paste the printed model instead (print(model) in the notebook)`,
    );
  }
  throw new ApiError('invalid_argument', `${where}: ${what} must be a number, got ${JSON.stringify(value ?? null)}`);
}

function arg(call: Call, index: number, key: string): Value | undefined {
  return key in call.kwargs ? call.kwargs[key] : call.args[index];
}

/** Children of a container in order, nested containers flattened. */
function flattenModules(call: Call): Call[] {
  if (call.children.length) return call.children.flatMap((c) => (CONTAINERS.has(c.name) || c.children.length ? flattenModules(c) : [c]));
  if (CONTAINERS.has(call.name)) {
    return call.args.flatMap((a) => {
      if (typeof a === 'object' && a !== null && !Array.isArray(a) && 'kind' in a) return CONTAINERS.has(a.name) ? flattenModules(a) : [a];
      if (Array.isArray(a)) return a.filter((x): x is Call => typeof x === 'object' && x !== null && !Array.isArray(x) && 'kind' in x);
      throw new ApiError('invalid_argument', `${call.name}(...) has an argument that is not a layer: ${JSON.stringify(a)}`);
    });
  }
  return [call];
}

function toLayers(modules: Call[], notes: string[]): { layers: LayerSpec[]; inputFeatures: number | null } {
  const layers: LayerSpec[] = [];
  let features: number | null = null;
  let inputFeatures: number | null = null;
  // Trailing (Log)Softmax: CrossEntropyLoss expects logits, which is what Sweeplab trains on.
  while (modules.length && ['Softmax', 'LogSoftmax'].includes(modules[modules.length - 1]!.name)) {
    notes.push(`Dropped the final ${modules[modules.length - 1]!.name}: Sweeplab trains with cross-entropy on the raw scores (logits), as nn.CrossEntropyLoss does`);
    modules = modules.slice(0, -1);
  }
  modules.forEach((m, i) => {
    const where = `layer ${i + 1} (${m.name})`;
    switch (m.name) {
      case 'Flatten': {
        const start = arg(m, 0, 'start_dim') ?? 1;
        const end = arg(m, 1, 'end_dim') ?? -1;
        if (start !== 1 || end !== -1) throw new ApiError('invalid_argument', `${where}: only Flatten(start_dim=1, end_dim=-1) is supported`);
        layers.push({ type: 'flatten' });
        break;
      }
      case 'Linear': {
        const inF = num(arg(m, 0, 'in_features'), 'in_features', where);
        const outF = num(arg(m, 1, 'out_features'), 'out_features', where);
        const bias = arg(m, 2, 'bias') ?? true;
        if (typeof bias !== 'boolean') throw new ApiError('invalid_argument', `${where}: bias must be True or False`);
        if (features === null) inputFeatures = inF;
        else if (inF !== features) {
          throw new ApiError('invalid_argument', `${where} takes ${inF} inputs but the layer before it gives ${features}`);
        }
        if (!Number.isInteger(outF) || outF < 1) throw new ApiError('invalid_argument', `${where}: out_features must be a positive integer`);
        layers.push({ type: 'linear', units: outF, bias });
        features = outF;
        break;
      }
      case 'BatchNorm1d': {
        const size = num(arg(m, 0, 'num_features'), 'num_features', where);
        if (features !== null && size !== features) {
          throw new ApiError('invalid_argument', `${where} normalises ${size} features but the layer before it gives ${features}`);
        }
        const eps = arg(m, 1, 'eps') ?? 1e-5;
        const momentum = arg(m, 2, 'momentum') ?? 0.1;
        const affine = arg(m, 3, 'affine') ?? true;
        const track = arg(m, 4, 'track_running_stats') ?? true;
        if (momentum === null) throw new ApiError('invalid_argument', `${where}: momentum=None (a cumulative average) is not supported`);
        if (affine !== true) throw new ApiError('invalid_argument', `${where}: affine=False is not supported`);
        if (track !== true) throw new ApiError('invalid_argument', `${where}: track_running_stats=False is not supported`);
        layers.push({ type: 'batchnorm1d', eps: num(eps, 'eps', where), momentum: num(momentum, 'momentum', where) });
        break;
      }
      case 'Dropout': {
        const p = num(arg(m, 0, 'p') ?? 0.5, 'p', where);
        layers.push({ type: 'dropout', p });
        break;
      }
      case 'ReLU':
        layers.push({ type: 'relu' });
        break;
      case 'LeakyReLU':
        layers.push({ type: 'leaky_relu', negativeSlope: num(arg(m, 0, 'negative_slope') ?? 0.01, 'negative_slope', where) });
        break;
      case 'Tanh':
        layers.push({ type: 'tanh' });
        break;
      case 'Sigmoid':
        layers.push({ type: 'sigmoid' });
        break;
      case 'GELU': {
        const approximate = arg(m, 0, 'approximate') ?? 'none';
        if (approximate !== 'none') throw new ApiError('invalid_argument', `${where}: only the exact GELU (approximate='none') is supported`);
        layers.push({ type: 'gelu' });
        break;
      }
      case 'Identity':
        notes.push(`Skipped ${where}: Identity does nothing`);
        break;
      default:
        throw new ApiError(
          'invalid_argument',
          `${where} is not supported: Sweeplab builds fully connected stacks of ${SUPPORTED}`,
          { layer: i, module: m.name },
        );
    }
  });
  return { layers, inputFeatures };
}

const INIT_BY_FN: Record<string, InitKind> = {
  kaiming_uniform_: 'kaiming_uniform',
  kaiming_normal_: 'kaiming_normal',
  xavier_uniform_: 'xavier_uniform',
  xavier_normal_: 'xavier_normal',
  normal_: 'normal',
};

function readInit(fn: string, args: string): Init | null {
  const kind = INIT_BY_FN[fn];
  if (!kind) return null;
  if (kind === 'kaiming_uniform' && /\ba\s*=\s*math\.sqrt\(\s*5\b/.test(args)) return { kind: 'torch_default' };
  if (kind === 'normal') {
    const std = /\bstd\s*=\s*([\d.eE+-]+)/.exec(args) ?? /^[^,]+,\s*[\d.eE+-]+\s*,\s*([\d.eE+-]+)/.exec(args);
    return { kind: 'normal', std: std ? Number(std[1]) : NORMAL_INIT_DEFAULT_STD };
  }
  return { kind };
}

/** `nn.init.X_(m.weight…)` applied to every Linear, and `nn.init.X_(model[i].weight…)` for one. */
function readInits(source: string, layerCount: number): { model: Init | null; perLayer: Map<number, Init> } {
  let model: Init | null = null;
  const perLayer = new Map<number, Init>();
  // The rest of the line after `.weight` holds the arguments (a=…, std=…).
  const re = /(?:nn\.)?init\.(\w+)\(\s*([\w.]+(?:\[\s*(\d+)\s*\])?)\.weight([^\n]*)/g;
  for (const match of source.matchAll(re)) {
    const init = readInit(match[1]!, match[4] ?? '');
    if (!init) continue;
    if (match[3] !== undefined) {
      const index = Number(match[3]);
      if (index < layerCount) perLayer.set(index, init);
    } else {
      model = init;
    }
  }
  return { model, perLayer };
}

/** Finds where the model starts: the first Sequential, else the first module repr with children. */
function findStart(source: string): number {
  const sequential = /(?:^|[^\w.])((?:[\w]+\.)*Sequential)\s*\(/.exec(source);
  if (sequential) return sequential.index + sequential[0].indexOf(sequential[1]!);
  const repr = /([A-Za-z_]\w*)\(\s*\n\s*\([\w]+\):/.exec(source);
  if (repr) return repr.index;
  const single = /(?:^|[^\w.])((?:[\w]+\.)*[A-Z]\w*)\s*\(/.exec(source);
  if (single) return single.index + single[0].indexOf(single[1]!);
  throw new ApiError('invalid_argument', 'Paste nn.Sequential(...) code or the model as PyTorch prints it (print(model))');
}

function sameLayers(a: ModelSpec, b: ModelSpec): boolean {
  return JSON.stringify({ init: a.init, layers: a.layers }) === JSON.stringify({ init: b.init, layers: b.layers });
}

/**
 * Reads `nn.Sequential(...)` code or a printed repr into a ModelSpec. Throws ApiError
 * ('invalid_argument') naming the layer for anything Sweeplab cannot build.
 * `defaultInit` is used when the text does not say how weights are initialised (a repr never does).
 */
export function fromPyTorch(source: string, options: { defaultInit?: Init } = {}): ParsedPyTorch {
  const text = source.replace(/\r\n?/g, '\n');
  if (!text.trim()) throw new ApiError('invalid_argument', 'Nothing to read: paste nn.Sequential(...) code or a printed model');
  const start = findStart(text);
  const root = new Parser(tokenize(text.slice(start))).parseCall();
  const modules = flattenModules(root);
  if (!modules.length) throw new ApiError('invalid_argument', 'The pasted model has no layers');
  const notes: string[] = [];
  const { layers, inputFeatures } = toLayers(modules, notes);
  if (!layers.length) throw new ApiError('invalid_argument', 'The pasted model has no layers');
  if (layers[0]!.type !== 'flatten') {
    layers.unshift({ type: 'flatten' });
    notes.push('Added a Flatten in front: images arrive as height × width × channels');
  }
  const isRepr = root.children.length > 0;
  const inits = readInits(text, layers.length);
  let init: Init;
  if (inits.model) init = inits.model;
  else if (isRepr) {
    init = options.defaultInit ?? { kind: 'kaiming_uniform' };
    notes.push(`A printed model does not say how its weights were initialised; using ${init.kind.replace('_', ' ')}`);
  } else if (inits.perLayer.size === 0 && !/nn\.init|init\./.test(text)) {
    init = { kind: 'torch_default' };
    notes.push("No nn.init call found, so weights use nn.Linear's own default (kaiming_uniform_ with a=√5)");
  } else init = options.defaultInit ?? { kind: 'kaiming_uniform' };
  const shift = modules.length && layers.length > modules.length ? 1 : 0; // the Flatten we added
  for (const [index, layerInit] of inits.perLayer) {
    const layer = layers[index + shift];
    if (layer?.type === 'linear' && !sameInit(layerInit, init)) layer.init = layerInit;
  }
  const parsed = ModelSpec.safeParse({ init, layers });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError('invalid_argument', `The pasted model is out of range at ${issue.path.join('.')}: ${issue.message}`);
  }
  const model = parsed.data;
  const last = [...model.layers].reverse().find((l) => l.type === 'linear');
  if (last?.type === 'linear') {
    for (const name of PRESET_NAMES) {
      const preset = presetModel(name, last.units);
      if (sameLayers(preset, model)) return { model: { ...model, preset: name }, inputFeatures, notes };
    }
  }
  return { model, inputFeatures, notes };
}
