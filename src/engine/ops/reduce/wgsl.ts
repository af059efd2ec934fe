/** WGSL kernels of the reductions and their adjoints. */
import type { Launch } from '../../backend.ts';
import { elementwise, operand, output } from '../../backends/webgpu/kernels/elementwise.ts';
import { gatherKernel } from '../../backends/webgpu/kernels/per-output.ts';
import { columnReduce, fullReduce } from '../../backends/webgpu/kernels/reduce.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

export function sumAllKernel(launch: Launch<'sum_all' | 'sumsq'>, ctx: KernelContext): DispatchSpec[] {
  const src = asGpuTensor(launch.inputs[0].tensor, launch.op);
  const out = asGpuTensor(launch.output.tensor, launch.op);
  return fullReduce(ctx, {
    label: launch.op,
    src,
    n: numel(launch.inputs[0].shape),
    out,
    expr: launch.op === 'sumsq' ? 'x * x' : 'x',
  });
}

export function sumLeadingKernel(launch: Launch<'sum_leading'>, ctx: KernelContext): DispatchSpec[] {
  const shape = launch.inputs[0].shape;
  const src = asGpuTensor(launch.inputs[0].tensor, 'sum_leading');
  const out = asGpuTensor(launch.output.tensor, 'sum_leading');
  const cols = numel(shape.slice(shape.length - launch.attrs.keep));
  const rows = numel(shape) / Math.max(1, cols);
  if (cols === 1) return fullReduce(ctx, { label: 'sum_leading', src, n: numel(shape), out, expr: 'x' });
  return columnReduce(ctx, {
    label: 'sum_leading',
    rows,
    cols,
    out,
    bind: (k) => k.tensor('x', src, rows * cols, 'read'),
    expr: 'ld_x(idx)',
  });
}

export function broadcastToKernel(launch: Launch<'broadcast_to'>, ctx: KernelContext): DispatchSpec[] {
  return elementwise(
    {
      label: 'broadcast_to',
      ...output(launch),
      operands: [operand('x', launch.inputs[0], 'broadcast_to')],
      body: '  st_out(i, x);',
    },
    ctx,
  );
}

export const reduceWgsl: WgslKernels<
  'sum_all' | 'sumsq' | 'sum_leading' | 'broadcast_to' | 'masked_row_sum' | 'expand_rows'
> = {
  sum_all: sumAllKernel,
  sumsq: sumAllKernel,
  sum_leading: sumLeadingKernel,
  broadcast_to: broadcastToKernel,
  masked_row_sum: gatherKernel(
    ['x', 'mask'],
    (l) => ({ cols: l.inputs[1].shape[1] }),
    `  var acc = 0.0;
  for (var t = 0u; t < p.cols; t++) { acc += ld_x(i * p.cols + t) * ld_mask(i * p.cols + t); }
  st_out(i, acc);`,
  ),
  expand_rows: gatherKernel(
    ['g', 'mask'],
    (l) => ({ cols: l.inputs[1].shape[1] }),
    '  st_out(i, ld_g(i / p.cols) * ld_mask(i));',
  ),
};
