/**
 * Neural-net ops: embedding, layernorm, rmsnorm, rope, softmax_causal, token_logprobs and their
 * gradient ops. Row statistics and log-sum-exp accumulate in float64 (JS numbers): this backend is
 * the accuracy reference.
 */
import { numel } from '../../ops.ts';
import type { F32View, I32View } from './tensor.ts';

function checkId(id: number, vocab: number, where: string): void {
  if (id < 0 || id >= vocab || !Number.isInteger(id)) {
    throw new RangeError(
      `${where}: token id ${id} is outside the table's ${vocab} rows; check the tokenizer/vocab size`,
    );
  }
}

export function embedding(table: F32View, ids: I32View, out: F32View): void {
  const [V, D] = table.shape;
  const n = numel(ids.shape);
  for (let i = 0; i < n; i++) {
    const id = ids.data[i];
    checkId(id, V, 'embedding');
    out.data.set(table.data.subarray(id * D, id * D + D), i * D);
  }
}

export function embeddingGrad(ids: I32View, g: F32View, vocab: number, out: F32View): void {
  const D = g.shape[g.shape.length - 1];
  const n = numel(ids.shape);
  out.data.fill(0, 0, vocab * D);
  for (let i = 0; i < n; i++) {
    const id = ids.data[i];
    checkId(id, vocab, 'embedding_grad');
    for (let j = 0; j < D; j++) out.data[id * D + j] += g.data[i * D + j];
  }
}

/** Mean and 1/sqrt(biased var + eps) of row r of x. */
function rowStats(x: Float32Array, r: number, D: number, eps: number): [number, number] {
  let mean = 0;
  for (let j = 0; j < D; j++) mean += x[r * D + j];
  mean /= D;
  let v = 0;
  for (let j = 0; j < D; j++) {
    const d = x[r * D + j] - mean;
    v += d * d;
  }
  return [mean, 1 / Math.sqrt(v / D + eps)];
}

export function layernorm(x: F32View, w: F32View, b: F32View, eps: number, out: F32View): void {
  const D = x.shape[x.shape.length - 1];
  const rows = numel(x.shape) / D;
  for (let r = 0; r < rows; r++) {
    const [mean, rstd] = rowStats(x.data, r, D, eps);
    for (let j = 0; j < D; j++) out.data[r * D + j] = (x.data[r * D + j] - mean) * rstd * w.data[j] + b.data[j];
  }
}

/** dx = rstd * (dy - mean(dy) - xhat * mean(dy * xhat)), with dy = g * w. */
export function layernormGradX(x: F32View, w: F32View, g: F32View, eps: number, out: F32View): void {
  const D = x.shape[x.shape.length - 1];
  const rows = numel(x.shape) / D;
  for (let r = 0; r < rows; r++) {
    const [mean, rstd] = rowStats(x.data, r, D, eps);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let j = 0; j < D; j++) {
      const dy = g.data[r * D + j] * w.data[j];
      sumDy += dy;
      sumDyXhat += dy * (x.data[r * D + j] - mean) * rstd;
    }
    const mDy = sumDy / D;
    const mDyXhat = sumDyXhat / D;
    for (let j = 0; j < D; j++) {
      const xhat = (x.data[r * D + j] - mean) * rstd;
      out.data[r * D + j] = rstd * (g.data[r * D + j] * w.data[j] - mDy - xhat * mDyXhat);
    }
  }
}

export function layernormGradW(x: F32View, g: F32View, eps: number, out: F32View): void {
  const D = x.shape[x.shape.length - 1];
  const rows = numel(x.shape) / D;
  const acc = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    const [mean, rstd] = rowStats(x.data, r, D, eps);
    for (let j = 0; j < D; j++) acc[j] += g.data[r * D + j] * (x.data[r * D + j] - mean) * rstd;
  }
  for (let j = 0; j < D; j++) out.data[j] = acc[j];
}

/** 1 / sqrt(mean(x^2) + eps) of row r. */
function rowInvRms(x: Float32Array, r: number, D: number, eps: number): number {
  let s = 0;
  for (let j = 0; j < D; j++) s += x[r * D + j] * x[r * D + j];
  return 1 / Math.sqrt(s / D + eps);
}

export function rmsnorm(x: F32View, w: F32View, eps: number, out: F32View): void {
  const D = x.shape[x.shape.length - 1];
  const rows = numel(x.shape) / D;
  for (let r = 0; r < rows; r++) {
    const inv = rowInvRms(x.data, r, D, eps);
    for (let j = 0; j < D; j++) out.data[r * D + j] = x.data[r * D + j] * inv * w.data[j];
  }
}

/** dx = inv * (dy - x * inv^2 * mean(dy * x)), with dy = g * w. */
export function rmsnormGradX(x: F32View, w: F32View, g: F32View, eps: number, out: F32View): void {
  const D = x.shape[x.shape.length - 1];
  const rows = numel(x.shape) / D;
  for (let r = 0; r < rows; r++) {
    const inv = rowInvRms(x.data, r, D, eps);
    let dot = 0;
    for (let j = 0; j < D; j++) dot += g.data[r * D + j] * w.data[j] * x.data[r * D + j];
    const c = (inv * inv * dot) / D;
    for (let j = 0; j < D; j++) {
      out.data[r * D + j] = inv * (g.data[r * D + j] * w.data[j] - x.data[r * D + j] * c);
    }
  }
}

export function rmsnormGradW(x: F32View, g: F32View, eps: number, out: F32View): void {
  const D = x.shape[x.shape.length - 1];
  const rows = numel(x.shape) / D;
  const acc = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    const inv = rowInvRms(x.data, r, D, eps);
    for (let j = 0; j < D; j++) acc[j] += g.data[r * D + j] * x.data[r * D + j] * inv;
  }
  for (let j = 0; j < D; j++) out.data[j] = acc[j];
}

/**
 * Hugging Face rotate_half RoPE; token t of batch row b sits at position (pos ? pos[b] : 0) + t.
 * inv_freq and the angle are rounded to f32 as transformers computes them in float32, so long
 * positions match PyTorch's phase.
 */
export function rope(x: F32View, theta: number, inverse: boolean, out: F32View, pos?: I32View): void {
  const [B, H, T, D] = x.shape;
  const half = D / 2;
  const sign = inverse ? -1 : 1;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / D)));
  for (let b = 0; b < B; b++) {
    const p0 = pos ? pos.data[b] : 0;
    for (let t = 0; t < T; t++)
      for (let i = 0; i < half; i++) {
        const angle = Math.fround((p0 + t) * invFreq[i]);
        const c = Math.cos(angle);
        const s = sign * Math.sin(angle);
        for (let h = 0; h < H; h++) {
          const row = ((b * H + h) * T + t) * D;
          const x1 = x.data[row + i];
          const x2 = x.data[row + half + i];
          out.data[row + i] = x1 * c - x2 * s;
          out.data[row + half + i] = x2 * c + x1 * s;
        }
      }
  }
}

/** In place on the cache: cache[b, h, pos[b] + t, :] = x[b, h, t, :], dropping rows past Tmax. */
export function cacheWrite(cache: F32View, x: F32View, pos: I32View, out: F32View): void {
  const [B, H, Tmax, D] = cache.shape;
  const T = x.shape[2];
  if (out.data !== cache.data) out.data.set(cache.data.subarray(0, B * H * Tmax * D));
  for (let b = 0; b < B; b++) {
    const p0 = pos.data[b];
    if (p0 < 0) throw new RangeError(`cache_write: negative position ${p0} for batch row ${b}`);
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T && p0 + t < Tmax; t++) {
        const src = ((b * H + h) * T + t) * D;
        out.data.set(x.data.subarray(src, src + D), ((b * H + h) * Tmax + p0 + t) * D);
      }
  }
}

/**
 * Softmax of scale * scores [B, H, Tq, Tk] over keys j <= i + (Tk - Tq) with keyMask[b, j] != 0;
 * fully masked rows are 0.
 */
export function softmaxCausal(scores: F32View, keyMask: F32View, scale: number, out: F32View): void {
  const [B, H, Tq, Tk] = scores.shape;
  const shift = Tk - Tq;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Tq; i++) {
        const row = ((b * H + h) * Tq + i) * Tk;
        const last = i + shift;
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j <= last; j++) {
          if (keyMask.data[b * Tk + j] !== 0) max = Math.max(max, scale * scores.data[row + j]);
        }
        let sum = 0;
        for (let j = 0; j < Tk; j++) {
          const live = j <= last && keyMask.data[b * Tk + j] !== 0;
          const e = live ? Math.exp(scale * scores.data[row + j] - max) : 0;
          out.data[row + j] = e;
          sum += e;
        }
        const inv = sum > 0 ? 1 / sum : 0;
        for (let j = 0; j < Tk; j++) out.data[row + j] *= inv;
      }
}

export function softmaxCausalGrad(probs: F32View, g: F32View, scale: number, out: F32View): void {
  const T = probs.shape[probs.shape.length - 1];
  const rows = numel(probs.shape) / T;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let j = 0; j < T; j++) dot += g.data[r * T + j] * probs.data[r * T + j];
    for (let j = 0; j < T; j++) {
      out.data[r * T + j] = scale * probs.data[r * T + j] * (g.data[r * T + j] - dot);
    }
  }
}

/** max and log(sum(exp(row - max))) of row n. */
function rowLogSumExp(logits: Float32Array, n: number, V: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[n * V + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[n * V + v] - max);
  return max + Math.log(sum);
}

export function tokenLogprobs(logits: F32View, targets: I32View, out: F32View): void {
  const [N, V] = logits.shape;
  for (let n = 0; n < N; n++) {
    const t = targets.data[n];
    if (t < 0) {
      out.data[n] = 0;
      continue;
    }
    checkId(t, V, 'token_logprobs');
    out.data[n] = logits.data[n * V + t] - rowLogSumExp(logits.data, n, V);
  }
}

export function tokenLogprobsGrad(logits: F32View, targets: I32View, g: F32View, out: F32View): void {
  const [N, V] = logits.shape;
  for (let n = 0; n < N; n++) {
    const t = targets.data[n];
    if (t < 0) {
      out.data.fill(0, n * V, n * V + V);
      continue;
    }
    checkId(t, V, 'token_logprobs_grad');
    const lse = rowLogSumExp(logits.data, n, V);
    const gn = g.data[n];
    for (let v = 0; v < V; v++) out.data[n * V + v] = gn * ((v === t ? 1 : 0) - Math.exp(logits.data[n * V + v] - lse));
  }
}
