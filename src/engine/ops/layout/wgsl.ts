/** WGSL kernels of the data-movement ops: reshape (as a copy), permute, slice_last, pad_last, repeat_heads, sum_heads. */
import type { Launch, TensorView } from '../../backend.ts';
import { elementwise, operand, output } from '../../backends/webgpu/kernels/elementwise.ts';
import { gatherKernel } from '../../backends/webgpu/kernels/per-output.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';

const lastDim = (v: TensorView): number => v.shape[v.shape.length - 1];

/** Output dims 1..3 and, per output axis, the input stride it walks (shapes padded to rank 4). */
function permuteUniforms(launch: Launch<'permute'>): Record<string, number> {
  const shape = launch.inputs[0].shape;
  const pad = 4 - shape.length;
  const inShape = [...Array(pad).fill(1), ...shape];
  const perm = [...Array(pad).keys(), ...launch.attrs.perm.map((q) => q + pad)];
  const inStride = [inShape[1] * inShape[2] * inShape[3], inShape[2] * inShape[3], inShape[3], 1];
  const outShape = perm.map((q) => inShape[q]);
  const u: Record<string, number> = { d1: outShape[1], d2: outShape[2], d3: outShape[3] };
  for (let j = 0; j < 4; j++) u[`s${j}`] = inStride[perm[j]];
  return u;
}

/** Copies input 0 into the output (a reshape whose output is a different tensor). */
export function copyKernel(launch: Launch, ctx: KernelContext): DispatchSpec[] {
  const src = operand('x', launch.inputs[0], launch.op);
  return elementwise({ label: `${launch.op}_copy`, ...output(launch), operands: [src], body: '  st_out(i, x);' }, ctx);
}

export const layoutWgsl: WgslKernels<'reshape' | 'permute' | 'slice_last' | 'pad_last' | 'repeat_heads' | 'sum_heads'> =
  {
    reshape: copyKernel,
    permute: gatherKernel(
      ['x'],
      permuteUniforms,
      `  let o3 = i % p.d3;
  let o2 = (i / p.d3) % p.d2;
  let o1 = (i / (p.d3 * p.d2)) % p.d1;
  let o0 = i / (p.d3 * p.d2 * p.d1);
  st_out(i, ld_x(o0 * p.s0 + o1 * p.s1 + o2 * p.s2 + o3 * p.s3));`,
    ),
    slice_last: gatherKernel(
      ['x'],
      (l) => ({ cols: lastDim(l.inputs[0]), start: l.attrs.start, len: l.attrs.len }),
      '  st_out(i, ld_x((i / p.len) * p.cols + p.start + i % p.len));',
    ),
    pad_last: gatherKernel(
      ['g'],
      (l) => ({ total: l.attrs.total, start: l.attrs.start, len: lastDim(l.inputs[0]) }),
      `  let j = i % p.total;
  var v = 0.0;
  if (j >= p.start && j < p.start + p.len) { v = ld_g((i / p.total) * p.len + j - p.start); }
  st_out(i, v);`,
    ),
    repeat_heads: gatherKernel(
      ['x'],
      (l) => {
        const [, hkv, t, d] = l.inputs[0].shape;
        return { td: t * d, hkv, rep: l.attrs.rep };
      },
      `  let td = i % p.td;
  let bh = i / p.td;
  let h = bh % (p.hkv * p.rep);
  let b = bh / (p.hkv * p.rep);
  st_out(i, ld_x((b * p.hkv + h / p.rep) * p.td + td));`,
    ),
    sum_heads: gatherKernel(
      ['g'],
      (l) => ({ td: l.inputs[0].shape[2] * l.inputs[0].shape[3], rep: l.attrs.rep }),
      `  let td = i % p.td;
  let bh = i / p.td;
  var acc = 0.0;
  for (var r = 0u; r < p.rep; r++) { acc += ld_g((bh * p.rep + r) * p.td + td); }
  st_out(i, acc);`,
    ),
  };
