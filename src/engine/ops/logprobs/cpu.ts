/**
 * CPU kernels of token_logprobs and its gradient; log-sum-exp accumulates in float64. The
 * registered kernels check the targets here, then run the row range kernels of
 * backends/cpu/threads/ranges/rows.ts (split over threads when the backend has them); the plain
 * loops here are their reference.
 */
import { bindRange, type CpuKernels, checkTokenId, i32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View, I32View } from '../../backends/cpu/tensor.ts';
import { tokenLogprobsGradRange, tokenLogprobsRange } from '../../backends/cpu/threads/ranges/rows.ts';

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
    checkTokenId(t, V, 'token_logprobs');
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
    checkTokenId(t, V, 'token_logprobs_grad');
    const lse = rowLogSumExp(logits.data, n, V);
    const gn = g.data[n];
    for (let v = 0; v < V; v++) out.data[n * V + v] = gn * ((v === t ? 1 : 0) - Math.exp(logits.data[n * V + v] - lse));
  }
}

/** Throws on the first target outside [0, V) that is not negative (negative: an unscored row). */
function checkTargets(targets: Int32Array, N: number, V: number, where: string): void {
  for (let n = 0; n < N; n++) if (targets[n] >= 0) checkTokenId(targets[n], V, where);
}

export const logprobsCpu: CpuKernels<'token_logprobs' | 'token_logprobs_grad'> = {
  token_logprobs: (_l, [x, t], o, ctx) => {
    const [N, V] = x.shape;
    const range = bindRange(ctx, tokenLogprobsRange, [x, t, o], [V], [], N, 15 * V);
    return () => {
      checkTargets(i32(t).data, N, V, 'token_logprobs');
      range.run();
    };
  },
  token_logprobs_grad: (_l, [x, t, g], o, ctx) => {
    const [N, V] = x.shape;
    const range = bindRange(ctx, tokenLogprobsGradRange, [x, t, g, o], [V], [], N, 25 * V);
    return () => {
      checkTargets(i32(t).data, N, V, 'token_logprobs_grad');
      range.run();
    };
  },
};
