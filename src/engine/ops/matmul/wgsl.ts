/**
 * Batched matmul with transposes and a shared 2-D right operand. Two kernel families, both
 * bounds-checked for any shape:
 *  - 'tiled' (GPUs): 16x16 threads, each a 4x4 register block of a 64x64 output tile, with
 *    64x16 / 16x64 operand tiles staged in workgroup memory and loads laid out for coalescing.
 *  - 'register' (CPU adapters such as SwiftShader, where barriers are expensive): 8x8 threads,
 *    each a 4x4 block of a 32x32 tile, reading operands straight from storage; out-of-range
 *    rows/cols are clamped for the loads and masked at the store, keeping the inner loop branch-free.
 */
import type { Launch } from '../../backend.ts';
import { Kernel } from '../../backends/webgpu/kernels/builder.ts';
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
  const tile = ctx.matmul === 'tiled' ? 64 : 32;
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
  const body = ctx.matmul === 'tiled' ? tiledBody(transA, transB) : registerBody(transA, transB);
  return [k.build(body, [Math.ceil(d.N / tile), Math.ceil(d.M / tile), d.batch])];
}

const aIndex = (transA: boolean, m: string, kk: string) =>
  transA ? `(${kk}) * p.M + (${m})` : `(${m}) * p.K + (${kk})`;
const bIndex = (transB: boolean, kk: string, n: string) =>
  transB ? `(${n}) * p.K + (${kk})` : `(${kk}) * p.N + (${n})`;

/**
 * WGSL storing tile element e of operand x (after `map` gives its row-or-column i and kk) into
 * workgroup memory, zero outside the matrix; `index` is its element index in x.
 */
function tileLoad(x: 'a' | 'b', map: string, i: string, i0: string, bound: 'M' | 'N', index: string): string {
  return `      {
        ${map}
        let g${i} = ${i0} + ${i};
        let gk = k0 + kk;
        var v = 0.0;
        if (g${i} < p.${bound} && gk < p.K) { v = ld_${x}(${x}Base + ${index}); }
        ${x.toUpperCase()}s[kk * 64u + ${i}] = v;
      }`;
}

function tiledBody(transA: boolean, transB: boolean): string {
  // Tile element e of 1024 maps to (row, k) so that consecutive threads read consecutive addresses.
  const aMap = transA ? 'let m = e % 64u; let kk = e / 64u;' : 'let m = e / 16u; let kk = e % 16u;';
  const bMap = transB ? 'let n = e / 16u; let kk = e % 16u;' : 'let n = e % 64u; let kk = e / 64u;';
  return `var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
@compute @workgroup_size(256) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let tx = li % 16u;
  let ty = li / 16u;
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let aBase = wid.z * p.sa;
  let bBase = wid.z * p.sb;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += 16u) {
    for (var r = 0u; r < 4u; r++) {
      let e = li + r * 256u;
${tileLoad('a', aMap, 'm', 'row0', 'M', aIndex(transA, 'gm', 'gk'))}
${tileLoad('b', bMap, 'n', 'col0', 'N', bIndex(transB, 'gk', 'gn'))}
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let bv = vec4f(Bs[kk * 64u + tx], Bs[kk * 64u + tx + 16u], Bs[kk * 64u + tx + 32u], Bs[kk * 64u + tx + 48u]);
      for (var i = 0u; i < 4u; i++) {
        acc[i] = fma(vec4f(As[kk * 64u + ty + 16u * i]), bv, acc[i]);
      }
    }
    workgroupBarrier();
  }
  let oBase = wid.z * p.so;
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + ty + 16u * i;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + tx + 16u * j;
      if (c < p.N) { st_out(oBase + r * p.N + c, acc[i][j]); }
    }
  }
}
`;
}

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
