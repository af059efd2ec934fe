/**
 * Range kernels over rows: the causal softmax and its gradient, token log-probs and their
 * gradient. Each unit is one output row, computed exactly as the reference loops in
 * ops/softmax/cpu.ts and ops/logprobs/cpu.ts compute it (same operations in the same order, sums
 * in float64), so a split of the rows over threads changes no bit.
 *
 * Self-contained but for this file's row helpers (no imports, no other module-level names): helper
 * threads run their source text, the helpers' first (index.ts RANGE_HELPERS, worker-source.ts).
 */
import type { RangeArray, RangeKernel } from './types.ts';

/** log(sum(exp(x[row .. row + V)))), shifted by the row's max. */
export function rowLogSumExp(x: RangeArray, row: number, V: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < V; v++) max = Math.max(max, x[row + v]);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(x[row + v] - max);
  return max + Math.log(sum);
}

/**
 * Softmax of scale * scores [B, H, Tq, Tk] over keys j <= i + (Tk - Tq) with keyMask[b, j] != 0
 * (fully masked rows are 0): arr [scores, keyMask, out], a [so, mo, oo, H, Tq, Tk], f [scale];
 * units: rows (b, h, i).
 */
export const softmaxCausalRange: RangeKernel = function softmaxCausalRange(arr, a, f, lo, hi) {
  const s = arr[0];
  const m = arr[1];
  const o = arr[2];
  const H = a[3];
  const Tq = a[4];
  const Tk = a[5];
  const scale = f[0];
  const shift = Tk - Tq;
  for (let u = lo; u < hi; u++) {
    const b = Math.floor(u / (H * Tq));
    const i = u % Tq;
    const row = a[0] + u * Tk;
    const out = a[2] + u * Tk;
    const mask = a[1] + b * Tk;
    const last = i + shift;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j <= last; j++) if (m[mask + j] !== 0) max = Math.max(max, scale * s[row + j]);
    let sum = 0;
    for (let j = 0; j < Tk; j++) {
      const live = j <= last && m[mask + j] !== 0;
      const e = live ? Math.exp(scale * s[row + j] - max) : 0;
      o[out + j] = e;
      sum += e;
    }
    const inv = sum > 0 ? 1 / sum : 0;
    for (let j = 0; j < Tk; j++) o[out + j] *= inv;
  }
};

/** out = scale * p * (g - sum(g * p)) per row of T: arr [p, g, out], a [po, go, oo, T], f [scale]. */
export const softmaxCausalGradRange: RangeKernel = function softmaxCausalGradRange(arr, a, f, lo, hi) {
  const p = arr[0];
  const g = arr[1];
  const o = arr[2];
  const T = a[3];
  const scale = f[0];
  for (let r = lo; r < hi; r++) {
    const pr = a[0] + r * T;
    const gr = a[1] + r * T;
    const or = a[2] + r * T;
    let dot = 0;
    for (let j = 0; j < T; j++) dot += g[gr + j] * p[pr + j];
    for (let j = 0; j < T; j++) o[or + j] = scale * p[pr + j] * (g[gr + j] - dot);
  }
};

/**
 * out[n] = logits[n, t] - logsumexp(logits[n]) (0 where t < 0): arr [logits, targets (i32), out],
 * a [lo, to, oo, V]. Targets must already be checked to lie in [0, V) or be negative.
 */
export const tokenLogprobsRange: RangeKernel = function tokenLogprobsRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const t = arr[1];
  const o = arr[2];
  const V = a[3];
  for (let n = lo; n < hi; n++) {
    const tn = t[a[1] + n];
    if (tn < 0) {
      o[a[2] + n] = 0;
      continue;
    }
    const row = a[0] + n * V;
    o[a[2] + n] = x[row + tn] - rowLogSumExp(x, row, V);
  }
};

/**
 * out[n, v] = g[n] * ([v = t] - softmax(logits[n])[v]) (a zero row where t < 0): arr [logits,
 * targets (i32), g, out], a [lo, to, go, oo, V].
 */
export const tokenLogprobsGradRange: RangeKernel = function tokenLogprobsGradRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const t = arr[1];
  const g = arr[2];
  const o = arr[3];
  const V = a[4];
  for (let n = lo; n < hi; n++) {
    const tn = t[a[1] + n];
    const out = a[3] + n * V;
    if (tn < 0) {
      o.fill(0, out, out + V);
      continue;
    }
    const row = a[0] + n * V;
    const lse = rowLogSumExp(x, row, V);
    const gn = g[a[2] + n];
    for (let v = 0; v < V; v++) o[out + v] = gn * ((v === tn ? 1 : 0) - Math.exp(x[row + v] - lse));
  }
};
