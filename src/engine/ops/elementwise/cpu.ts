/**
 * CPU kernels of add, sub, mul, scale, unary, unary_grad. All index element i of the output from
 * element i of input 0 only, so the output may alias input 0 (in-place gradient accumulation).
 * The registered kernels are the range kernels of backends/cpu/threads/ranges/elementwise.ts (split
 * over threads when the backend has them); the plain loops here are their reference.
 */

import { bindRange, type CpuKernel, type CpuKernels, type KernelContext } from '../../backends/cpu/kernel-kit.ts';
import type { ArrayView, F32View } from '../../backends/cpu/tensor.ts';
import {
  binaryRange,
  scaleRange,
  UNARY_CODES,
  unaryGradRange,
  unaryRange,
} from '../../backends/cpu/threads/ranges/elementwise.ts';
import { numel } from '../shape.ts';
import type { UnaryFn } from './index.ts';

export type BinaryOp = 'add' | 'sub' | 'mul';

/** b has a's shape or a's trailing dims: element i of a pairs with element i mod numel(b) of b. */
export function binary(op: BinaryOp, a: F32View, b: F32View, out: F32View): void {
  const n = numel(a.shape);
  const nb = numel(b.shape);
  const x = a.data;
  const y = b.data;
  const o = out.data;
  for (let base = 0; base < n; base += nb) {
    if (op === 'add') for (let j = 0; j < nb; j++) o[base + j] = x[base + j] + y[j];
    else if (op === 'sub') for (let j = 0; j < nb; j++) o[base + j] = x[base + j] - y[j];
    else for (let j = 0; j < nb; j++) o[base + j] = x[base + j] * y[j];
  }
}

export function scale(a: F32View, s: number, out: F32View): void {
  const n = numel(a.shape);
  for (let i = 0; i < n; i++) out.data[i] = a.data[i] * s;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function unaryFn(fn: UnaryFn, x: number): number {
  switch (fn) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'square':
      return x * x;
    case 'sigmoid':
      return sigmoid(x);
    case 'log_sigmoid':
      // min(x, 0) - log(1 + e^-|x|): no overflow for large |x|.
      return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
    case 'relu':
      return Math.max(x, 0);
    case 'gelu_tanh':
      return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
    case 'silu':
      return x * sigmoid(x);
    case 'log1mexp':
      // log(1 − e^x) (Mächler 2012): 1 − e^x cancels near 0 and e^x underflows far left.
      return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
  }
}

/** fn'(x). relu'(0) = 0 as in PyTorch. */
export function unaryDerivative(fn: UnaryFn, x: number): number {
  switch (fn) {
    case 'neg':
      return -1;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return 1 / x;
    case 'square':
      return 2 * x;
    case 'sigmoid': {
      const s = sigmoid(x);
      return s * (1 - s);
    }
    case 'log_sigmoid':
      return sigmoid(-x);
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'gelu_tanh': {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
    }
    case 'silu': {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case 'log1mexp':
      // −e^x / (1 − e^x) = −1 / expm1(−x): exact where 1 − e^x would cancel.
      return -1 / Math.expm1(-x);
  }
}

export function unary(fn: UnaryFn, a: F32View, out: F32View): void {
  const n = numel(a.shape);
  for (let i = 0; i < n; i++) out.data[i] = unaryFn(fn, a.data[i]);
}

export function unaryGrad(fn: UnaryFn, a: F32View, g: F32View, out: F32View): void {
  const n = numel(a.shape);
  for (let i = 0; i < n; i++) out.data[i] = g.data[i] * unaryDerivative(fn, a.data[i]);
}

/** About nanoseconds per element of a unary function or its derivative on one core (exp, tanh... cost most). */
const UNARY_COST: Readonly<Record<UnaryFn, number>> = {
  neg: 1,
  exp: 12,
  log: 12,
  square: 1,
  sigmoid: 15,
  log_sigmoid: 25,
  relu: 1,
  gelu_tanh: 25,
  silu: 15,
  log1mexp: 25,
};

/** Elementwise runs start on 16-element (64-byte) boundaries: no two threads write one cache line. */
const LINE = 16;

function binaryKernel(op: number): CpuKernel<'add' | 'sub' | 'mul'> {
  return (_l, [a, b], o, ctx: KernelContext) => {
    const n = numel(a.shape);
    return bindRange(ctx, binaryRange, [a, b, o], [op, numel(b.shape)], [], n, 1, LINE).run;
  };
}

const views = (...v: ArrayView[]) => v;

export const elementwiseCpu: CpuKernels<'add' | 'sub' | 'mul' | 'scale' | 'unary' | 'unary_grad'> = {
  add: binaryKernel(0),
  sub: binaryKernel(1),
  mul: binaryKernel(2),
  scale: (l, [a], o, ctx) => bindRange(ctx, scaleRange, views(a, o), [], [l.attrs.s], numel(a.shape), 1, LINE).run,
  unary: (l, [a], o, ctx) =>
    bindRange(ctx, unaryRange, views(a, o), [UNARY_CODES[l.attrs.fn]], [], numel(a.shape), UNARY_COST[l.attrs.fn], LINE)
      .run,
  unary_grad: (l, [a, g], o, ctx) =>
    bindRange(
      ctx,
      unaryGradRange,
      views(a, g, o),
      [UNARY_CODES[l.attrs.fn]],
      [],
      numel(a.shape),
      UNARY_COST[l.attrs.fn],
      LINE,
    ).run,
};
