/**
 * CPU kernels of the causal softmax and its gradient: the registered kernels are the row range
 * kernels of backends/cpu/threads/ranges/rows.ts (split over threads when the backend has them);
 * the plain loops here are their reference.
 */
import { bindRange, type CpuKernels } from '../../backends/cpu/kernel-kit.ts';
import type { F32View } from '../../backends/cpu/tensor.ts';
import { softmaxCausalGradRange, softmaxCausalRange } from '../../backends/cpu/threads/ranges/rows.ts';
import { numel } from '../shape.ts';

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

export const softmaxCpu: CpuKernels<'softmax_causal' | 'softmax_causal_grad'> = {
  softmax_causal: (l, [s, m], o, ctx) => {
    const [B, H, Tq, Tk] = s.shape;
    return bindRange(ctx, softmaxCausalRange, [s, m, o], [H, Tq, Tk], [l.attrs.scale], B * H * Tq, 10 * Tk).run;
  },
  softmax_causal_grad: (l, [p, g], o, ctx) => {
    const T = p.shape[p.shape.length - 1];
    return bindRange(ctx, softmaxCausalGradRange, [p, g, o], [T], [l.attrs.scale], numel(p.shape) / T, 3 * T).run;
  },
};
