/**
 * BatchNorm1d's training step on plain Float32Arrays, for backends whose tensor memory is
 * in-process (model.ts calls these instead of ~16 small kernels per layer and step). Layout is
 * feature-major: feature f's n batch values are x[f·n … f·n + n). Sums accumulate in float64.
 * Semantics are PyTorch's: biased variance to normalise, unbiased into running_var,
 * running = (1 − momentum)·running + momentum·batch.
 */

export interface BatchNormHostState {
  /** x̂ of the last training batch, [features·n], kept for the backward pass. */
  xhat: Float32Array;
  /** 1/σ per feature of the last training batch. */
  invStd: Float64Array;
}

/** Forward in training mode: writes y = γ·x̂ + β into `out` and updates the running statistics in place. */
export function batchNormForwardHost(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  features: number,
  n: number,
  eps: number,
  momentum: number,
  state: BatchNormHostState,
  out: Float32Array,
): void {
  const { xhat, invStd } = state;
  const unbias = n > 1 ? n / (n - 1) : 1;
  for (let f = 0; f < features; f++) {
    const o = f * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += x[o + j]!;
    const mean = sum / n;
    let sq = 0;
    for (let j = 0; j < n; j++) {
      const c = x[o + j]! - mean;
      sq += c * c;
    }
    const variance = sq / n;
    const inv = 1 / Math.sqrt(variance + eps);
    invStd[f] = inv;
    const gf = gamma[f]!;
    const bf = beta[f]!;
    for (let j = 0; j < n; j++) {
      const h = (x[o + j]! - mean) * inv;
      xhat[o + j] = h;
      out[o + j] = h * gf + bf;
    }
    runningMean[f] = (1 - momentum) * runningMean[f]! + momentum * mean;
    runningVar[f] = (1 - momentum) * runningVar[f]! + momentum * unbias * variance;
  }
}

/**
 * Backward: dγ and dβ per feature, and (when `dx` is given)
 * dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)).
 */
export function batchNormBackwardHost(
  dy: Float32Array,
  gamma: Float32Array,
  features: number,
  n: number,
  state: BatchNormHostState,
  dGamma: Float32Array,
  dBeta: Float32Array,
  dx: Float32Array | null,
): void {
  const { xhat, invStd } = state;
  for (let f = 0; f < features; f++) {
    const o = f * n;
    let sb = 0;
    let sg = 0;
    for (let j = 0; j < n; j++) {
      sb += dy[o + j]!;
      sg += dy[o + j]! * xhat[o + j]!;
    }
    dGamma[f] = sg;
    dBeta[f] = sb;
    if (dx) {
      const k = gamma[f]! * invStd[f]!;
      const mb = sb / n;
      const mg = sg / n;
      for (let j = 0; j < n; j++) dx[o + j] = k * (dy[o + j]! - mb - xhat[o + j]! * mg);
    }
  }
}
