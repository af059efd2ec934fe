/** CPU kernels of token_logprobs and its gradient; log-sum-exp accumulates in float64. */
import { type CpuKernels, checkTokenId, eachRun, f32, i32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View, I32View } from '../../backends/cpu/tensor.ts';

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

export const logprobsCpu: CpuKernels<'token_logprobs' | 'token_logprobs_grad'> = {
  token_logprobs: eachRun((_l, [x, t], o) => tokenLogprobs(f32(x), i32(t), f32(o))),
  token_logprobs_grad: eachRun((_l, [x, t, g], o) => tokenLogprobsGrad(f32(x), i32(t), f32(g), f32(o))),
};
