/**
 * CPU kernels of layernorm, rmsnorm and their gradient ops. Row statistics accumulate in float64
 * (JS numbers): this backend is the accuracy reference. The forward and dx kernels registered are
 * the row range kernels of backends/cpu/threads/ranges/norm.ts (split over threads when the
 * backend has them); the plain loops here are their reference.
 */
import {
  bindRange,
  type CpuKernel,
  type CpuKernels,
  f32,
  type KernelContext,
  sharedOffset,
} from '../../backends/cpu/kernel-kit.ts';
import type { ArrayView, F32View } from '../../backends/cpu/tensor.ts';
import { rangeId } from '../../backends/cpu/threads/ranges/index.ts';
import * as normRanges from '../../backends/cpu/threads/ranges/norm.ts';
import { OPERAND_KIND } from '../../backends/cpu/threads/ranges/types.ts';
import { numel } from '../shape.ts';

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

const rowsOf = (shape: readonly number[]) => numel(shape) / shape[shape.length - 1];

/**
 * The weight gradient of layernorm (rms 0) or rmsnorm (rms 1): on the pool's threads when its
 * operands live in the shared memory, as two range jobs (row statistics into a float64 scratch
 * block, then columns), else the reference loop; both give the same numbers.
 */
function normGradW(rms: 0 | 1): CpuKernel<'layernorm_grad_w' | 'rmsnorm_grad_w'> {
  return (l, [x, g], o, ctx: KernelContext) => {
    const eps = l.attrs.eps;
    const D = lastDim(x.shape);
    const rows = rowsOf(x.shape);
    const reference = () =>
      rms ? rmsnormGradW(f32(x), f32(g), eps, f32(o)) : layernormGradW(f32(x), f32(g), eps, f32(o));
    const pool = ctx.threads;
    const at = [x, g, o].map((v: ArrayView) => sharedOffset(ctx, v));
    if (!pool || 3 * rows * D < pool.minRangeWork || at.some((a) => a === undefined)) return reference;
    const [xo, go, oo] = at as number[];
    const { f32: F, f64: F64 } = OPERAND_KIND;
    const floats = Float64Array.of(eps);
    const statsId = rangeId(normRanges.normStatsRange);
    const gradId = rangeId(normRanges.normGradWRange);
    return () => {
      const block = pool.allocScratch(16 * rows);
      if (block === null) return reference();
      const so = block / 8;
      try {
        const statsOk = pool.tryRange(statsId, Int32Array.of(F, F64), Int32Array.of(xo, so, D, rms), floats, rows, 1);
        const colsOk =
          statsOk &&
          pool.tryRange(gradId, Int32Array.of(F, F, F64, F), Int32Array.of(xo, go, so, oo, D, rows, rms), floats, D, 1);
        if (!colsOk) reference();
      } finally {
        pool.freeScratch(block);
      }
    };
  };
}
const lastDim = (shape: readonly number[]) => shape[shape.length - 1];

export const normCpu: CpuKernels<
  'layernorm' | 'layernorm_grad_x' | 'layernorm_grad_w' | 'rmsnorm' | 'rmsnorm_grad_x' | 'rmsnorm_grad_w'
> = {
  layernorm: (l, [x, w, b], o, ctx) => {
    const D = lastDim(x.shape);
    return bindRange(ctx, normRanges.layernormRange, [x, w, b, o], [D], [l.attrs.eps], rowsOf(x.shape), 4 * D).run;
  },
  layernorm_grad_x: (l, [x, w, g], o, ctx) => {
    const D = lastDim(x.shape);
    return bindRange(ctx, normRanges.layernormGradXRange, [x, w, g, o], [D], [l.attrs.eps], rowsOf(x.shape), 7 * D).run;
  },
  layernorm_grad_w: normGradW(0),
  rmsnorm: (l, [x, w], o, ctx) => {
    const D = lastDim(x.shape);
    return bindRange(ctx, normRanges.rmsnormRange, [x, w, o], [D], [l.attrs.eps], rowsOf(x.shape), 3 * D).run;
  },
  rmsnorm_grad_x: (l, [x, w, g], o, ctx) => {
    const D = lastDim(x.shape);
    return bindRange(ctx, normRanges.rmsnormGradXRange, [x, w, g, o], [D], [l.attrs.eps], rowsOf(x.shape), 5 * D).run;
  },
  rmsnorm_grad_w: normGradW(1),
};
