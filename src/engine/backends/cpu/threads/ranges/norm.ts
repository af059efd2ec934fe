/**
 * Range kernels of layernorm and rmsnorm, forward and gradients. Rows for the forward and dx;
 * the weight gradients (a sum over rows per column) run in two passes, row statistics by rows into
 * a float64 scratch, then columns, each column summed over rows in order: every number is the one
 * the reference loops in ops/norm/cpu.ts compute (same operations, same order, float64 sums).
 *
 * Self-contained but for this file's row helpers (no imports, no other module-level names): helper
 * threads run their source text, the helpers' first (index.ts RANGE_HELPERS, worker-source.ts).
 */
import type { RangeArray, RangeKernel } from './types.ts';

/** Mean of x[xr .. xr + D). */
export function rowMean(x: RangeArray, xr: number, D: number): number {
  let mean = 0;
  for (let j = 0; j < D; j++) mean += x[xr + j];
  return mean / D;
}

/** 1 / sqrt(biased variance + eps) of x[xr .. xr + D) around its mean. */
export function rowRstd(x: RangeArray, xr: number, D: number, mean: number, eps: number): number {
  let v = 0;
  for (let j = 0; j < D; j++) {
    const d = x[xr + j] - mean;
    v += d * d;
  }
  return 1 / Math.sqrt(v / D + eps);
}

/** 1 / sqrt(mean square + eps) of x[xr .. xr + D). */
export function rowInvRms(x: RangeArray, xr: number, D: number, eps: number): number {
  let s = 0;
  for (let j = 0; j < D; j++) s += x[xr + j] * x[xr + j];
  return 1 / Math.sqrt(s / D + eps);
}

/** Layernorm rows of D: arr [x, w, b, out], a [xo, wo, bo, oo, D], f [eps]. */
export const layernormRange: RangeKernel = function layernormRange(arr, a, f, lo, hi) {
  const x = arr[0];
  const w = arr[1];
  const b = arr[2];
  const o = arr[3];
  const wo = a[1];
  const bo = a[2];
  const D = a[4];
  const eps = f[0];
  for (let r = lo; r < hi; r++) {
    const xr = a[0] + r * D;
    const or = a[3] + r * D;
    const mean = rowMean(x, xr, D);
    const rstd = rowRstd(x, xr, D, mean, eps);
    for (let j = 0; j < D; j++) o[or + j] = (x[xr + j] - mean) * rstd * w[wo + j] + b[bo + j];
  }
};

/** Layernorm dx rows: arr [x, w, g, out], a [xo, wo, go, oo, D], f [eps]. */
export const layernormGradXRange: RangeKernel = function layernormGradXRange(arr, a, f, lo, hi) {
  const x = arr[0];
  const w = arr[1];
  const g = arr[2];
  const o = arr[3];
  const wo = a[1];
  const D = a[4];
  const eps = f[0];
  for (let r = lo; r < hi; r++) {
    const xr = a[0] + r * D;
    const gr = a[2] + r * D;
    const or = a[3] + r * D;
    const mean = rowMean(x, xr, D);
    const rstd = rowRstd(x, xr, D, mean, eps);
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let j = 0; j < D; j++) {
      const dy = g[gr + j] * w[wo + j];
      sumDy += dy;
      sumDyXhat += dy * (x[xr + j] - mean) * rstd;
    }
    const mDy = sumDy / D;
    const mDyXhat = sumDyXhat / D;
    for (let j = 0; j < D; j++) {
      const xhat = (x[xr + j] - mean) * rstd;
      o[or + j] = rstd * (g[gr + j] * w[wo + j] - mDy - xhat * mDyXhat);
    }
  }
};

/** Rmsnorm rows: arr [x, w, out], a [xo, wo, oo, D], f [eps]. */
export const rmsnormRange: RangeKernel = function rmsnormRange(arr, a, f, lo, hi) {
  const x = arr[0];
  const w = arr[1];
  const o = arr[2];
  const wo = a[1];
  const D = a[3];
  const eps = f[0];
  for (let r = lo; r < hi; r++) {
    const xr = a[0] + r * D;
    const or = a[2] + r * D;
    const inv = rowInvRms(x, xr, D, eps);
    for (let j = 0; j < D; j++) o[or + j] = x[xr + j] * inv * w[wo + j];
  }
};

/** Rmsnorm dx rows: arr [x, w, g, out], a [xo, wo, go, oo, D], f [eps]. */
export const rmsnormGradXRange: RangeKernel = function rmsnormGradXRange(arr, a, f, lo, hi) {
  const x = arr[0];
  const w = arr[1];
  const g = arr[2];
  const o = arr[3];
  const wo = a[1];
  const D = a[4];
  const eps = f[0];
  for (let r = lo; r < hi; r++) {
    const xr = a[0] + r * D;
    const gr = a[2] + r * D;
    const or = a[3] + r * D;
    const inv = rowInvRms(x, xr, D, eps);
    let dot = 0;
    for (let j = 0; j < D; j++) dot += g[gr + j] * w[wo + j] * x[xr + j];
    const c = (inv * inv * dot) / D;
    for (let j = 0; j < D; j++) o[or + j] = inv * (g[gr + j] * w[wo + j] - x[xr + j] * c);
  }
};

/**
 * Row statistics for the weight gradients: arr [x, stats (f64)], a [xo, so, D, rms], f [eps];
 * stats[2r] = mean (0 for rmsnorm), stats[2r + 1] = rstd (layernorm) or 1/rms (rmsnorm).
 */
export const normStatsRange: RangeKernel = function normStatsRange(arr, a, f, lo, hi) {
  const x = arr[0];
  const st = arr[1];
  const D = a[2];
  const eps = f[0];
  for (let r = lo; r < hi; r++) {
    const xr = a[0] + r * D;
    const so = a[1] + 2 * r;
    if (a[3] !== 0) {
      st[so] = 0;
      st[so + 1] = rowInvRms(x, xr, D, eps);
      continue;
    }
    const mean = rowMean(x, xr, D);
    st[so] = mean;
    st[so + 1] = rowRstd(x, xr, D, mean, eps);
  }
};

/**
 * Weight gradient columns [lo, hi): out[j] = sum over rows of g * (x - mean) * rstd (layernorm) or
 * g * x * inv (rmsnorm), rows in order: arr [x, g, stats (f64), out], a [xo, go, so, oo, D, rows, rms].
 */
export const normGradWRange: RangeKernel = function normGradWRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const g = arr[1];
  const st = arr[2];
  const o = arr[3];
  const D = a[4];
  const rows = a[5];
  const rms = a[6] !== 0;
  const acc = new Float64Array(hi - lo);
  for (let r = 0; r < rows; r++) {
    const xr = a[0] + r * D;
    const gr = a[1] + r * D;
    const mean = st[a[2] + 2 * r];
    const k = st[a[2] + 2 * r + 1];
    if (rms) for (let j = lo; j < hi; j++) acc[j - lo] += g[gr + j] * x[xr + j] * k;
    else for (let j = lo; j < hi; j++) acc[j - lo] += g[gr + j] * (x[xr + j] - mean) * k;
  }
  for (let j = lo; j < hi; j++) o[a[3] + j] = acc[j - lo];
};
