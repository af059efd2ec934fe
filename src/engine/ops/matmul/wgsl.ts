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
import {
  DEFAULT_MATMUL_TILE,
  MATMUL_TILES,
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
  k.tensor('out', asGpuTensor(launch.output.tensor, 'matmul output'), numel(launch.output.shape), 'read_write')
    .tensor('a', asGpuTensor(a.tensor, 'matmul a'), numel(a.shape), 'read')
    .tensor('b', asGpuTensor(b.tensor, 'matmul b'), numel(b.shape), 'read');
  if (d.batch * d.M * d.N === 0) return [];
  const body = ctx.matmul === 'tiled' ? tiledMatmulBody(transA, transB, shape) : registerBody(transA, transB);
  return [k.build(body, [Math.ceil(d.N / cols), Math.ceil(d.M / rows), d.batch])];
}

const aIndex = (transA: boolean, m: string, kk: string) =>
  transA ? `(${kk}) * p.M + (${m})` : `(${m}) * p.K + (${kk})`;
const bIndex = (transB: boolean, kk: string, n: string) =>
  transB ? `(${n}) * p.K + (${kk})` : `(${kk}) * p.N + (${n})`;

function registerBody(transA: boolean, transB: boolean): string {
  // Fully unrolled with scalar registers: SwiftShader keeps these in SIMD registers, whereas
  // dynamically indexed local arrays go through memory and run ~10x slower.
  const r = [0, 1, 2, 3];
  const rows = r.map((i) => `  let r${i} = min(row0 + ${i}u, p.M - 1u);`).join('\n');
  const cols = r.map((j) => `  let c${j} = min(col0 + ${8 * j}u, p.N - 1u);`).join('\n');
  const acc = r.map((i) => `  var acc${i} = vec4f(0.0);`).join('\n');
  const bLoads = r.map((j) => `ld_b(bBase + ${bIndex(transB, 'kk', `c${j}`)})`).join(', ');
  const fmas = r
    .map((i) => `    acc${i} = fma(vec4f(ld_a(aBase + ${aIndex(transA, `r${i}`, 'kk')})), bv, acc${i});`)
    .join('\n');
  const stores = r
    .map(
      (i) => `  if (row0 + ${i}u < p.M) {
${r.map((j) => `    if (col0 + ${8 * j}u < p.N) { st_out(oBase + (row0 + ${i}u) * p.N + col0 + ${8 * j}u, acc${i}[${j}]); }`).join('\n')}
  }`,
    )
    .join('\n');
  return `@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * 32u + (li / 8u) * 4u;
  let col0 = wid.x * 32u + li % 8u;
  let aBase = wid.z * p.sa;
  let bBase = wid.z * p.sb;
${rows}
${cols}
${acc}
  for (var kk = 0u; kk < p.K; kk++) {
    let bv = vec4f(${bLoads});
${fmas}
  }
  let oBase = wid.z * p.so;
${stores}
}
`;
}

export const matmulWgsl: WgslKernels<'matmul'> = { matmul: matmulKernel };
