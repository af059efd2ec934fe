/**
 * LayerNorm and RMSNorm, forward and backward, one workgroup per row. The weight gradients first
 * store per-row statistics in scratch, then reduce columns without atomics (columnReduce,
 * backends/webgpu/kernels/reduce.ts).
 */
import type { Launch } from '../../backend.ts';
import type { Kernel } from '../../backends/webgpu/kernels/builder.ts';
import { perRow } from '../../backends/webgpu/kernels/per-row.ts';
import { columnReduce } from '../../backends/webgpu/kernels/reduce.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { pow2Threads } from '../../backends/webgpu/kernels/wgsl-reduce.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

type NormOp = 'layernorm' | 'layernorm_grad_x' | 'layernorm_grad_w' | 'rmsnorm' | 'rmsnorm_grad_x' | 'rmsnorm_grad_w';

function dims(launch: Launch<NormOp>) {
  const shape = launch.inputs[0].shape;
  const cols = shape[shape.length - 1];
  return { cols, rows: numel(shape) / cols, count: numel(shape) };
}

/** WGSL computing `mean` and `rstd` (layernorm) or `rstd` (rmsnorm) of row `base`. */
function rowStats(kind: 'layer' | 'rms'): string {
  if (kind === 'rms') {
    return `  var q = 0.0;
  for (var c = li; c < p.cols; c += WG) { let x = ld_x(base + c); q += x * x; }
  let mean = 0.0;
  let rstd = 1.0 / sqrt(wg_sum(li, q) / f32(p.cols) + p.eps);`;
  }
  return `  var s = 0.0;
  for (var c = li; c < p.cols; c += WG) { s += ld_x(base + c); }
  let mean = wg_sum(li, s) / f32(p.cols);
  var q = 0.0;
  for (var c = li; c < p.cols; c += WG) { let d = ld_x(base + c) - mean; q += d * d; }
  let rstd = 1.0 / sqrt(wg_sum(li, q) / f32(p.cols) + p.eps);`;
}

/**
 * One pass over the rows of x (a workgroup per row) with the row's statistics in scope: `body`
 * runs after `base`, `mean` and `rstd` are defined. `bind` binds the tensors after cols and eps.
 */
function rowPass(launch: Launch<NormOp>, ctx: KernelContext, label: string, bind: (k: Kernel) => void, body: string) {
  const { rows, cols } = dims(launch);
  const layer = launch.op.startsWith('layernorm');
  return perRow(ctx, rows, pow2Threads(cols, 32, ctx.limits.maxThreads), {
    label,
    bind: (k) => {
      k.u32('cols', cols).f32('eps', launch.attrs.eps);
      bind(k);
    },
    body: `  let base = row * p.cols;
${rowStats(layer ? 'layer' : 'rms')}
${body}`,
  });
}

export function normKernel(launch: Launch<'layernorm' | 'rmsnorm'>, ctx: KernelContext): DispatchSpec[] {
  const { cols, count } = dims(launch);
  const layer = launch.op === 'layernorm';
  const x = asGpuTensor(launch.inputs[0].tensor, launch.op);
  const w = asGpuTensor(launch.inputs[1].tensor, launch.op);
  const out = asGpuTensor(launch.output.tensor, launch.op);
  return rowPass(
    launch,
    ctx,
    launch.op,
    (k) => {
      k.tensor('out', out, count, 'read_write').tensor('x', x, count, 'read').tensor('w', w, cols, 'read');
      if (layer) k.tensor('b', asGpuTensor(launch.inputs[2].tensor, 'layernorm bias'), cols, 'read');
    },
    `  for (var c = li; c < p.cols; c += WG) {
    st_out(base + c, (ld_x(base + c) - mean) * rstd * ld_w(c)${layer ? ' + ld_b(c)' : ''});
  }`,
  );
}

export function normGradXKernel(
  launch: Launch<'layernorm_grad_x' | 'rmsnorm_grad_x'>,
  ctx: KernelContext,
): DispatchSpec[] {
  const { cols, count } = dims(launch);
  const layer = launch.op === 'layernorm_grad_x';
  const [xv, wv, gv] = launch.inputs;
  const out = asGpuTensor(launch.output.tensor, launch.op);
  return rowPass(
    launch,
    ctx,
    launch.op,
    (k) =>
      k
        .tensor('out', out, count, 'read_write')
        .tensor('x', asGpuTensor(xv.tensor, launch.op), count, 'read')
        .tensor('w', asGpuTensor(wv.tensor, launch.op), cols, 'read')
        .tensor('g', asGpuTensor(gv.tensor, launch.op), count, 'read'),
    `  var s1 = 0.0;
  var s2 = 0.0;
  for (var c = li; c < p.cols; c += WG) {
    let xhat = (ld_x(base + c) - mean) * rstd;
    let gw = ld_g(base + c) * ld_w(c);
    s1 += gw;
    s2 += gw * xhat;
  }
  let m1 = ${layer ? 'wg_sum(li, s1) / f32(p.cols)' : '0.0'};
  let m2 = wg_sum(li, s2) / f32(p.cols);
  for (var c = li; c < p.cols; c += WG) {
    let xhat = (ld_x(base + c) - mean) * rstd;
    let gw = ld_g(base + c) * ld_w(c);
    st_out(base + c, rstd * (gw - m1 - xhat * m2));
  }`,
  );
}

export function normGradWKernel(
  launch: Launch<'layernorm_grad_w' | 'rmsnorm_grad_w'>,
  ctx: KernelContext,
): DispatchSpec[] {
  const { rows, cols, count } = dims(launch);
  const x = asGpuTensor(launch.inputs[0].tensor, launch.op);
  const g = asGpuTensor(launch.inputs[1].tensor, launch.op);
  const out = asGpuTensor(launch.output.tensor, launch.op);
  const stats = ctx.scratch(rows * 2 * 4);
  const statsPass = rowPass(
    launch,
    ctx,
    `${launch.op}_stats`,
    (k) => k.buffer('stats', stats, 'f32', 'read_write').tensor('x', x, count, 'read'),
    `  if (li == 0u) {
    st_stats(2u * row, mean);
    st_stats(2u * row + 1u, rstd);
  }`,
  );
  const columns = columnReduce(ctx, {
    label: launch.op,
    rows,
    cols,
    out,
    bind: (k) => k.tensor('x', x, count, 'read').tensor('g', g, count, 'read').buffer('stats', stats, 'f32', 'read'),
    expr: 'ld_g(idx) * (ld_x(idx) - ld_stats(2u * r)) * ld_stats(2u * r + 1u)',
  });
  return [...statsPass, ...columns];
}

export const normWgsl: WgslKernels<
  'layernorm' | 'layernorm_grad_x' | 'layernorm_grad_w' | 'rmsnorm' | 'rmsnorm_grad_x' | 'rmsnorm_grad_w'
> = {
  layernorm: normKernel,
  layernorm_grad_x: normGradXKernel,
  layernorm_grad_w: normGradWKernel,
  rmsnorm: normKernel,
  rmsnorm_grad_x: normGradXKernel,
  rmsnorm_grad_w: normGradWKernel,
};
