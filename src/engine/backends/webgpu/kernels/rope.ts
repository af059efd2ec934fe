/**
 * Rotary embedding (rotate_half layout) on x [B, H, T, D]. The cos/sin table is computed once on
 * the host in double precision and cached on the device, so positions far along a sequence keep
 * the accuracy that an f32 angle computed in the shader would lose.
 */
import type { Launch } from '../../../backend.ts';
import { numel } from '../../../ops.ts';
import { asGpuTensor } from '../tensor.ts';
import { perOutput } from './per-output.ts';
import type { DispatchSpec, KernelContext } from './types.ts';

/** [cos(t * f_i) for t < T, i < D/2] followed by the matching sines, with f_i = theta^(-2i/D). */
export function ropeTable(T: number, D: number, theta: number): Float32Array {
  const half = D / 2;
  const table = new Float32Array(2 * T * half);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * theta ** ((-2 * i) / D);
      table[t * half + i] = Math.cos(angle);
      table[T * half + t * half + i] = Math.sin(angle);
    }
  }
  return table;
}

export function ropeKernel(launch: Launch<'rope'>, ctx: KernelContext): DispatchSpec[] {
  const shape = launch.inputs[0].shape;
  const [, , T, D] = shape;
  const { theta, inverse } = launch.attrs;
  const count = numel(shape);
  const x = asGpuTensor(launch.inputs[0].tensor, 'rope');
  const out = asGpuTensor(launch.output.tensor, 'rope');
  const table = ctx.constant(`rope:${T}:${D}:${theta}`, () => ropeTable(T, D, theta));
  return perOutput(
    ctx,
    'rope',
    count / 2,
    (k) => {
      k.u32('T', T).u32('half', D / 2).f32('dir', inverse ? -1 : 1);
      k.tensor('out', out, count, 'read_write').tensor('x', x, count, 'read').buffer('tab', table, 'f32', 'read');
    },
    `  let j = i % p.half;
  let row = i / p.half;
  let t = row % p.T;
  let base = row * 2u * p.half;
  let c = ld_tab(t * p.half + j);
  let s = p.dir * ld_tab((p.T + t) * p.half + j);
  let x1 = ld_x(base + j);
  let x2 = ld_x(base + j + p.half);
  st_out(base + j, x1 * c - x2 * s);
  st_out(base + j + p.half, x2 * c + x1 * s);`,
  );
}
