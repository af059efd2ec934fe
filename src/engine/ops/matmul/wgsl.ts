/**
 * Batched matmul with transposes and a shared 2-D right operand. Two kernel families, both
 * bounds-checked for any shape:
 *  - 'tiled' (GPUs): 16x16 threads, each a register block of a 64x64 to 128x128 output tile
 *    (backends/webgpu/kernels/matmul-tiles.ts; the shape is autotuned per adapter), with 16-deep
 *    operand slices staged in workgroup memory and loads laid out for coalescing.
 *  - 'register' (CPU adapters such as SwiftShader, where barriers are expensive): 8x8 threads,
 *    each a 4x4 block of a 32x32 tile, reading operands straight from storage; out-of-range
 *    rows/cols are clamped for the loads and masked at the store, keeping the inner loop branch-free.
 */
import type { Launch } from '../../backend.ts';
import { Kernel } from '../../backends/webgpu/kernels/builder.ts';
import { skinnyMatmulBody, skinnyPlan, skinnyWorkgroups } from '../../backends/webgpu/kernels/matmul-skinny.ts';
import {
  aIndex,
  bIndex,
  bindMatmulOperand,
  contiguousDims,
  DEFAULT_MATMUL_TILE,
  MATMUL_TILES,
  type MatmulSegment,
  tileCols,
  tiledMatmulBody,
  tileRows,
} from '../../backends/webgpu/kernels/matmul-tiles.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';

export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  strideA: number;
  strideB: number;
  strideO: number;
}

export function matmulDims(launch: Launch<'matmul'>): MatmulDims {
  const [a, b] = launch.inputs;
  const { transA, transB } = launch.attrs;
  const ar = a.shape.length;
  const br = b.shape.length;
  let M = transA ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = transA ? a.shape[ar - 2] : a.shape[ar - 1];
  const N = transB ? b.shape[br - 2] : b.shape[br - 1];
  let batch = numel(a.shape.slice(0, ar - 2));
  if (br === 2 && !transA) {
    // A shared 2-D b: fold a's batch into its rows, giving one big matmul with better tiles.
    M *= batch;
    batch = 1;
  }
  return { batch, M, N, K, strideA: M * K, strideB: br === 2 ? 0 : K * N, strideO: M * N };
}

export function matmulKernel(launch: Launch<'matmul'>, ctx: KernelContext): DispatchSpec[] {
  const d = matmulDims(launch);
  const [a, b] = launch.inputs;
  const { transA, transB } = launch.attrs;
  const shape = MATMUL_TILES[ctx.matmulTile ?? DEFAULT_MATMUL_TILE];
  const rows = ctx.matmul === 'tiled' ? tileRows(shape) : 32;
  const cols = ctx.matmul === 'tiled' ? tileCols(shape) : 32;
  const k = new Kernel(ctx, `matmul_${ctx.matmul}${transA ? '_tA' : ''}${transB ? '_tB' : ''}`)
    .u32('M', d.M)
    .u32('N', d.N)
    .u32('K', d.K)
    .u32('sa', d.strideA)
    .u32('sb', d.strideB)
    .u32('so', d.strideO);
  // Decided before the operands are bound: only the tiled body reads vec4 views of them.
  const skinny = skinnyPlan(d, ctx);
  const contiguous = contiguousDims(d, transA, transB);
  k.tensor('out', asGpuTensor(launch.output.tensor, 'matmul output'), numel(launch.output.shape), 'read_write');
  const vecA = bindMatmulOperand(k, ctx, 'a', asGpuTensor(a.tensor, 'matmul a'), numel(a.shape), contiguous.a, !skinny);
  const vecB = bindMatmulOperand(k, ctx, 'b', asGpuTensor(b.tensor, 'matmul b'), numel(b.shape), contiguous.b, !skinny);
  if (d.batch * d.M * d.N === 0) return [];
  if (skinny) {
    if (skinny.subgroups) k.enableSubgroups();
    return [k.build(skinnyMatmulBody(transA, transB, skinny), skinnyWorkgroups(d, skinny))];
  }
  const body =
    ctx.matmul === 'tiled'
      ? tiledMatmulBody(transA, transB, shape, undefined, { vecA, vecB })
      : registerBody(transA, transB);
  return [k.build(body, [Math.ceil(d.N / cols), Math.ceil(d.M / rows), d.batch])];
}

/**
 * The register kernel's body; with `second` (uniforms K2, sa2, sb2; tensors a2, b2; same M, N,
 * batch and output layout) it also computes that product into its own accumulators after the
 * first and stores through `st_out(i, v, v2)` (fusion/matmul-pair.ts), each accumulator seeing
 * exactly the fmas of its own unfused kernel.
 */
export function registerBody(
  transA: boolean,
  transB: boolean,
  second?: { readonly transA: boolean; readonly transB: boolean },
): string {
  // Fully unrolled with scalar registers: SwiftShader keeps these in SIMD registers, whereas
  // dynamically indexed local arrays go through memory and run ~10x slower.
  const r = [0, 1, 2, 3];
  const rows = r.map((i) => `  let r${i} = min(row0 + ${i}u, p.M - 1u);`).join('\n');
  const cols = r.map((j) => `  let c${j} = min(col0 + ${8 * j}u, p.N - 1u);`).join('\n');
  const segments: MatmulSegment[] = [{ transA, transB, suffix: '' }];
  if (second) segments.push({ ...second, suffix: '2' });
  const stored = (i: number, j: number) => segments.map((g) => `acc${g.suffix}_${i}[${j}]`).join(', ');
  const stores = r
    .map(
      (i) => `  if (row0 + ${i}u < p.M) {
${r.map((j) => `    if (col0 + ${8 * j}u < p.N) { st_out(oBase + (row0 + ${i}u) * p.N + col0 + ${8 * j}u, ${stored(i, j)}); }`).join('\n')}
  }`,
    )
    .join('\n');
  return `@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * 32u + (li / 8u) * 4u;
  let col0 = wid.x * 32u + li % 8u;
${rows}
${cols}
${segments.map(registerLoop).join('')}  let oBase = wid.z * p.so;
${stores}
}
`;
}

/** Declares acc<s>_0..3 and accumulates one product into them, ascending k with fma. */
function registerLoop(g: MatmulSegment): string {
  const r = [0, 1, 2, 3];
  const s = g.suffix;
  const acc = r.map((i) => `  var acc${s}_${i} = vec4f(0.0);`).join('\n');
  const bLoads = r.map((j) => `ld_b${s}(bBase${s} + ${bIndex(g.transB, 'kk', `c${j}`, s)})`).join(', ');
  const fmas = r
    .map(
      (i) =>
        `    acc${s}_${i} = fma(vec4f(ld_a${s}(aBase${s} + ${aIndex(g.transA, `r${i}`, 'kk', s)})), bv, acc${s}_${i});`,
    )
    .join('\n');
  return `  let aBase${s} = wid.z * p.sa${s};
  let bBase${s} = wid.z * p.sb${s};
${acc}
  for (var kk = 0u; kk < p.K${s}; kk++) {
    let bv = vec4f(${bLoads});
${fmas}
  }
`;
}

export const matmulWgsl: WgslKernels<'matmul'> = { matmul: matmulKernel };
