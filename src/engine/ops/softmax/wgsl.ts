/**
 * Causal, key-masked softmax over attention scores [B, H, Tq, Tk] (Tq < Tk when decoding against a
 * KV cache: query i sees keys j <= i + Tk - Tq) and its backward; one workgroup per row.
 */
import type { Launch } from '../../backend.ts';
import { perRow } from '../../backends/webgpu/kernels/per-row.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { NEG_BIG, pow2Threads } from '../../backends/webgpu/kernels/wgsl-reduce.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

export function softmaxCausalKernel(launch: Launch<'softmax_causal'>, ctx: KernelContext): DispatchSpec[] {
  const [scoresView, maskView] = launch.inputs;
  const [B, H, Tq, Tk] = scoresView.shape;
  const count = numel(scoresView.shape);
  const out = asGpuTensor(launch.output.tensor, 'softmax_causal');
  return perRow(ctx, B * H * Tq, pow2Threads(Tk, 32, ctx.limits.maxThreads), {
    label: 'softmax_causal',
    bind: (k) => {
      k.u32('Tq', Tq)
        .u32('Tk', Tk)
        .u32('HTq', H * Tq)
        .f32('scale', launch.attrs.scale);
      k.tensor('out', out, count, 'read_write')
        .tensor('x', asGpuTensor(scoresView.tensor, 'softmax_causal'), count, 'read')
        .tensor('mask', asGpuTensor(maskView.tensor, 'softmax_causal mask'), B * Tk, 'read');
    },
    body: `  let last = row % p.Tq + (p.Tk - p.Tq);
  let mbase = (row / p.HTq) * p.Tk;
  let base = row * p.Tk;
  var m = ${NEG_BIG};
  var hasKey = 0.0;
  for (var j = li; j <= last; j += WG) {
    if (ld_mask(mbase + j) != 0.0) { m = max(m, p.scale * ld_x(base + j)); hasKey = 1.0; }
  }
  let rowMax = wg_max(li, m);
  let rowAny = wg_max(li, hasKey);
  var s = 0.0;
  for (var j = li; j <= last; j += WG) {
    if (ld_mask(mbase + j) != 0.0) { s += exp(p.scale * ld_x(base + j) - rowMax); }
  }
  let total = wg_sum(li, s);
  for (var j = li; j < p.Tk; j += WG) {
    var v = 0.0;
    if (rowAny > 0.0 && j <= last && ld_mask(mbase + j) != 0.0) { v = exp(p.scale * ld_x(base + j) - rowMax) / total; }
    st_out(base + j, v);
  }`,
  });
}

export function softmaxCausalGradKernel(launch: Launch<'softmax_causal_grad'>, ctx: KernelContext): DispatchSpec[] {
  const [probsView, gView] = launch.inputs;
  const shape = probsView.shape;
  const T = shape[shape.length - 1];
  const count = numel(shape);
  const out = asGpuTensor(launch.output.tensor, 'softmax_causal_grad');
  return perRow(ctx, count / T, pow2Threads(T, 32, ctx.limits.maxThreads), {
    label: 'softmax_causal_grad',
    bind: (k) => {
      k.u32('T', T).f32('scale', launch.attrs.scale);
      k.tensor('out', out, count, 'read_write')
        .tensor('prob', asGpuTensor(probsView.tensor, 'softmax_causal_grad'), count, 'read')
        .tensor('g', asGpuTensor(gView.tensor, 'softmax_causal_grad'), count, 'read');
    },
    body: `  let base = row * p.T;
  var s = 0.0;
  for (var j = li; j < p.T; j += WG) { s += ld_g(base + j) * ld_prob(base + j); }
  let gp = wg_sum(li, s);
  for (var j = li; j < p.T; j += WG) {
    st_out(base + j, p.scale * ld_prob(base + j) * (ld_g(base + j) - gp));
  }`,
  });
}

export const softmaxWgsl: WgslKernels<'softmax_causal' | 'softmax_causal_grad'> = {
  softmax_causal: softmaxCausalKernel,
  softmax_causal_grad: softmaxCausalGradKernel,
};
