/** Causal, key-masked softmax over attention scores [B, H, T, T] and its backward; one workgroup per row. */
import type { Launch } from '../../../backend.ts';
import { numel } from '../../../ops.ts';
import { asGpuTensor } from '../tensor.ts';
import { perRow } from './per-row.ts';
import type { DispatchSpec, KernelContext } from './types.ts';
import { NEG_BIG, pow2Threads } from './wgsl-reduce.ts';

export function softmaxCausalKernel(launch: Launch<'softmax_causal'>, ctx: KernelContext): DispatchSpec[] {
  const [scoresView, maskView] = launch.inputs;
  const [B, H, T] = scoresView.shape;
  const count = numel(scoresView.shape);
  const out = asGpuTensor(launch.output.tensor, 'softmax_causal');
  return perRow(
    ctx,
    'softmax_causal',
    B * H * T,
    pow2Threads(T, 32, ctx.limits.maxThreads),
    (k) => {
      k.u32('T', T).u32('HT', H * T).f32('scale', launch.attrs.scale);
      k.tensor('out', out, count, 'read_write')
        .tensor('x', asGpuTensor(scoresView.tensor, 'softmax_causal'), count, 'read')
        .tensor('mask', asGpuTensor(maskView.tensor, 'softmax_causal mask'), B * T, 'read');
    },
    `  let q = row % p.T;
  let mbase = (row / p.HT) * p.T;
  let base = row * p.T;
  var m = ${NEG_BIG};
  var hasKey = 0.0;
  for (var j = li; j <= q; j += WG) {
    if (ld_mask(mbase + j) != 0.0) { m = max(m, p.scale * ld_x(base + j)); hasKey = 1.0; }
  }
  let rowMax = wg_max(li, m);
  let rowAny = wg_max(li, hasKey);
  var s = 0.0;
  for (var j = li; j <= q; j += WG) {
    if (ld_mask(mbase + j) != 0.0) { s += exp(p.scale * ld_x(base + j) - rowMax); }
  }
  let total = wg_sum(li, s);
  for (var j = li; j < p.T; j += WG) {
    var v = 0.0;
    if (rowAny > 0.0 && j <= q && ld_mask(mbase + j) != 0.0) { v = exp(p.scale * ld_x(base + j) - rowMax) / total; }
    st_out(base + j, v);
  }`,
  );
}

export function softmaxCausalGradKernel(launch: Launch<'softmax_causal_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [probsView, gView] = launch.inputs;
  const shape = probsView.shape;
  const T = shape[shape.length - 1];
  const count = numel(shape);
  const out = asGpuTensor(launch.output.tensor, 'softmax_causal_grad');
  return perRow(
    ctx,
    'softmax_causal_grad',
    count / T,
    pow2Threads(T, 32, ctx.limits.maxThreads),
    (k) => {
      k.u32('T', T).f32('scale', launch.attrs.scale);
      k.tensor('out', out, count, 'read_write')
        .tensor('prob', asGpuTensor(probsView.tensor, 'softmax_causal_grad'), count, 'read')
        .tensor('g', asGpuTensor(gView.tensor, 'softmax_causal_grad'), count, 'read');
    },
    `  let base = row * p.T;
  var s = 0.0;
  for (var j = li; j < p.T; j += WG) { s += ld_g(base + j) * ld_prob(base + j); }
  let gp = wg_sum(li, s);
  for (var j = li; j < p.T; j += WG) {
    st_out(base + j, p.scale * ld_prob(base + j) * (ld_g(base + j) - gp));
  }`,
  );
}
