/**
 * Packed training: several trials of one model, batch size and data set trained as one batched
 * computation (packedModel.ts), each with the solo loop's semantics (train.ts) and its own
 * outcome. Trial k draws its initial weights, its epoch shuffles and its dropout masks from its own
 * seed's Rng streams exactly as a solo run does, has its own learning rate, clip norm, weight
 * decay, optimizer state and step, BatchNorm statistics, loss, accuracy and gradient norms, and
 * writes its own checkpoint, in the solo format, into its own folder: any trial can later be
 * resumed or rerun alone, or in another pack.
 *
 * A trial that diverges, is cancelled or reaches its last epoch leaves the pack (its slices are
 * dropped from every tensor) and the others go on. Trials resumed from checkpoints of different
 * epochs cannot share steps; they are trained as consecutive packs, one per start epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, EpochMetrics, EpochSteps, ModelSpec, TrainConfig } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { packKey } from '../../shared/packing';
import { directMemory, initBackend } from './backend';
import { readCheckpoint, writeCheckpoint, type CheckpointData } from './checkpoint';
import { featuresOf, fillBatch, trainingIndices, validateData, type ImageSplit, type TrainingData } from './data';
import { chanceAccuracy, explosion } from './divergence';
import { makeUploader } from './model';
import { initialValues, PackedNetwork, type MemberValues } from './packedModel';
import { PackedOptimizer } from './packedOptim';
import { Rng, Streams } from './rng';
import { DeviceSteps, StepRecorder } from './steps';
import { crossEntropyHost, deviceLine, runFingerprint, type EpochTiming, type TrainResult, type TrainStatus } from './train';
import { compileMilliseconds, settleGpu, throwIfGpuFault } from './webgpu';
import type { OptimizerState } from './optim';

/** One trial's own hooks (the solo TrainHooks that concern a single trial). */
export interface MemberHooks {
  onStarted?(info: { backend: BackendName; device: string | null; startEpoch: number; totalParams: number; fused: boolean; history: EpochMetrics[] }): void;
  /** `steps`: the epoch's per-step curve of this trial (steps.ts). */
  onEpoch?(metrics: EpochMetrics, timing: EpochTiming, steps: EpochSteps): void | Promise<void>;
  onLog?(level: 'info' | 'warn', message: string): void;
  /** Checked after every step and epoch; true ends this trial as 'cancelled', the others go on. */
  shouldStop?(): boolean;
  /** As soon as this trial leaves the pack (the others may train on). */
  onFinished?(result: TrainResult): void;
}

export interface PackMember {
  config: TrainConfig;
  checkpointDir?: string | null;
  resume?: boolean;
  hooks?: MemberHooks;
}

export interface PackedTrainOptions {
  model: ModelSpec;
  data: TrainingData;
  members: PackMember[];
  hooks?: {
    now?(): number;
    /** After every step of the pack (tests crash or cancel there). */
    onStep?(epoch: number, step: number): void;
  };
  evalBatchSize?: number;
  forceOpsOptimizer?: boolean;
}

interface Slot {
  /** Index into options.members. */
  member: number;
  config: TrainConfig;
  hooks: MemberHooks;
  checkpointDir: string | null;
  fingerprint: string;
  shuffleRng: Rng;
  dropoutRng: Rng;
  base: Int32Array;
  order: Int32Array;
  history: EpochMetrics[];
  epochs: EpochMetrics[];
  startEpoch: number;
  /** This epoch's running sums. */
  hostLoss: number;
  normSum: number;
  normMax: number;
  clipped: number;
  /** This epoch's per-step loss and norm. */
  recorder: StepRecorder;
  warnedSingle: boolean;
}

/** Trains the pack; one TrainResult per member, in the members' order. */
export async function trainPacked(options: PackedTrainOptions): Promise<TrainResult[]> {
  const { model, data, members } = options;
  if (!members.length) throw new ApiError('invalid_argument', 'a pack needs at least one trial');
  const key = packKey(model, members[0]!.config);
  if (members.some((m) => packKey(model, m.config) !== key)) {
    throw new ApiError('invalid_argument', 'the trials of a pack must share the model and every setting but lr, clip norm, seed, weight decay and epochs');
  }
  validateData(data);
  if (data.test.count < 1) throw new ApiError('bad_data', 'the test split is empty; validation needs at least one sample');
  const backendInfo = await initBackend(members[0]!.config.backend);
  for (const skipped of backendInfo.skipped) members.forEach((m) => m.hooks?.onLog?.('info', `backend skipped: ${skipped}`));
  const backend = backendInfo.name;

  // Resume points first: trials can only share steps from the same epoch on.
  const starts = members.map((m) => {
    const ckpt = m.resume && m.checkpointDir ? readCheckpoint(m.checkpointDir) : null;
    if (ckpt && ckpt.fingerprint !== runFingerprint(model, m.config)) {
      throw new ApiError('failed_precondition', 'the checkpoint belongs to a different model or training config; it cannot be resumed');
    }
    if (m.resume && m.checkpointDir && !ckpt) m.hooks?.onLog?.('info', 'no checkpoint to resume from; starting from epoch 1');
    return ckpt;
  });
  const results: TrainResult[] = new Array(members.length);
  const groups = new Map<number, number[]>();
  starts.forEach((c, i) => groups.set(c?.epoch ?? 0, [...(groups.get(c?.epoch ?? 0) ?? []), i]));
  for (const [, indices] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
    const out = await trainGroup(options, indices, starts, backend);
    indices.forEach((m, i) => (results[m] = out[i]!));
  }
  return results;
}

async function trainGroup(options: PackedTrainOptions, indices: number[], starts: (CheckpointData | null)[], backend: BackendName): Promise<TrainResult[]> {
  const { model, data } = options;
  const now = options.hooks?.now ?? (() => performance.now());
  const mem = options.forceOpsOptimizer ? null : directMemory();
  const features = featuresOf(data);
  const chance = chanceAccuracy(data.test.labels, data.numClasses);
  const numClasses = data.numClasses;
  const first = options.members[indices[0]!]!.config;
  const batchSize = first.batchSize;
  const hasBatchNorm = model.layers.some((l) => l.type === 'batchnorm1d');

  const values: (MemberValues | Promise<MemberValues>)[] = [];
  const optStates: (OptimizerState | null)[] = [];
  const slots: Slot[] = indices.map((m) => {
    const member = options.members[m]!;
    const config = member.config;
    const ckpt = starts[m] ?? null;
    const base = trainingIndices(data.train.count, config.subset, config.seed);
    const shuffleRng = Rng.seeded(config.seed, Streams.shuffle);
    const dropoutRng = Rng.seeded(config.seed, Streams.dropout);
    if (ckpt) {
      values.push({ params: ckpt.params.map((p) => p.values), buffers: ckpt.buffers.map((b) => b.values) });
      optStates.push(ckpt.optimizer);
      shuffleRng.restore(ckpt.rng.shuffle);
      dropoutRng.restore(ckpt.rng.dropout);
    } else {
      values.push(initialValues(model, data.shape, numClasses, Rng.seeded(config.seed, Streams.init)));
      optStates.push(null);
    }
    return {
      member: m,
      config,
      hooks: member.hooks ?? {},
      checkpointDir: member.checkpointDir ?? null,
      fingerprint: runFingerprint(model, config),
      shuffleRng,
      dropoutRng,
      base,
      order: new Int32Array(base.length),
      history: ckpt ? ckpt.history.slice() : [],
      epochs: [],
      startEpoch: ckpt?.epoch ?? 0,
      hostLoss: 0,
      normSum: 0,
      normMax: 0,
      clipped: 0,
      recorder: new StepRecorder(config.clipNorm, config.epochs),
      warnedSingle: false,
    };
  });
  const startEpoch = slots[0]!.startEpoch;
  const results = new Map<number, TrainResult>();
  let net: PackedNetwork | null = null;
  let optimizer: PackedOptimizer | null = null;
  let live = slots.slice();
  let deviceLoss: tf.Tensor | null = null;
  // Ops path: each step's [K] losses and norms stay on the device until the epoch ends, with the
  // members that were in the pack at that step (members can leave mid-epoch).
  const stepLosses = new DeviceSteps();
  const stepNorms = new DeviceSteps();
  let stepMembers: Slot[][] = [];

  try {
    net = new PackedNetwork(model, data.shape, numClasses, await Promise.all(values), mem);
    checkShapes(net, starts, indices);
    optimizer = new PackedOptimizer(slots.map((s) => s.config), net, mem, optStates);
    if (!mem) optimizer.onDeviceNorm = (norms) => stepNorms.add(norms);
    for (const s of slots) {
      if (s.startEpoch > 0) s.hooks.onLog?.('info', `resumed from the checkpoint of epoch ${s.startEpoch}`);
      s.hooks.onStarted?.({ backend, device: deviceLine(backend), startEpoch: s.startEpoch, totalParams: net.totalParams, fused: mem !== null, history: s.history.slice() });
    }
    const upload = makeUploader();
    const baseCount = slots[0]!.base.length;
    const lastEpoch = Math.max(...slots.map((s) => s.config.epochs));
    let lastYield = now();

    /** Ends trials and drops them from the pack. */
    const finishSome = (ending: Map<Slot, { status: TrainStatus; error: string | null }>) => {
      if (!ending.size) return;
      for (const [s, r] of ending) {
        if (r.status === 'diverged') s.hooks.onLog?.('warn', `diverged: ${r.error}`);
        const result: TrainResult = { status: r.status, error: r.error, backend, epochs: s.epochs, lastEpoch: s.startEpoch + s.epochs.length };
        results.set(s.member, result);
        s.hooks.onFinished?.(result);
      }
      const keepPositions = live.map((s, i) => (ending.has(s) ? -1 : i)).filter((i) => i >= 0);
      live = keepPositions.map((i) => live[i]!);
      if (!live.length) return;
      net!.keep(keepPositions);
      optimizer!.keep(keepPositions);
      if (deviceLoss) {
        const idx = tf.tensor1d(keepPositions, 'int32');
        const next = tf.gather(deviceLoss, idx);
        idx.dispose();
        deviceLoss.dispose();
        deviceLoss = next;
      }
    };

    for (let epoch = startEpoch + 1; epoch <= lastEpoch && live.length; epoch++) {
      const t0 = now();
      const compile0 = compileMilliseconds();
      for (const s of live) {
        s.order.set(s.base);
        s.shuffleRng.shuffle(s.order);
        s.hostLoss = 0;
        s.normSum = 0;
        s.normMax = 0;
        s.clipped = 0;
        s.recorder.reset();
      }
      stepMembers = [];
      deviceLoss = mem ? null : tf.keep(tf.zeros([live.length]));
      let steps = 0;

      for (let start = 0; start < baseCount && live.length; start += batchSize) {
        const end = Math.min(start + batchSize, baseCount);
        const n = end - start;
        if (n === 1 && hasBatchNorm) {
          for (const s of live) {
            if (epoch === startEpoch + 1 && !s.warnedSingle) {
              s.warnedSingle = true;
              s.hooks.onLog?.('warn', 'the last batch holds a single sample, which BatchNorm cannot train on: it is skipped each epoch');
            }
          }
          continue;
        }
        const K = live.length;
        const xBuf = upload('x', K * n * features);
        const labels = live.map(() => new Int32Array(n));
        live.forEach((s, k) => fillBatch(data.train, features, s.order, start, end, xBuf.subarray(k * n * features, (k + 1) * n * features), labels[k]!));
        const stepLoss = new Array<number>(K).fill(0);
        const norms = tidyValue(() => {
          const x = tf.tensor3d(xBuf, [K, n, features]);
          const logits = net!.forward(x, { training: true, dropoutRngs: live.map((s) => s.dropoutRng) });
          let dLogits: tf.Tensor;
          if (mem) {
            const d = upload('dlogits', K * n * numClasses);
            const lv = mem.f32(logits);
            live.forEach((s, k) => {
              const o = k * n * numClasses;
              stepLoss[k] = crossEntropyHost(lv.subarray(o, o + n * numClasses), labels[k]!, n, numClasses, d.subarray(o, o + n * numClasses));
              s.hostLoss += stepLoss[k]!;
            });
            dLogits = tf.tensor3d(d, [K, n, numClasses]);
          } else {
            const lab = new Int32Array(K * n);
            labels.forEach((l, k) => lab.set(l, k * n));
            const ce = packedCrossEntropy(logits, tf.tensor2d(lab, [K, n], 'int32'), numClasses);
            const next = tf.keep(tf.add(deviceLoss!, ce.loss));
            deviceLoss!.dispose();
            deviceLoss = next;
            stepLosses.add(ce.loss);
            stepMembers.push(live.slice());
            dLogits = ce.dLogits;
          }
          return optimizer!.apply(net!.backward(dLogits));
        });
        steps += 1;
        const ending = new Map<Slot, { status: TrainStatus; error: string | null }>();
        if (norms) {
          live.forEach((s, k) => {
            const norm = norms[k]!;
            if (!Number.isFinite(norm)) {
              ending.set(s, { status: 'diverged', error: `epoch ${epoch}, step ${steps}: the gradient norm became ${norm} (loss or weights are no longer finite)` });
              return;
            }
            s.normSum += norm;
            if (norm > s.normMax) s.normMax = norm;
            if (s.config.clipNorm !== null && norm > s.config.clipNorm) s.clipped += 1;
            s.recorder.push(stepLoss[k]!, norm);
          });
        }
        options.hooks?.onStep?.(epoch, steps);
        throwIfGpuFault();
        for (const s of live) if (!ending.has(s) && s.hooks.shouldStop?.()) ending.set(s, { status: 'cancelled', error: null });
        finishSome(ending);
        if (now() - lastYield > 50) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = now();
        }
      }
      if (!live.length) break;

      await settleGpu();
      throwIfGpuFault();
      const deviceLossValues = deviceLoss ? await (deviceLoss as tf.Tensor).data() : null;
      deviceLoss?.dispose();
      deviceLoss = null;
      const deviceStats = await optimizer.takeDeviceNormStats();
      if (!mem) {
        const [losses, norms] = [await stepLosses.read(), await stepNorms.read()];
        let offset = 0;
        for (const members of stepMembers) {
          members.forEach((s, k) => s.recorder.push(losses[offset + k]!, norms[offset + k]!));
          offset += members.length;
        }
        stepMembers = [];
      }
      const curves = new Map<Slot, EpochSteps>(live.map((s) => [s, s.recorder.take(epoch)]));
      const nonFinite = await firstNonFinite(net);
      const ending = new Map<Slot, { status: TrainStatus; error: string | null }>();
      const meanLoss = new Map<Slot, number>();
      live.forEach((s, k) => {
        const loss = ((deviceLossValues?.[k] ?? 0) + s.hostLoss) / Math.max(steps, 1);
        meanLoss.set(s, loss);
        if (deviceStats) {
          s.normSum = deviceStats[k]!.sum;
          s.normMax = deviceStats[k]!.max;
          s.clipped = deviceStats[k]!.clipped;
        }
        let diverged: string | null = null;
        if (!Number.isFinite(loss)) diverged = `epoch ${epoch}: the training loss became ${loss}`;
        else if (!Number.isFinite(s.normSum)) diverged = `epoch ${epoch}: the gradient norm became non-finite`;
        else if (nonFinite[k]) diverged = `epoch ${epoch}: ${nonFinite[k]} holds non-finite values`;
        if (diverged) ending.set(s, { status: 'diverged', error: diverged });
      });
      finishSome(ending);
      if (!live.length) break;
      const t1 = now();
      const compile1 = compileMilliseconds();

      const trainEval =
        first.trainAccOn === 'full' || baseCount === data.train.count
          ? await evaluatePacked(net, data.train, features, live.map(() => null), data.train.count, options.evalBatchSize)
          : await evaluatePacked(net, data.train, features, live.map((s) => s.base), baseCount, options.evalBatchSize);
      const valEval = await evaluatePacked(net, data.test, features, live.map(() => null), data.test.count, options.evalBatchSize);
      await settleGpu();
      throwIfGpuFault();
      const t2 = now();
      const compileTrain = (compile1 - compile0) / 1000;
      const compileEval = (compileMilliseconds() - compile1) / 1000;
      const afterEval = new Map<Slot, { status: TrainStatus; error: string | null }>();
      const done: Slot[] = [];
      live.forEach((s, k) => {
        if (!Number.isFinite(valEval.loss[k]!)) afterEval.set(s, { status: 'diverged', error: `epoch ${epoch}: the validation loss became ${valEval.loss[k]}` });
        else done.push(s);
      });
      const metricsOf = new Map<Slot, EpochMetrics>();
      const explodedAt = new Map<Slot, string>();
      live.forEach((s, k) => {
        if (afterEval.has(s)) return;
        const metrics: EpochMetrics = {
          epoch,
          loss: meanLoss.get(s)!,
          trainAcc: trainEval.acc[k]!,
          valAcc: valEval.acc[k]!,
          valLoss: valEval.loss[k]!,
          seconds: Math.max(0, (t2 - t0) / 1000 - compileTrain - compileEval),
          gradNormMean: steps ? s.normSum / steps : 0,
          gradNormMax: s.normMax,
          clippedFraction: steps ? s.clipped / steps : 0,
        };
        metricsOf.set(s, metrics);
        s.epochs.push(metrics);
        s.history.push(metrics);
        // A finite explosion (engine/divergence.ts): the epoch is kept, the member stops after it.
        const exploded = explosion(epoch, s.history.map((h) => h.loss), data.numClasses, metrics.valAcc, chance);
        if (exploded) explodedAt.set(s, exploded);
      });
      const timing = {
        trainSeconds: Math.max(0, (t1 - t0) / 1000 - compileTrain),
        evalSeconds: Math.max(0, (t2 - t1) / 1000 - compileEval),
        compileSeconds: compileTrain + compileEval,
      };
      for (const s of done) await s.hooks.onEpoch?.(metricsOf.get(s)!, timing, curves.get(s)!);
      if (done.some((s) => s.checkpointDir)) {
        const memberValues = await net.memberValues();
        const states = await optimizer.exportStates();
        live.forEach((s, k) => {
          if (!s.checkpointDir || afterEval.has(s) || explodedAt.has(s)) return;
          writeCheckpoint(s.checkpointDir, {
            epoch,
            fingerprint: s.fingerprint,
            rng: { shuffle: s.shuffleRng.state(), dropout: s.dropoutRng.state() },
            params: net!.params.map((p, i) => ({ name: p.name, shape: p.shape, values: memberValues[k]!.params[i]! })),
            buffers: net!.buffers.map((b, i) => ({ name: b.name, shape: b.shape, values: memberValues[k]!.buffers[i]! })),
            optimizer: states[k]!,
            history: s.history,
          });
        });
      }
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = now();
      for (const s of done) {
        const exploded = explodedAt.get(s);
        if (exploded) afterEval.set(s, { status: 'diverged', error: exploded });
        else if (epoch >= s.config.epochs) afterEval.set(s, { status: 'completed', error: null });
        else if (s.hooks.shouldStop?.()) afterEval.set(s, { status: 'cancelled', error: null });
      }
      finishSome(afterEval);
    }
    // Trials whose last epoch was done before this call (resumed at their end) complete as solo runs do.
    for (const s of live) {
      const result: TrainResult = { status: 'completed', error: null, backend, epochs: s.epochs, lastEpoch: s.startEpoch + s.epochs.length };
      results.set(s.member, result);
      s.hooks.onFinished?.(result);
    }
    return indices.map((m) => results.get(m)!);
  } finally {
    stepLosses.dispose();
    stepNorms.dispose();
    deviceLoss?.dispose();
    optimizer?.dispose();
    net?.dispose();
  }
}

function checkShapes(net: PackedNetwork, starts: (CheckpointData | null)[], indices: number[]): void {
  for (const m of indices) {
    const ckpt = starts[m];
    if (!ckpt) continue;
    const match = (kind: string, have: { name: string; shape: number[] }[], got: { name: string; shape: number[] }[]) => {
      if (have.length !== got.length || have.some((h, i) => h.name !== got[i]!.name || h.shape.join() !== got[i]!.shape.join())) {
        throw new ApiError('failed_precondition', `the checkpoint's ${kind} do not match the model`);
      }
    };
    match('parameters', net.params, ckpt.params);
    match('buffers', net.buffers, ckpt.buffers);
  }
}

/** Mean cross-entropy per trial ([K]) and dLoss/dLogits for [K, n, classes] logits, as model.ts's crossEntropy. */
function packedCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, numClasses: number): { loss: tf.Tensor; dLogits: tf.Tensor } {
  const n = logits.shape[1]!;
  const oneHot = tf.cast(tf.oneHot(labels, numClasses), 'float32');
  const shifted = tf.sub(logits, tf.max(logits, 2, true));
  const e = tf.exp(shifted);
  const sumE = tf.sum(e, 2, true);
  const logp = tf.sub(shifted, tf.log(sumE));
  const loss = tf.div(tf.neg(tf.sum(tf.mul(oneHot, logp), [1, 2])), n);
  const dLogits = tf.div(tf.sub(tf.div(e, sumE), oneHot), n);
  return { loss, dLogits };
}

/**
 * Eval-mode mean cross-entropy and accuracy per trial. `indices[k]` is the samples trial k is
 * evaluated on (null: the first `count`); when every trial sees the same samples the batch is
 * uploaded once and broadcast over the pack.
 */
export async function evaluatePacked(
  net: PackedNetwork,
  split: ImageSplit,
  features: number,
  indices: (Int32Array | null)[],
  count: number,
  batch = 1024,
): Promise<{ loss: number[]; acc: number[] }> {
  const K = indices.length;
  const shared = indices.every((ix) => sameIndices(ix, indices[0]!));
  const rows = shared ? 1 : K;
  const upload = makeUploader();
  net.beginEval();
  let lossSum = tf.keep(tf.zeros([K]));
  let correct = tf.keep(tf.zeros([K]));
  try {
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(start + batch, count);
      const n = end - start;
      const xBuf = upload('x', rows * n * features);
      const labels = new Int32Array(rows * n);
      for (let r = 0; r < rows; r++) {
        fillBatch(split, features, indices[r]!, start, end, xBuf.subarray(r * n * features, (r + 1) * n * features), labels.subarray(r * n, (r + 1) * n));
      }
      tf.tidy(() => {
        const logits = net.forward(tf.tensor3d(xBuf, [rows, n, features]), { training: false }); // [K, n, C]
        const lab = tf.tensor2d(labels, [rows, n], 'int32');
        const shifted = tf.sub(logits, tf.max(logits, 2, true));
        const logp = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), 2, true)));
        // (Cast: wasm's OneHot kernel writes int32 whatever dtype is asked for.)
        const oneHot = tf.cast(tf.oneHot(lab, net.numClasses), 'float32');
        const batchLoss = tf.neg(tf.sum(tf.mul(oneHot, logp), [1, 2]));
        const batchCorrect = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 2), lab), 'float32'), 1);
        const l = tf.keep(tf.add(lossSum, batchLoss));
        const c = tf.keep(tf.add(correct, batchCorrect));
        lossSum.dispose();
        correct.dispose();
        lossSum = l;
        correct = c;
      });
    }
    const loss = Array.from(await lossSum.data(), (v) => v / count);
    const acc = Array.from(await correct.data(), (v) => v / count);
    return { loss, acc };
  } finally {
    lossSum.dispose();
    correct.dispose();
    net.endEval();
  }
}

function sameIndices(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** tf.tidy for a callback that returns a plain value. */
function tidyValue<T>(fn: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = fn();
  });
  return out as T;
}

/**
 * Per trial: the name of its first parameter or buffer slice holding NaN/Inf, or null. One small
 * read per tensor, not one stacked read: stacking dozens of tensors compiles a shader with more
 * storage buffers than a WebGPU device allows.
 */
async function firstNonFinite(net: PackedNetwork): Promise<(string | null)[]> {
  const out: (string | null)[] = new Array(net.size).fill(null);
  for (const t of [...net.params, ...net.buffers]) {
    const flags = tf.tidy(() => tf.all(tf.isFinite(t.tensor), t.shape.map((_, i) => i + 1)));
    const ok = await flags.data();
    flags.dispose();
    ok.forEach((v, k) => {
      if (!v && out[k] === null) out[k] = t.name;
    });
  }
  return out;
}
