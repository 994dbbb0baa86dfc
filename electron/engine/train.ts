/**
 * The training loop: one run of a ModelSpec + TrainConfig over in-memory data, epoch by epoch,
 * with the notebook's semantics (seeded shuffle each epoch, minibatches, mean cross-entropy,
 * clip_grad_norm_ then the optimizer every step, accuracy in eval mode after the epoch).
 *
 * Kept lean for wasm (measured; docs/engine.md): the step is one tf.tidy of explicit forward and
 * backward ops, the batch is uploaded from a Float32Array, loss and accuracy sums stay on the
 * device until the epoch ends, evaluation runs in batches of 1024, and on backends whose memory is
 * in-process the optimizer is one fused JS pass (optim.ts).
 *
 * Deterministic: the same seed on the same backend gives identical metrics; all randomness comes
 * from Rng streams whose state is checkpointed with the weights after every epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, EpochMetrics, EpochSteps as StepCurve, ModelSpec, TestResult, TrainConfig } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { directMemory, initBackend } from './backend';
import { readCheckpoint, writeCheckpoint, type CheckpointData } from './checkpoint';
import { featuresOf, fillBatch, trainingIndices, validateData, type ImageSplit, type TrainingData } from './data';
import { crossEntropy, evalLossAndCorrect, makeUploader, Network } from './model';
import { Optimizer } from './optim';
import { Rng, Streams } from './rng';
import { chanceAccuracy, explosion } from './divergence';
import { DeviceSteps, StepRecorder } from './steps';
import { adapterLine, compileMilliseconds, currentAdapter, settleGpu, throwIfGpuFault } from './webgpu';

export interface EpochTiming {
  trainSeconds: number;
  evalSeconds: number;
  /** WebGPU shader compilation during the epoch, left out of the two above and of metrics.seconds. */
  compileSeconds: number;
}

export interface TrainHooks {
  /** Once the backend is up and the model built (or restored). */
  /** `history`: the metrics of the epochs already done (from the checkpoint when resuming). */
  /** `device`: the GPU adapter (webgpu), one line; null on other backends. */
  onStarted?(info: { backend: BackendName; device: string | null; startEpoch: number; totalParams: number; fused: boolean; history: EpochMetrics[] }): void;
  /** After each finished epoch, before its checkpoint is written; `steps`: its per-step curve (steps.ts). */
  onEpoch?(metrics: EpochMetrics, timing: EpochTiming, steps: StepCurve): void | Promise<void>;
  onLog?(level: 'info' | 'warn', message: string): void;
  /** Checked after every batch and every epoch; true ends the run as 'cancelled'. */
  shouldStop?(): boolean;
  /** Milliseconds clock (performance.now by default); tests inject a fake one. */
  now?(): number;
  /** Called after every training step (tests use it to crash or cancel at a precise point). */
  onStep?(epoch: number, step: number): void;
}

export interface TrainOptions {
  model: ModelSpec;
  config: TrainConfig;
  data: TrainingData;
  /** Where to write a checkpoint after every epoch; null: no checkpoints. */
  checkpointDir?: string | null;
  /** Continue from the checkpoint in checkpointDir when there is one. */
  resume?: boolean;
  hooks?: TrainHooks;
  /** The untouched test split, evaluated once after the last epoch of a completed run (config.finalTest). */
  finalTest?: ImageSplit | null;
  /** Rows per evaluation batch (default 1024; results do not depend on it). */
  evalBatchSize?: number;
  /** Force the portable tfjs-ops optimizer even where the fused one is available (tests). */
  forceOpsOptimizer?: boolean;
}

export type TrainStatus = 'completed' | 'diverged' | 'cancelled';

export interface TrainResult {
  status: TrainStatus;
  /** For 'diverged': the epoch and what went non-finite. */
  error: string | null;
  backend: BackendName;
  /** Epochs finished in this call (after any resumed ones). */
  epochs: EpochMetrics[];
  /** Last finished epoch, counting resumed ones. */
  lastEpoch: number;
  /** The final test score (completed runs given finalTest); null or absent otherwise. */
  test?: TestResult | null;
}

/**
 * What must match for a checkpoint to be resumed: the model and every config field but
 * epochs/backend/finalTest. Validation on the test split is left out so that checkpoints written
 * before validation splits existed (which meant exactly that) still resume.
 */
export function runFingerprint(model: ModelSpec, config: TrainConfig): string {
  const { epochs: _e, backend: _b, finalTest: _f, validation, ...rest } = config;
  return JSON.stringify({ model, config: validation.split === 'test' ? rest : { ...rest, validation } });
}

/** What one run's phases share: the model, optimizer, data, random streams and hooks. */
interface Session {
  options: TrainOptions;
  config: TrainConfig;
  data: TrainingData;
  hooks: TrainHooks;
  now: () => number;
  log: (level: 'info' | 'warn', message: string) => void;
  net: Network;
  optimizer: Optimizer;
  mem: ReturnType<typeof directMemory>;
  features: number;
  numClasses: number;
  shuffleRng: Rng;
  dropoutRng: Rng;
  fingerprint: string;
  /** Training-set rows this run trains on (the subset, or all), and the epoch's shuffled copy. */
  base: Int32Array;
  order: Int32Array;
  hasBatchNorm: boolean;
  upload: ReturnType<typeof makeUploader>;
  lastYield: number;
  /** Per-step loss and norm of the current epoch; on the ops path they wait on the device until it ends. */
  recorder: StepRecorder;
  deviceLosses: DeviceSteps;
  deviceNorms: DeviceSteps;
}

/** What the steps of one epoch add up to. */
interface EpochSteps {
  meanLoss: number;
  steps: number;
  normSum: number;
  normMax: number;
  clipped: number;
  /** Why the run diverged during the steps (a non-finite gradient norm), or null. */
  diverged: string | null;
  /** shouldStop() said so during the epoch. */
  stopped: boolean;
}

/**
 * One run, in phases: restore (from a checkpoint), the steps of each epoch, the finiteness check,
 * evaluation, the divergence rule on the stored epochs, the checkpoint; the final test at the end.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, config, data } = options;
  const hooks = options.hooks ?? {};
  const log = (level: 'info' | 'warn', message: string) => hooks.onLog?.(level, message);
  validateData(data);
  if (data.test.count < 1) throw new ApiError('bad_data', 'the test split is empty; validation needs at least one sample');

  const backendInfo = await initBackend(config.backend);
  for (const skipped of backendInfo.skipped) log('info', `backend skipped: ${skipped}`);
  const backend = backendInfo.name;
  const mem = options.forceOpsOptimizer ? null : directMemory();
  const net = new Network(model, data.shape, data.numClasses, Rng.seeded(config.seed, Streams.init), mem);
  const optimizer = new Optimizer(config, net, mem);
  const base = trainingIndices(data.train.count, config.subset, config.seed);
  const now = hooks.now ?? (() => performance.now());
  const s: Session = {
    options,
    config,
    data,
    hooks,
    now,
    log,
    net,
    optimizer,
    mem,
    features: featuresOf(data),
    numClasses: data.numClasses,
    shuffleRng: Rng.seeded(config.seed, Streams.shuffle),
    dropoutRng: Rng.seeded(config.seed, Streams.dropout),
    fingerprint: runFingerprint(model, config),
    base,
    order: new Int32Array(base.length),
    hasBatchNorm: model.layers.some((l) => l.type === 'batchnorm1d'),
    upload: makeUploader(),
    lastYield: now(),
    recorder: new StepRecorder(config.clipNorm, config.epochs),
    deviceLosses: new DeviceSteps(),
    deviceNorms: new DeviceSteps(),
  };
  if (!mem) optimizer.onDeviceNorm = (norm) => s.deviceNorms.add(norm);
  const epochs: EpochMetrics[] = [];
  let startEpoch = 0;
  const finish = (status: TrainStatus, error: string | null, test: TestResult | null = null): TrainResult => {
    if (status === 'diverged') log('warn', `diverged: ${error}`);
    return { status, error, backend, epochs, lastEpoch: startEpoch + epochs.length, test };
  };

  try {
    const restored = restoreCheckpoint(s);
    startEpoch = restored.startEpoch;
    const history = restored.history;
    hooks.onStarted?.({ backend, device: deviceLine(backend), startEpoch, totalParams: net.totalParams, fused: mem !== null, history: history.slice() });
    const chance = chanceAccuracy(data.test.labels, data.numClasses);

    for (let epoch = startEpoch + 1; epoch <= config.epochs; epoch++) {
      const t0 = now();
      const compile0 = compileMilliseconds();
      const steps = await trainSteps(s, epoch, epoch === startEpoch + 1);
      if (steps.stopped) return finish('cancelled', null);
      await settleGpu();
      throwIfGpuFault();
      const deviceStats = await optimizer.takeDeviceNormStats();
      const stepCurve = await takeStepCurve(s, epoch);
      if (deviceStats) {
        steps.normSum = deviceStats.sum;
        steps.normMax = deviceStats.max;
        steps.clipped = deviceStats.clipped;
      }
      const nonFinite = steps.diverged ?? (await nonFiniteAfterEpoch(s, epoch, steps));
      if (nonFinite) return finish('diverged', nonFinite);
      const t1 = now();
      const compile1 = compileMilliseconds();

      const { trainEval, valEval } = await evaluateEpoch(s);
      const t2 = now();
      const compileTrain = (compile1 - compile0) / 1000;
      const compileEval = (compileMilliseconds() - compile1) / 1000;
      if (!Number.isFinite(valEval.loss)) {
        // Finite weights can still give infinite cross-entropy on some sample (a logit gap past
        // float range): as unusable as a non-finite training loss, and not a number to store.
        return finish('diverged', `epoch ${epoch}: the validation loss became ${valEval.loss}`);
      }

      const metrics: EpochMetrics = {
        epoch,
        loss: steps.meanLoss,
        trainAcc: trainEval.acc,
        valAcc: valEval.acc,
        valLoss: valEval.loss,
        seconds: Math.max(0, (t2 - t0) / 1000 - compileTrain - compileEval),
        gradNormMean: steps.steps ? steps.normSum / steps.steps : 0,
        gradNormMax: steps.normMax,
        clippedFraction: steps.steps ? steps.clipped / steps.steps : 0,
      };
      epochs.push(metrics);
      history.push(metrics);
      await hooks.onEpoch?.(
        metrics,
        {
          trainSeconds: Math.max(0, (t1 - t0) / 1000 - compileTrain),
          evalSeconds: Math.max(0, (t2 - t1) / 1000 - compileEval),
          compileSeconds: compileTrain + compileEval,
        },
        stepCurve,
      );
      // A finite explosion: the epoch is kept (its curve shows the blow-up), the run stops here.
      const exploded = explosion(epoch, history.map((h) => h.loss), data.numClasses, metrics.valAcc, chance);
      if (exploded) return finish('diverged', exploded);
      await saveCheckpoint(s, epoch, history);
      // Let a cancel that arrived during the epoch in before starting the next one.
      await new Promise((resolve) => setImmediate(resolve));
      s.lastYield = now();
      if (hooks.shouldStop?.() && epoch < config.epochs) return finish('cancelled', null);
    }
    const test = options.finalTest ? await evaluate(net, options.finalTest, s.features, null, options.finalTest.count, options.evalBatchSize) : null;
    if (test) log('info', `test split (measured once, after the last epoch): accuracy ${test.acc.toFixed(4)}, loss ${test.loss.toFixed(4)}`);
    return finish('completed', null, test);
  } finally {
    s.deviceLosses.dispose();
    s.deviceNorms.dispose();
    optimizer.dispose();
    net.dispose();
  }
}

/** Resume: the weights, optimizer state, random streams and history of the checkpoint, when asked and there is one. */
function restoreCheckpoint(s: Session): { startEpoch: number; history: EpochMetrics[] } {
  const { options, log } = s;
  if (!options.resume || !options.checkpointDir) return { startEpoch: 0, history: [] };
  const ckpt = readCheckpoint(options.checkpointDir);
  if (!ckpt) {
    log('info', 'no checkpoint to resume from; starting from epoch 1');
    return { startEpoch: 0, history: [] };
  }
  if (ckpt.fingerprint !== s.fingerprint) {
    throw new ApiError('failed_precondition', 'the checkpoint belongs to a different model or training config; it cannot be resumed');
  }
  restore(s.net, s.optimizer, ckpt);
  s.shuffleRng.restore(ckpt.rng.shuffle);
  s.dropoutRng.restore(ckpt.rng.dropout);
  log('info', `resumed from the checkpoint of epoch ${ckpt.epoch}`);
  return { startEpoch: ckpt.epoch, history: ckpt.history };
}

/** The training steps of one epoch: a seeded shuffle, then forward, backward, clip and update per minibatch. */
async function trainSteps(s: Session, epoch: number, firstOfCall: boolean): Promise<EpochSteps> {
  const { config, data, hooks, net, optimizer, mem, features, numClasses, order, upload } = s;
  const batchSize = config.batchSize;
  order.set(s.base);
  s.shuffleRng.shuffle(order);
  let lossSum = tf.keep(tf.scalar(0));
  let hostLoss = 0;
  s.recorder.reset();
  const out: EpochSteps = { meanLoss: 0, steps: 0, normSum: 0, normMax: 0, clipped: 0, diverged: null, stopped: false };

  for (let start = 0; start < order.length; start += batchSize) {
    const end = Math.min(start + batchSize, order.length);
    const n = end - start;
    // PyTorch's BatchNorm1d refuses a training batch of one; drop such a last batch instead.
    if (n === 1 && s.hasBatchNorm) {
      if (firstOfCall) s.log('warn', 'the last batch holds a single sample, which BatchNorm cannot train on: it is skipped each epoch');
      continue;
    }
    const xBuf = upload('x', n * features);
    const labels = new Int32Array(n);
    fillBatch(data.train, features, order, start, end, xBuf, labels);
    const oneHot = upload('onehot', n * numClasses);
    if (!mem) {
      oneHot.fill(0);
      for (let r = 0; r < n; r++) oneHot[r * numClasses + labels[r]!] = 1;
    }

    let stepLoss = 0;
    const norm = tidyValue(() => {
      const x = tf.tensor2d(xBuf, [n, features]);
      const logits = net.forward(x, { training: true, dropoutRng: s.dropoutRng });
      let dLogits: tf.Tensor;
      if (mem) {
        // In-process memory: the loss on a few hundred logits is cheaper in JS than ~15 kernels.
        const d = upload('dlogits', n * numClasses);
        stepLoss = crossEntropyHost(mem.f32(logits), labels, n, numClasses, d);
        hostLoss += stepLoss;
        dLogits = tf.tensor2d(d, [n, numClasses]);
      } else {
        const ce = crossEntropy(logits, tf.tensor2d(oneHot, [n, numClasses]), tf.tensor1d(labels, 'int32'));
        const nextLoss = tf.keep(tf.add(lossSum, ce.loss));
        lossSum.dispose();
        lossSum = nextLoss as tf.Scalar;
        s.deviceLosses.add(ce.loss);
        dLogits = ce.dLogits;
      }
      const grads = net.backward(dLogits);
      return optimizer.apply(grads);
    });
    out.steps += 1;
    if (norm !== null) {
      if (!Number.isFinite(norm)) {
        out.diverged = `epoch ${epoch}, step ${out.steps}: the gradient norm became ${norm} (loss or weights are no longer finite)`;
        break;
      }
      out.normSum += norm;
      if (norm > out.normMax) out.normMax = norm;
      if (config.clipNorm !== null && norm > config.clipNorm) out.clipped += 1;
      s.recorder.push(stepLoss, norm);
    }
    hooks.onStep?.(epoch, out.steps);
    throwIfGpuFault();
    if (hooks.shouldStop?.()) {
      out.stopped = true;
      break;
    }
    // Let IPC (a cancel message) in without paying for a macrotask every step.
    if (s.now() - s.lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      s.lastYield = s.now();
    }
  }
  out.meanLoss = ((await lossSum.data())[0]! + hostLoss) / Math.max(out.steps, 1);
  lossSum.dispose();
  return out;
}

/** The epoch's per-step curve: host values as recorded, device ones read now in one download. */
async function takeStepCurve(s: Session, epoch: number): Promise<StepCurve> {
  if (!s.mem) {
    const [losses, norms] = [await s.deviceLosses.read(), await s.deviceNorms.read()];
    for (let i = 0; i < Math.min(losses.length, norms.length); i++) s.recorder.push(losses[i]!, norms[i]!);
  }
  return s.recorder.take(epoch);
}

/** Why the epoch's training left the run unusable (a non-finite loss, norm, parameter or buffer), or null. */
async function nonFiniteAfterEpoch(s: Session, epoch: number, steps: EpochSteps): Promise<string | null> {
  if (!Number.isFinite(steps.meanLoss)) return `epoch ${epoch}: the training loss became ${steps.meanLoss}`;
  if (!Number.isFinite(steps.normSum)) return `epoch ${epoch}: the gradient norm became non-finite`;
  const bad = await firstNonFinite(s.net);
  return bad ? `epoch ${epoch}: ${bad} holds non-finite values` : null;
}

/** Accuracy and loss in eval mode on the training rows (all, or the subset) and on the validation split. */
async function evaluateEpoch(s: Session): Promise<{ trainEval: { loss: number; acc: number }; valEval: { loss: number; acc: number } }> {
  const { config, data, net, features, base, options } = s;
  const trainEval =
    config.trainAccOn === 'full' || base.length === data.train.count
      ? await evaluate(net, data.train, features, null, data.train.count, options.evalBatchSize)
      : await evaluate(net, data.train, features, base, base.length, options.evalBatchSize);
  const valEval = await evaluate(net, data.test, features, null, data.test.count, options.evalBatchSize);
  await settleGpu();
  throwIfGpuFault();
  return { trainEval, valEval };
}

/** Weights, optimizer state, random streams and history after `epoch`, when the run keeps checkpoints. */
async function saveCheckpoint(s: Session, epoch: number, history: EpochMetrics[]): Promise<void> {
  if (!s.options.checkpointDir) return;
  writeCheckpoint(s.options.checkpointDir, await snapshot(s.net, s.optimizer, epoch, s.fingerprint, s.shuffleRng, s.dropoutRng, history));
}

/** The GPU adapter a run trains on, one line (webgpu); null on other backends. */
export function deviceLine(backend: BackendName): string | null {
  const adapter = backend === 'webgpu' ? currentAdapter() : null;
  return adapter ? adapterLine(adapter) : null;
}

/** Mean cross-entropy and accuracy in eval mode over `count` samples (all, or `indices`). */
export async function evaluate(
  net: Network,
  split: ImageSplit,
  features: number,
  indices: Int32Array | null,
  count: number,
  batch = 1024,
): Promise<{ loss: number; acc: number }> {
  const upload = makeUploader();
  net.beginEval();
  let lossSum = tf.keep(tf.scalar(0));
  let correct = tf.keep(tf.scalar(0));
  try {
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(start + batch, count);
      const n = end - start;
      const xBuf = upload('x', n * features);
      const labels = new Int32Array(n);
      fillBatch(split, features, indices, start, end, xBuf, labels);
      tf.tidy(() => {
        const logits = net.forward(tf.tensor2d(xBuf, [n, features]), { training: false });
        const r = evalLossAndCorrect(logits, tf.tensor1d(labels, 'int32'), net.numClasses);
        const l = tf.keep(tf.add(lossSum, r.lossSum)) as tf.Scalar;
        const c = tf.keep(tf.add(correct, r.correct)) as tf.Scalar;
        lossSum.dispose();
        correct.dispose();
        lossSum = l;
        correct = c;
      });
    }
    return { loss: (await lossSum.data())[0]! / count, acc: (await correct.data())[0]! / count };
  } finally {
    lossSum.dispose();
    correct.dispose();
    net.endEval();
  }
}

/**
 * Mean cross-entropy of a batch from row-major logits in memory, as nn.CrossEntropyLoss, writing
 * dLoss/dLogits = (softmax − onehot)/n into `dOut`. Returns the batch's mean loss.
 */
export function crossEntropyHost(logits: Float32Array, labels: Int32Array, n: number, classes: number, dOut: Float32Array): number {
  let total = 0;
  for (let r = 0; r < n; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[o + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c]! - max);
    const label = labels[r]!;
    total += Math.log(sum) - (logits[o + label]! - max);
    for (let c = 0; c < classes; c++) dOut[o + c] = (Math.exp(logits[o + c]! - max) / sum - (c === label ? 1 : 0)) / n;
  }
  return total / n;
}

/** tf.tidy for a callback that returns a plain value (tidy's own typing wants tensors). */
function tidyValue<T>(fn: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = fn();
  });
  return out as T;
}

/** Name of the first parameter or buffer holding NaN/Inf, or null. One reduction each. */
async function firstNonFinite(net: Network): Promise<string | null> {
  for (const t of [...net.params, ...net.buffers]) {
    const flag = tf.tidy(() => tf.all(tf.isFinite(t.tensor)));
    const ok = (await flag.data())[0];
    flag.dispose();
    if (!ok) return t.name;
  }
  return null;
}

async function snapshot(
  net: Network,
  optimizer: Optimizer,
  epoch: number,
  fingerprint: string,
  shuffleRng: Rng,
  dropoutRng: Rng,
  history: EpochMetrics[],
): Promise<CheckpointData> {
  const values = (list: { name: string; shape: number[]; tensor: tf.Tensor }[]) =>
    Promise.all(list.map(async (t) => ({ name: t.name, shape: t.shape, values: (await t.tensor.data()) as Float32Array })));
  return {
    epoch,
    fingerprint,
    rng: { shuffle: shuffleRng.state(), dropout: dropoutRng.state() },
    params: await values(net.params),
    buffers: await values(net.buffers),
    optimizer: await optimizer.exportState(),
    history,
  };
}

function restore(net: Network, optimizer: Optimizer, ckpt: CheckpointData): void {
  const match = (kind: string, have: { name: string; shape: number[] }[], got: { name: string; shape: number[] }[]) => {
    if (have.length !== got.length || have.some((h, i) => h.name !== got[i]!.name || h.shape.join() !== got[i]!.shape.join())) {
      throw new ApiError('failed_precondition', `the checkpoint's ${kind} do not match the model`);
    }
  };
  match('parameters', net.params, ckpt.params);
  match('buffers', net.buffers, ckpt.buffers);
  ckpt.params.forEach((p, i) => net.setParam(i, tf.tensor(p.values, p.shape, 'float32')));
  ckpt.buffers.forEach((b, i) => net.setBuffer(i, tf.tensor(b.values, b.shape, 'float32')));
  optimizer.importState(ckpt.optimizer);
}
