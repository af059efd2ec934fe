/**
 * Rotary embedding (rotate_half layout) on x [B, H, T, D]. Angles follow the CPU reference (and
 * transformers): inverse frequencies and angles rounded to f32, cos/sin of that angle. For `rope`
 * the cos/sin table is computed once on the host in double precision and cached on the device; for
 * `rope_at` (decoding, positions known only at run time) the shader forms the same f32 angle and
 * evaluates sin/cos itself (see SIN_COS).
 */
import type { Launch } from '../../backend.ts';
import type { KernelSource } from '../../backends/webgpu/kernels/builder.ts';
import { perOutput } from '../../backends/webgpu/kernels/per-output.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

/** f32 inverse frequencies, exactly as the CPU backend computes them. */
export function ropeInvFreq(D: number, theta: number): Float32Array {
  const half = D / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / D)));
  return inv;
}

/** [cos(angle(t, i)) for t < T, i < D/2] followed by the matching sines. */
export function ropeTable(T: number, D: number, theta: number): Float32Array {
  const half = D / 2;
  const inv = ropeInvFreq(D, theta);
  const table = new Float32Array(2 * T * half);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(t * inv[i]);
      table[t * half + i] = Math.cos(angle);
      table[T * half + t * half + i] = Math.sin(angle);
    }
  }
  return table;
}

/**
 * One thread per rotated pair (j, j + half) of x's rows: `body` is WGSL defining `c` and `s` for
 * pair j at time step t of the row starting at `base`; the pair is then rotated into out.
 */
function rotatePairs(ctx: KernelContext, count: number, { label, bind, body, helpers }: KernelSource): DispatchSpec[] {
  return perOutput(ctx, count / 2, {
    label,
    bind,
    body: `  let j = i % p.half;
  let row = i / p.half;
  let t = row % p.T;
  let base = row * 2u * p.half;
${body}
  let x1 = ld_x(base + j);
  let x2 = ld_x(base + j + p.half);
  st_out(base + j, x1 * c - x2 * s);
  st_out(base + j + p.half, x2 * c + x1 * s);`,
    helpers,
  });
}

export function ropeKernel(launch: Launch<'rope'>, ctx: KernelContext): DispatchSpec[] {
  const shape = launch.inputs[0].shape;
  const [, , T, D] = shape;
  const { theta, inverse } = launch.attrs;
  const count = numel(shape);
  const x = asGpuTensor(launch.inputs[0].tensor, 'rope');
  const out = asGpuTensor(launch.output.tensor, 'rope');
  const table = ctx.constant(`rope:${T}:${D}:${theta}`, () => ropeTable(T, D, theta));
  return rotatePairs(ctx, count, {
    label: 'rope',
    bind: (k) => {
      k.u32('T', T)
        .u32('half', D / 2)
        .f32('dir', inverse ? -1 : 1);
      k.tensor('out', out, count, 'read_write').tensor('x', x, count, 'read').buffer('tab', table, 'f32', 'read');
    },
    body: `  let c = ld_tab(t * p.half + j);
  let s = p.dir * ld_tab((p.T + t) * p.half + j);`,
  });
}

/**
 * sin and cos of a non-negative f32 angle to about 1 ulp: Cody-Waite reduction by pi/2 (three-part
 * constant, exact products for quadrant counts below 2^13, i.e. angles below ~12000 rad) and Cephes'
 * single-precision polynomials on [-pi/4, pi/4]. WGSL's own sin/cos only promise 2^-11 near zero.
 */
const SIN_COS = `
fn sin_cos(a: f32) -> vec2f {
  let q = round(a * 0.63661977236758134);
  let r = ((a - q * 1.5703125) - q * 4.837512969970703125e-4) - q * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  switch (u32(q) & 3u) {
    case 0u: { return vec2f(s, c); }
    case 1u: { return vec2f(c, -s); }
    case 2u: { return vec2f(-s, -c); }
    default: { return vec2f(-c, s); }
  }
}
`;

export function ropeAtKernel(launch: Launch<'rope_at'>, ctx: KernelContext): DispatchSpec[] {
  const [xView, posView] = launch.inputs;
  const [B, H, T, D] = xView.shape;
  const { theta } = launch.attrs;
  const count = numel(xView.shape);
  const inv = ctx.constant(`rope_inv:${D}:${theta}`, () => ropeInvFreq(D, theta));
  return rotatePairs(ctx, count, {
    label: 'rope_at',
    bind: (k) => {
      k.u32('T', T)
        .u32('HT', H * T)
        .u32('half', D / 2);
      k.tensor('out', asGpuTensor(launch.output.tensor, 'rope_at'), count, 'read_write')
        .tensor('x', asGpuTensor(xView.tensor, 'rope_at'), count, 'read')
        .tensor('pos', asGpuTensor(posView.tensor, 'rope_at pos'), B, 'read')
        .buffer('inv', inv, 'f32', 'read');
    },
    body: `  // The f32 angle (exact position times f32 frequency, one rounding) as the CPU computes it.
  let sc = sin_cos(f32(ld_pos(row / p.HT) + i32(t)) * ld_inv(j));
  let s = sc.x;
  let c = sc.y;`,
    helpers: SIN_COS,
  });
}

export const ropeWgsl: WgslKernels<'rope' | 'rope_at'> = { rope: ropeKernel, rope_at: ropeAtKernel };
