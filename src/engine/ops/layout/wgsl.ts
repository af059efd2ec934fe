/** WGSL kernels of the data-movement ops: reshape (as a copy), permute, slice_last, pad_last, repeat_heads, sum_heads. */
import type { Launch } from '../../backend.ts';
import { elementwise, operand, output } from '../../backends/webgpu/kernels/elementwise.ts';
import { launchIo, perOutput } from '../../backends/webgpu/kernels/per-output.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';

export function permuteKernel(launch: Launch<'permute'>, ctx: KernelContext): DispatchSpec[] {
  const { src, srcCount, out, count } = launchIo(launch);
  const shape = launch.inputs[0].shape;
  const pad = 4 - shape.length;
  const inShape = [...Array(pad).fill(1), ...shape];
  const perm = [...Array(pad).keys(), ...launch.attrs.perm.map((q) => q + pad)];
  const inStride = [inShape[1] * inShape[2] * inShape[3], inShape[2] * inShape[3], inShape[3], 1];
  const outShape = perm.map((q) => inShape[q]);
  return perOutput(
    ctx,
    'permute',
    count,
    (k) => {
      k.u32('d1', outShape[1]).u32('d2', outShape[2]).u32('d3', outShape[3]);
      for (let j = 0; j < 4; j++) k.u32(`s${j}`, inStride[perm[j]]);
      k.tensor('out', out, count, 'read_write').tensor('x', src, srcCount, 'read');
    },
    `  let o3 = i % p.d3;
  let o2 = (i / p.d3) % p.d2;
  let o1 = (i / (p.d3 * p.d2)) % p.d1;
  let o0 = i / (p.d3 * p.d2 * p.d1);
  st_out(i, ld_x(o0 * p.s0 + o1 * p.s1 + o2 * p.s2 + o3 * p.s3));`,
  );
}

export function sliceLastKernel(launch: Launch<'slice_last'>, ctx: KernelContext): DispatchSpec[] {
  const { src, srcCount, out, count } = launchIo(launch);
  const shape = launch.inputs[0].shape;
  const { start, len } = launch.attrs;
  return perOutput(
    ctx,
    'slice_last',
    count,
    (k) => {
      k.u32('cols', shape[shape.length - 1])
        .u32('start', start)
        .u32('len', len);
      k.tensor('out', out, count, 'read_write').tensor('x', src, srcCount, 'read');
    },
    '  st_out(i, ld_x((i / p.len) * p.cols + p.start + i % p.len));',
  );
}

export function padLastKernel(launch: Launch<'pad_last'>, ctx: KernelContext): DispatchSpec[] {
  const { src, srcCount, out, count } = launchIo(launch);
  const shape = launch.inputs[0].shape;
  const { start, total } = launch.attrs;
  return perOutput(
    ctx,
    'pad_last',
    count,
    (k) => {
      k.u32('total', total)
        .u32('start', start)
        .u32('len', shape[shape.length - 1]);
      k.tensor('out', out, count, 'read_write').tensor('g', src, srcCount, 'read');
    },
    `  let j = i % p.total;
  var v = 0.0;
  if (j >= p.start && j < p.start + p.len) { v = ld_g((i / p.total) * p.len + j - p.start); }
  st_out(i, v);`,
  );
}

export function repeatHeadsKernel(launch: Launch<'repeat_heads'>, ctx: KernelContext): DispatchSpec[] {
  const { src, srcCount, out, count } = launchIo(launch);
  const [, hkv, t, d] = launch.inputs[0].shape;
  return perOutput(
    ctx,
    'repeat_heads',
    count,
    (k) => {
      k.u32('td', t * d)
        .u32('hkv', hkv)
        .u32('rep', launch.attrs.rep);
      k.tensor('out', out, count, 'read_write').tensor('x', src, srcCount, 'read');
    },
    `  let td = i % p.td;
  let bh = i / p.td;
  let h = bh % (p.hkv * p.rep);
  let b = bh / (p.hkv * p.rep);
  st_out(i, ld_x((b * p.hkv + h / p.rep) * p.td + td));`,
  );
}

export function sumHeadsKernel(launch: Launch<'sum_heads'>, ctx: KernelContext): DispatchSpec[] {
  const { src, srcCount, out, count } = launchIo(launch);
  const [, , t, d] = launch.inputs[0].shape;
  return perOutput(
    ctx,
    'sum_heads',
    count,
    (k) => {
      k.u32('td', t * d).u32('rep', launch.attrs.rep);
      k.tensor('out', out, count, 'read_write').tensor('g', src, srcCount, 'read');
    },
    `  let td = i % p.td;
  let bh = i / p.td;
  var acc = 0.0;
  for (var r = 0u; r < p.rep; r++) { acc += ld_g((bh * p.rep + r) * p.td + td); }
  st_out(i, acc);`,
  );
}

/** Copies input 0 into the output (a reshape whose output is a different tensor). */
export function copyKernel(launch: Launch, ctx: KernelContext): DispatchSpec[] {
  const src = operand('x', launch.inputs[0], launch.op);
  return elementwise({ label: `${launch.op}_copy`, ...output(launch), operands: [src], body: '  st_out(i, x);' }, ctx);
}

export const layoutWgsl: WgslKernels<'reshape' | 'permute' | 'slice_last' | 'pad_last' | 'repeat_heads' | 'sum_heads'> =
  {
    reshape: copyKernel,
    permute: permuteKernel,
    slice_last: sliceLastKernel,
    pad_last: padLastKernel,
    repeat_heads: repeatHeadsKernel,
    sum_heads: sumHeadsKernel,
  };
