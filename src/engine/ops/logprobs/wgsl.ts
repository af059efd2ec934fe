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

/**
 * One workgroup per row of logits [N, V] with the row's log-sum-exp (`lse`) and target (`tgt`) in
 * scope; the output holds `outPerRow` values per row, and `bindMore` binds what else `tail` reads.
 */
function logitRows(
  launch: Launch<'token_logprobs' | 'token_logprobs_grad'>,
  ctx: KernelContext,
  outPerRow: number,
  tail: string,
  bindMore: (k: Kernel) => void = () => {},
): DispatchSpec[] {
  const [N, V] = launch.inputs[0].shape;
  const out = asGpuTensor(launch.output.tensor, launch.op);
  const bind = (k: Kernel) => {
    k.tensor('out', out, N * outPerRow, 'read_write');
    k.u32('V', V).i32('Vi', V);
    k.tensor('x', asGpuTensor(launch.inputs[0].tensor, launch.op), N * V, 'read');
    k.tensor('tgt', asGpuTensor(launch.inputs[1].tensor, `${launch.op} targets`), N, 'read');
    bindMore(k);
  };
  return perRow(ctx, N, ctx.limits.maxThreads, { label: launch.op, bind, body: `${ROW_LSE}\n${tail}` });
}

export function tokenLogprobsKernel(launch: Launch<'token_logprobs'>, ctx: KernelContext): DispatchSpec[] {
  return logitRows(
    launch,
    ctx,
    1,
    `  if (li == 0u) {
    var v = 0.0;
    if (tgt >= 0 && tgt < p.Vi) { v = ld_x(base + u32(tgt)) - lse.x - log(lse.y); }
    st_out(row, v);
  }`,
  );
}

export function tokenLogprobsGradKernel(launch: Launch<'token_logprobs_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [N, V] = launch.inputs[0].shape;
  const g = asGpuTensor(launch.inputs[2].tensor, 'token_logprobs_grad g');
  return logitRows(
    launch,
    ctx,
    V,
    `  let valid = tgt >= 0 && tgt < p.Vi;
  let gr = select(0.0, ld_g(row), valid);
  for (var c = li; c < p.V; c += WG) {
    let onehot = select(0.0, 1.0, valid && i32(c) == tgt);
    st_out(base + c, gr * (onehot - exp(ld_x(base + c) - lse.x) / lse.y));
  }`,
    (k) => k.tensor('g', g, N, 'read'),
  );
}

export const logprobsWgsl: WgslKernels<'token_logprobs' | 'token_logprobs_grad'> = {
  token_logprobs: tokenLogprobsKernel,
  token_logprobs_grad: tokenLogprobsGradKernel,
};
