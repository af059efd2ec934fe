/**
 * CPU kernels of the data-movement ops: reshape (as a copy), permute, slice_last, pad_last,
 * repeat_heads, sum_heads. Permute, slice_last and pad_last register the row range kernels of
 * backends/cpu/threads/ranges/layout.ts (split over threads when the backend has them); the plain
 * loops here are their reference.
 */
import { bindRange, type CpuKernels, eachRun, f32 } from '../../backends/cpu/kernel-kit.ts';
import type { ArrayView, F32View } from '../../backends/cpu/tensor.ts';
import { padLastRange, permuteRange, sliceLastRange } from '../../backends/cpu/threads/ranges/layout.ts';
import { numel } from '../shape.ts';

/** The planner aliases reshapes; a reshape launch only happens when the result must land in another tensor. */
export function copy(a: ArrayView, out: ArrayView): void {
  const n = numel(a.shape);
  if (a.data !== out.data) out.data.set(a.data.subarray(0, n));
}

/** A permute as rank 4 (leading 1s): the output's dims and, per output axis, the input stride it walks. */
export function permutePlan(shape: readonly number[], perm: readonly number[]): { dims: number[]; st: number[] } {
  const r = shape.length;
  const pad = 4 - r;
  const inShape = [1, 1, 1, 1];
  for (let i = 0; i < r; i++) inShape[pad + i] = shape[i];
  const inStride = [0, 0, 0, 0];
  let s = 1;
  for (let i = 3; i >= 0; i--) {
    inStride[i] = s;
    s *= inShape[i];
  }
  const st = [0, 0, 0, 0];
  const dims = [1, 1, 1, 1];
  for (let i = 0; i < r; i++) {
    st[pad + i] = inStride[pad + perm[i]];
    dims[pad + i] = shape[perm[i]];
  }
  return { dims, st };
}

/** out.shape[i] = a.shape[perm[i]]; shapes are padded to rank 4 with leading 1s. */
export function permute(a: ArrayView, perm: readonly number[], out: ArrayView): void {
  const { dims, st } = permutePlan(a.shape, perm);
  const x = a.data;
  const o = out.data;
  let k = 0;
  for (let i0 = 0; i0 < dims[0]; i0++)
    for (let i1 = 0; i1 < dims[1]; i1++)
      for (let i2 = 0; i2 < dims[2]; i2++) {
        const base = i0 * st[0] + i1 * st[1] + i2 * st[2];
        for (let i3 = 0; i3 < dims[3]; i3++) o[k++] = x[base + i3 * st[3]];
      }
}

export function sliceLast(a: F32View, start: number, len: number, out: F32View): void {
  const D = a.shape[a.shape.length - 1];
  const rows = numel(a.shape) / D;
  for (let r = 0; r < rows; r++) for (let j = 0; j < len; j++) out.data[r * len + j] = a.data[r * D + start + j];
}

export function padLast(g: F32View, start: number, total: number, out: F32View): void {
  const len = g.shape[g.shape.length - 1];
  const rows = numel(g.shape) / len;
  out.data.fill(0, 0, rows * total);
  for (let r = 0; r < rows; r++) for (let j = 0; j < len; j++) out.data[r * total + start + j] = g.data[r * len + j];
}

/** a [B, Hkv, T, D] -> out [B, Hkv*rep, T, D]; out head h copies a's head floor(h / rep). */
export function repeatHeads(a: F32View, rep: number, out: F32View): void {
  const [B, H, T, D] = a.shape;
  const block = T * D;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H * rep; h++) {
      const src = (b * H + Math.floor(h / rep)) * block;
      out.data.set(a.data.subarray(src, src + block), (b * H * rep + h) * block);
    }
}

/** g [B, Hkv*rep, T, D] -> out [B, Hkv, T, D], summing each group of rep heads. */
export function sumHeads(g: F32View, rep: number, out: F32View): void {
  const [B, HR, T, D] = g.shape;
  const H = HR / rep;
  const block = T * D;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const dst = (b * H + h) * block;
      for (let i = 0; i < block; i++) {
        let s = 0;
        for (let r = 0; r < rep; r++) s += g.data[(b * HR + h * rep + r) * block + i];
        out.data[dst + i] = s;
      }
    }
}

const rowsOf = (shape: readonly number[]) => numel(shape) / shape[shape.length - 1];

export const layoutCpu: CpuKernels<'reshape' | 'permute' | 'slice_last' | 'pad_last' | 'repeat_heads' | 'sum_heads'> = {
  reshape: eachRun((_l, [a], o) => copy(a, o)),
  permute: (l, [a], o, ctx) => {
    const { dims, st } = permutePlan(a.shape, l.attrs.perm);
    const rows = dims[0] * dims[1] * dims[2];
    return bindRange(ctx, permuteRange, [a, o], [dims[1], dims[2], dims[3], ...st], [], rows, 1.5 * dims[3]).run;
  },
  slice_last: (l, [a], o, ctx) => {
    const { start, len } = l.attrs;
    const D = a.shape[a.shape.length - 1];
    return bindRange(ctx, sliceLastRange, [a, o], [D, start, len], [], rowsOf(a.shape), len).run;
  },
  pad_last: (l, [g], o, ctx) => {
    const { start, total } = l.attrs;
    const len = g.shape[g.shape.length - 1];
    return bindRange(ctx, padLastRange, [g, o], [len, start, total], [], rowsOf(g.shape), total).run;
  },
  repeat_heads: eachRun((l, [a], o) => repeatHeads(f32(a), l.attrs.rep, f32(o))),
  sum_heads: eachRun((l, [g], o) => sumHeads(f32(g), l.attrs.rep, f32(o))),
};
