/**
 * Range kernels of data movement and per-element updates: permute (by output rows), slice_last
 * and pad_last (by rows), sum_leading (by output columns, each summed over the leading rows in
 * order, in float64) and the AdamW update (by elements), each unit computed exactly as the
 * reference loops in ops/layout, ops/reduce and ops/adamw compute it.
 *
 * Self-contained (no imports, no module-level names): helper threads run their source text.
 */
import type { RangeKernel } from './types.ts';

/**
 * A rank-4 permute: output row u = (i0, i1, i2) of d3 elements reads x at i0 s0 + i1 s1 + i2 s2
 * + i3 s3: arr [x, out], a [xo, oo, d1, d2, d3, s0, s1, s2, s3]; units: rows d0 * d1 * d2.
 */
export const permuteRange: RangeKernel = function permuteRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const o = arr[1];
  const d1 = a[2];
  const d2 = a[3];
  const d3 = a[4];
  const s0 = a[5];
  const s1 = a[6];
  const s2 = a[7];
  const s3 = a[8];
  for (let u = lo; u < hi; u++) {
    const i2 = u % d2;
    const i01 = (u - i2) / d2;
    const i1 = i01 % d1;
    const i0 = (i01 - i1) / d1;
    const base = a[0] + i0 * s0 + i1 * s1 + i2 * s2;
    const k = a[1] + u * d3;
    if (s3 === 1) for (let i3 = 0; i3 < d3; i3++) o[k + i3] = x[base + i3];
    else for (let i3 = 0; i3 < d3; i3++) o[k + i3] = x[base + i3 * s3];
  }
};

/** out[r, j] = x[r, start + j] for j < len: arr [x, out], a [xo, oo, D, start, len]; units: rows. */
export const sliceLastRange: RangeKernel = function sliceLastRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const o = arr[1];
  const D = a[2];
  const start = a[3];
  const len = a[4];
  for (let r = lo; r < hi; r++) {
    const src = a[0] + r * D + start;
    const dst = a[1] + r * len;
    for (let j = 0; j < len; j++) o[dst + j] = x[src + j];
  }
};

/** Row r of out (total wide) is zero but for g's row at start: arr [g, out], a [go, oo, len, start, total]. */
export const padLastRange: RangeKernel = function padLastRange(arr, a, _f, lo, hi) {
  const g = arr[0];
  const o = arr[1];
  const len = a[2];
  const start = a[3];
  const total = a[4];
  for (let r = lo; r < hi; r++) {
    const src = a[0] + r * len;
    const dst = a[1] + r * total;
    o.fill(0, dst, dst + start);
    for (let j = 0; j < len; j++) o[dst + start + j] = g[src + j];
    o.fill(0, dst + start + len, dst + total);
  }
};

/** out[j] = sum over the leading rows of x[row, j], in row order: arr [x, out], a [xo, oo, rows, m]; units: columns. */
export const sumLeadingRange: RangeKernel = function sumLeadingRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const o = arr[1];
  const rows = a[2];
  const m = a[3];
  const acc = new Float64Array(hi - lo);
  for (let r = 0; r < rows; r++) {
    const base = a[0] + r * m;
    for (let j = lo; j < hi; j++) acc[j - lo] += x[base + j];
  }
  for (let j = lo; j < hi; j++) o[a[1] + j] = acc[j - lo];
};

/**
 * In-place AdamW on elements [lo, hi): arr [p, g, m, v], a [po, go, mo, vo],
 * f [lr, beta1, beta2, eps, weightDecay, biasCorr1, biasCorr2, clipCoefficient].
 */
export const adamwRange: RangeKernel = function adamwRange(arr, a, f, lo, hi) {
  const p = arr[0];
  const g = arr[1];
  const m = arr[2];
  const v = arr[3];
  const dg = a[1] - a[0];
  const dm = a[2] - a[0];
  const dv = a[3] - a[0];
  const lr = f[0];
  const b1 = f[1];
  const b2 = f[2];
  const eps = f[3];
  const wd = f[4];
  const bc1 = f[5];
  const bc2 = f[6];
  const coef = f[7];
  for (let i = a[0] + lo, end = a[0] + hi; i < end; i++) {
    const gi = g[i + dg] * coef;
    const mi = b1 * m[i + dm] + (1 - b1) * gi;
    const vi = b2 * v[i + dv] + (1 - b2) * gi * gi;
    m[i + dm] = mi;
    v[i + dv] = vi;
    const pi = p[i];
    p[i] = pi - lr * (mi / bc1 / (Math.sqrt(vi / bc2) + eps) + wd * pi);
  }
};
