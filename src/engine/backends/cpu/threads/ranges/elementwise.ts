/**
 * Range kernels of the elementwise ops (unary, unary_grad, add/sub/mul with a trailing-dims
 * broadcast, scale): each computes output elements [lo, hi) and nothing else, so any split of the
 * elements over threads gives the same numbers. Every expression is written exactly as in
 * ops/elementwise/cpu.ts's unaryFn/unaryDerivative (same operations, same order): the results are
 * bit-identical to those reference loops.
 *
 * Self-contained (no imports, no module-level names): helper threads run their source text.
 * Arguments: arr holds the operands' typed arrays; a their element offsets, then integer
 * attributes; f float attributes.
 */
import type { RangeKernel } from './types.ts';

/** Codes of UnaryFn for a[2] of unaryRange / a[3] of unaryGradRange (ops/elementwise/index.ts's order). */
export const UNARY_CODES = {
  neg: 0,
  exp: 1,
  log: 2,
  square: 3,
  sigmoid: 4,
  log_sigmoid: 5,
  relu: 6,
  gelu_tanh: 7,
  silu: 8,
  log1mexp: 9,
} as const;

/** out = fn(x): arr [x, out], a [xo, oo, fn code]. */
export const unaryRange: RangeKernel = function unaryRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const o = arr[1];
  const d = a[1] - a[0];
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const C = Math.sqrt(2 / Math.PI);
  const G = 0.044715;
  const start = a[0] + lo;
  const end = a[0] + hi;
  switch (a[2]) {
    case 0:
      for (let i = start; i < end; i++) o[i + d] = -x[i];
      break;
    case 1:
      for (let i = start; i < end; i++) o[i + d] = Math.exp(x[i]);
      break;
    case 2:
      for (let i = start; i < end; i++) o[i + d] = Math.log(x[i]);
      break;
    case 3:
      for (let i = start; i < end; i++) o[i + d] = x[i] * x[i];
      break;
    case 4:
      for (let i = start; i < end; i++) o[i + d] = sig(x[i]);
      break;
    case 5:
      for (let i = start; i < end; i++) {
        const v = x[i];
        o[i + d] = Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v)));
      }
      break;
    case 6:
      for (let i = start; i < end; i++) o[i + d] = Math.max(x[i], 0);
      break;
    case 7:
      for (let i = start; i < end; i++) {
        const v = x[i];
        o[i + d] = 0.5 * v * (1 + Math.tanh(C * (v + G * v * v * v)));
      }
      break;
    case 8:
      for (let i = start; i < end; i++) {
        const v = x[i];
        o[i + d] = v * sig(v);
      }
      break;
    case 9:
      for (let i = start; i < end; i++) {
        const v = x[i];
        o[i + d] = v > -Math.LN2 ? Math.log(-Math.expm1(v)) : Math.log1p(-Math.exp(v));
      }
      break;
    default:
      throw new Error(`unaryRange: unknown function code ${a[2]}`);
  }
};

/** out = g * fn'(x): arr [x, g, out], a [xo, go, oo, fn code]. */
export const unaryGradRange: RangeKernel = function unaryGradRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const g = arr[1];
  const o = arr[2];
  const dg = a[1] - a[0];
  const d = a[2] - a[0];
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const C = Math.sqrt(2 / Math.PI);
  const G = 0.044715;
  const start = a[0] + lo;
  const end = a[0] + hi;
  switch (a[3]) {
    case 0:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * -1;
      break;
    case 1:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * Math.exp(x[i]);
      break;
    case 2:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * (1 / x[i]);
      break;
    case 3:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * (2 * x[i]);
      break;
    case 4:
      for (let i = start; i < end; i++) {
        const s = sig(x[i]);
        o[i + d] = g[i + dg] * (s * (1 - s));
      }
      break;
    case 5:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * sig(-x[i]);
      break;
    case 6:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * (x[i] > 0 ? 1 : 0);
      break;
    case 7:
      for (let i = start; i < end; i++) {
        const v = x[i];
        const t = Math.tanh(C * (v + G * v * v * v));
        o[i + d] = g[i + dg] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * C * (1 + 3 * G * v * v));
      }
      break;
    case 8:
      for (let i = start; i < end; i++) {
        const v = x[i];
        const s = sig(v);
        o[i + d] = g[i + dg] * (s * (1 + v * (1 - s)));
      }
      break;
    case 9:
      for (let i = start; i < end; i++) o[i + d] = g[i + dg] * (-1 / Math.expm1(-x[i]));
      break;
    default:
      throw new Error(`unaryGradRange: unknown function code ${a[3]}`);
  }
};

/**
 * out[e] = x[e] op y[e mod nb]: arr [x, y, out], a [xo, yo, oo, op (0 add, 1 sub, 2 mul), nb].
 * The output may alias x (in-place accumulation): element e is read before it is written.
 */
export const binaryRange: RangeKernel = function binaryRange(arr, a, _f, lo, hi) {
  const x = arr[0];
  const y = arr[1];
  const o = arr[2];
  const xo = a[0];
  const yo = a[1];
  const oo = a[2];
  const op = a[3];
  const nb = a[4];
  let e = lo;
  while (e < hi) {
    // One run of y: elements e.. up to the next multiple of nb (or hi).
    const j0 = e % nb;
    const len = Math.min(hi - e, nb - j0);
    const xs = xo + e;
    const ys = yo + j0;
    const os = oo + e;
    if (op === 0) for (let k = 0; k < len; k++) o[os + k] = x[xs + k] + y[ys + k];
    else if (op === 1) for (let k = 0; k < len; k++) o[os + k] = x[xs + k] - y[ys + k];
    else for (let k = 0; k < len; k++) o[os + k] = x[xs + k] * y[ys + k];
    e += len;
  }
};

/** out = x * s: arr [x, out], a [xo, oo], f [s]. */
export const scaleRange: RangeKernel = function scaleRange(arr, a, f, lo, hi) {
  const x = arr[0];
  const o = arr[1];
  const d = a[1] - a[0];
  const s = f[0];
  for (let i = a[0] + lo, end = a[0] + hi; i < end; i++) o[i + d] = x[i] * s;
};
