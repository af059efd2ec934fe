/**
 * CPU kernels of the reductions and their adjoints. sum_leading registers the column range kernel
 * of backends/cpu/threads/ranges/layout.ts (split over threads when the backend has them); the
 * plain loop here is its reference. Full sums (sum_all, sumsq) stay on one thread: splitting them
 * would change their summation order.
 */
import { bindRange, type CpuKernels, eachRun, f32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View } from '../../backends/cpu/tensor.ts';
import { sumLeadingRange } from '../../backends/cpu/threads/ranges/layout.ts';
import { numel } from '../shape.ts';

export function sumAll(a: F32View, out: F32View): void {
  const n = numel(a.shape);
  let s = 0;
  for (let i = 0; i < n; i++) s += a.data[i];
  out.data[0] = s;
}

export function sumsq(a: F32View, out: F32View): void {
  const n = numel(a.shape);
  let s = 0;
  for (let i = 0; i < n; i++) s += a.data[i] * a.data[i];
  out.data[0] = s;
}

/** out = sum of a over its leading dims; out's numel is the size of the kept trailing block. */
export function sumLeading(a: F32View, out: F32View): void {
  const n = numel(a.shape);
  const m = numel(out.shape);
  const acc = new Float64Array(m);
  for (let base = 0; base < n; base += m) for (let j = 0; j < m; j++) acc[j] += a.data[base + j];
  for (let j = 0; j < m; j++) out.data[j] = acc[j];
}

/** a is a scalar or a trailing-dims suffix of out: out[i] = a[i mod numel(a)]. */
export function broadcastTo(a: F32View, out: F32View): void {
  const n = numel(out.shape);
  const m = numel(a.shape);
  for (let base = 0; base < n; base += m) for (let j = 0; j < m; j++) out.data[base + j] = a.data[j];
}

export function maskedRowSum(x: F32View, mask: F32View, out: F32View): void {
  const [B, T] = x.shape;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += x.data[b * T + t] * mask.data[b * T + t];
    out.data[b] = s;
  }
}

export function expandRows(g: F32View, mask: F32View, out: F32View): void {
  const [B, T] = mask.shape;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.data[b * T + t] = g.data[b] * mask.data[b * T + t];
}

export const reduceCpu: CpuKernels<
  'sum_all' | 'sumsq' | 'sum_leading' | 'broadcast_to' | 'masked_row_sum' | 'expand_rows'
> = {
  sum_all: eachRun((_l, [a], o) => sumAll(f32(a), f32(o))),
  sumsq: eachRun((_l, [a], o) => sumsq(f32(a), f32(o))),
  sum_leading: (_l, [a], o, ctx) => {
    const m = numel(o.shape);
    const rows = numel(a.shape) / m;
    return bindRange(ctx, sumLeadingRange, [a, o], [rows, m], [], m, 1.5 * rows).run;
  },
  broadcast_to: eachRun((_l, [a], o) => broadcastTo(f32(a), f32(o))),
  masked_row_sum: eachRun((_l, [x, m], o) => maskedRowSum(f32(x), f32(m), f32(o))),
  expand_rows: eachRun((_l, [g, m], o) => expandRows(f32(g), f32(m), f32(o))),
};
