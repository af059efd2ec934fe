/** KV-cache write for decoding: cache[b, h, pos[b] + t, :] = x[b, h, t, :], in place, dropping rows outside [0, Tmax). */
import type { Launch } from '../../backend.ts';
import { elementwise } from '../../backends/webgpu/kernels/elementwise.ts';
import { perOutput } from '../../backends/webgpu/kernels/per-output.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

export function cacheWriteKernel(launch: Launch<'cache_write'>, ctx: KernelContext): DispatchSpec[] {
  const [cacheView, xView, posView] = launch.inputs;
  const [B, H, Tmax, D] = cacheView.shape;
  const T = xView.shape[2];
  const cacheCount = numel(cacheView.shape);
  const cache = asGpuTensor(cacheView.tensor, 'cache_write cache');
  const out = asGpuTensor(launch.output.tensor, 'cache_write output');
  // Normally the output is the cache itself; otherwise start from a copy of it.
  const copy =
    out === cache
      ? []
      : elementwise(
          {
            label: 'cache_write_copy',
            out,
            count: cacheCount,
            operands: [{ name: 'x', tensor: cache, count: cacheCount, access: 'read' }],
            body: '  st_out(i, x);',
          },
          ctx,
        );
  const xCount = numel(xView.shape);
  const scatter = perOutput(ctx, xCount, {
    label: 'cache_write',
    bind: (k) => {
      k.u32('D', D).u32('T', T).u32('H', H).i32('Tmax', Tmax);
      k.tensor('out', out, cacheCount, 'read_write')
        .tensor('x', asGpuTensor(xView.tensor, 'cache_write x'), xCount, 'read')
        .tensor('pos', asGpuTensor(posView.tensor, 'cache_write pos'), B, 'read');
    },
    body: `  let d = i % p.D;
  let row = i / p.D;
  let t = row % p.T;
  let bh = row / p.T;
  let slot = ld_pos(bh / p.H) + i32(t);
  if (slot < 0 || slot >= p.Tmax) { return; }
  st_out((bh * u32(p.Tmax) + u32(slot)) * p.D + d, ld_x(i));`,
  });
  return [...copy, ...scatter];
}

export const cacheWgsl: WgslKernels<'cache_write'> = { cache_write: cacheWriteKernel };
