/**
 * Fused token log-probabilities: log_softmax(logits)[target] in one pass over each row with an
 * online log-sum-exp (running max and rescaled sum), never materialising the softmax. The
 * backward recomputes the row's log-sum-exp and writes g * (onehot - softmax) directly.
 */
import type { Launch } from '../../backend.ts';
import type { Kernel } from '../../backends/webgpu/kernels/builder.ts';
import { perRow } from '../../backends/webgpu/kernels/per-row.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { NEG_BIG } from '../../backends/webgpu/kernels/wgsl-reduce.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';

/** WGSL: the row's (max, sum of exp(x - max)) into \`lse\`. */
const ROW_LSE = `  let base = row * p.V;
  var m = ${NEG_BIG};
  var s = 0.0;
  for (var c = li; c < p.V; c += WG) {
    let x = ld_x(base + c);
    if (x > m) { s = s * exp(m - x) + 1.0; m = x; } else { s += exp(x - m); }
  }
  let lse = wg_logsumexp_state(li, m, s);
  let tgt = ld_tgt(row);`;

function bindCommon(k: Kernel, launch: Launch<'token_logprobs' | 'token_logprobs_grad'>, N: number, V: number): void {
  k.u32('V', V).i32('Vi', V);
  k.tensor('x', asGpuTensor(launch.inputs[0].tensor, launch.op), N * V, 'read');
  k.tensor('tgt', asGpuTensor(launch.inputs[1].tensor, `${launch.op} targets`), N, 'read');
}

export function tokenLogprobsKernel(launch: Launch<'token_logprobs'>, ctx: KernelContext): DispatchSpec[] {
  const [N, V] = launch.inputs[0].shape;
  const out = asGpuTensor(launch.output.tensor, 'token_logprobs');
  return perRow(
    ctx,
    'token_logprobs',
    N,
    ctx.limits.maxThreads,
    (k) => {
      k.tensor('out', out, N, 'read_write');
      bindCommon(k, launch, N, V);
    },
    `${ROW_LSE}
  if (li == 0u) {
    var v = 0.0;
    if (tgt >= 0 && tgt < p.Vi) { v = ld_x(base + u32(tgt)) - lse.x - log(lse.y); }
    st_out(row, v);
  }`,
  );
}

export function tokenLogprobsGradKernel(launch: Launch<'token_logprobs_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [N, V] = launch.inputs[0].shape;
  const out = asGpuTensor(launch.output.tensor, 'token_logprobs_grad');
  return perRow(
    ctx,
    'token_logprobs_grad',
    N,
    ctx.limits.maxThreads,
    (k) => {
      k.tensor('out', out, N * V, 'read_write');
      bindCommon(k, launch, N, V);
      k.tensor('g', asGpuTensor(launch.inputs[2].tensor, 'token_logprobs_grad g'), N, 'read');
    },
    `${ROW_LSE}
  let valid = tgt >= 0 && tgt < p.Vi;
  let gr = select(0.0, ld_g(row), valid);
  for (var c = li; c < p.V; c += WG) {
    let onehot = select(0.0, 1.0, valid && i32(c) == tgt);
    st_out(base + c, gr * (onehot - exp(ld_x(base + c) - lse.x) / lse.y));
  }`,
  );
}

export const logprobsWgsl: WgslKernels<'token_logprobs' | 'token_logprobs_grad'> = {
  token_logprobs: tokenLogprobsKernel,
  token_logprobs_grad: tokenLogprobsGradKernel,
};
