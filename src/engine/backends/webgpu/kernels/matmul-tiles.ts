/**
 * The shared-memory ('tiled') matmul kernel for GPUs, in several tile shapes. 16x16 threads each
 * compute an RM x RN register block (RN a multiple of 4, held as vec4 accumulators), so a
 * workgroup computes a (16 RM) x (16 RN) output tile, staging 16-deep slices of both operands in
 * workgroup memory with loads laid out for coalescing. Every shape accumulates each output element
 * over k in ascending order with the same fma, so all shapes give bit-identical results: the
 * choice (matmul-autotune.ts) changes speed only.
 *
 * The '-v4' shapes stage the slices with vec4 global loads (4 neighbours along the operand's
 * contiguous dimension per load) wherever that is legal (bindMatmulOperand): the same values land in the
 * same workgroup-memory cells, so the arithmetic, and the result, is unchanged. They are autotune
 * candidates rather than always on: whether fewer, wider loads beat the scalar ones' coalescing
 * depends on the adapter, and only timing on it tells.
 */
import type { GpuTensor } from '../tensor.ts';
import { segmentCount } from '../tensor.ts';
import type { Kernel } from './builder.ts';
import type { KernelContext } from './types.ts';

export interface MatmulTile {
  /** Rows and columns of the register block of one thread. */
  readonly rm: number;
  readonly rn: number;
  /** Stage operands with vec4 loads where legal. */
  readonly vec4?: boolean;
}

export const MATMUL_TILES = {
  '64x64': { rm: 4, rn: 4 },
  '128x64': { rm: 8, rn: 4 },
  '64x128': { rm: 4, rn: 8 },
  '128x128': { rm: 8, rn: 8 },
  '64x64-v4': { rm: 4, rn: 4, vec4: true },
  '128x64-v4': { rm: 8, rn: 4, vec4: true },
  '64x128-v4': { rm: 4, rn: 8, vec4: true },
  '128x128-v4': { rm: 8, rn: 8, vec4: true },
} as const satisfies Record<string, MatmulTile>;

export type MatmulTileName = keyof typeof MATMUL_TILES;
export const MATMUL_TILE_NAMES = Object.keys(MATMUL_TILES) as MatmulTileName[];
export const DEFAULT_MATMUL_TILE: MatmulTileName = '64x64';

/** Output rows and columns one workgroup computes. */
export const tileRows = (t: MatmulTile): number => 16 * t.rm;
export const tileCols = (t: MatmulTile): number => 16 * t.rn;

/** Workgroup memory the tile stages (A and B slices, 16 deep). */
export const tileBytes = (t: MatmulTile): number => (tileRows(t) + tileCols(t)) * 16 * 4;

/** One matmul a kernel computes: its operands' transposes and the suffix of its names (`ld_a2`, `p.K2`...). */
export interface MatmulSegment {
  readonly transA: boolean;
  readonly transB: boolean;
  /** '' for the kernel's own product; '2' for a second product fused into it (fusion/matmul-pair.ts). */
  readonly suffix: '' | '2';
  /** Operands bound as vec4 views (bindMatmulOperand): read with ld4_a / ld4_b. */
  readonly vecA?: boolean;
  readonly vecB?: boolean;
}

/**
 * Binds a matmul operand as `name`: as a vec4 view (read with `ld4_<name>`, four elements per
 * index) when the tile asks for vec4 loads and it is legal, else as a plain tensor (`ld_<name>`).
 * Legal when the operand is stored as plain f32 in one segment (no f16 storage, no split), no
 * fused prologue computes its loads (fusion/prologue.ts), and its contiguous dimension is a
 * multiple of 4: then every batch stride and row start is too, and a 4-wide run never straddles
 * the bound check. Returns whether the vec4 view was bound.
 */
export function bindMatmulOperand(
  k: Kernel,
  ctx: KernelContext,
  name: string,
  tensor: GpuTensor,
  count: number,
  contiguous: number,
  /** False when the kernel will not run the tiled body (the skinny kernel reads plain tensors). */
  tiledBody: boolean,
): boolean {
  const tile: MatmulTile = MATMUL_TILES[ctx.matmulTile ?? DEFAULT_MATMUL_TILE];
  const vec =
    tiledBody &&
    ctx.matmul === 'tiled' &&
    tile.vec4 === true &&
    contiguous % 4 === 0 &&
    count > 0 &&
    tensor.dtype === 'f32' &&
    !tensor.half &&
    segmentCount(count, ctx.layout) === 1 &&
    !ctx.loadHooks?.some((h) => h.target.segments[0] === tensor.segments[0]);
  if (vec) k.vec4(name, tensor);
  else k.tensor(name, tensor, count, 'read');
  return vec;
}

/** The contiguous (innermost stored) dimension of a and b: a is [M, K] or [K, M], b [K, N] or [N, K]. */
export const contiguousDims = (d: { M: number; N: number; K: number }, transA: boolean, transB: boolean) => ({
  a: transA ? d.M : d.K,
  b: transB ? d.K : d.N,
});

/**
 * WGSL element index of a[m, kk] / b[kk, n] within one batch, honouring the transposes; `s` is the
 * segment suffix (each product has its own inner size K).
 */
export const aIndex = (transA: boolean, m: string, kk: string, s = '') =>
  transA ? `(${kk}) * p.M + (${m})` : `(${m}) * p.K${s} + (${kk})`;
export const bIndex = (transB: boolean, kk: string, n: string, s = '') =>
  transB ? `(${n}) * p.K${s} + (${kk})` : `(${kk}) * p.N + (${n})`;

/**
 * The kernel body for one tile shape (uniforms M, N, K, sa, sb, so; tensors out, a, b); dispatch
 * [ceil(N / tileCols), ceil(M / tileRows), batch] workgroups. With `second` (uniforms K2, sa2, sb2;
 * tensors a2, b2; same M, N, batch and output layout) the kernel also computes that product into
 * its own accumulators, staged through the same workgroup memory after the first, and stores
 * through `st_out(i, v, v2)`: each accumulator sees exactly the fmas of its own unfused kernel.
 */
export function tiledMatmulBody(
  transA: boolean,
  transB: boolean,
  t: MatmulTile,
  second?: Omit<MatmulSegment, 'suffix'>,
  vec: { readonly vecA?: boolean; readonly vecB?: boolean } = {},
): string {
  const segments: MatmulSegment[] = [{ transA, transB, suffix: '', ...vec }];
  if (second) segments.push({ ...second, suffix: '2' });
  const vecs = t.rn / 4;
  const stored = segments.map((g) => `acc${g.suffix}[i * ${vecs}u + j / 4u][j % 4u]`).join(', ');
  return `var<workgroup> As: array<f32, ${tileRows(t) * 16}>;
var<workgroup> Bs: array<f32, ${tileCols(t) * 16}>;
@compute @workgroup_size(256) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let tx = li % 16u;
  let ty = li / 16u;
  let row0 = wid.y * ${tileRows(t)}u;
  let col0 = wid.x * ${tileCols(t)}u;
${segments.map((g) => segmentLoop(g, t)).join('')}
  let oBase = wid.z * p.so;
  for (var i = 0u; i < ${t.rm}u; i++) {
    let r = row0 + ty + 16u * i;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < ${t.rn}u; j++) {
      let c = col0 + tx + 16u * j;
      if (c < p.N) { st_out(oBase + r * p.N + c, ${stored}); }
    }
  }
}
`;
}

/** Declares acc<s> and accumulates one product into it, ascending k with fma (the same in every tile shape). */
function segmentLoop(g: MatmulSegment, t: MatmulTile): string {
  const BM = tileRows(t);
  const BN = tileCols(t);
  const s = g.suffix;
  const A = sliceLoad('a', s, !g.transA, g.vecA === true, BM, 'M', 'row0', (m, kk) => aIndex(g.transA, m, kk, s));
  const B = sliceLoad('b', s, g.transB, g.vecB === true, BN, 'N', 'col0', (n, kk) => bIndex(g.transB, kk, n, s));
  const vecs = t.rn / 4;
  const bv = Array.from(
    { length: vecs },
    (_, q) =>
      `      let bv${q} = vec4f(${[0, 1, 2, 3].map((j) => `Bs[kk * ${BN}u + tx + ${16 * (4 * q + j)}u]`).join(', ')});`,
  ).join('\n');
  const fmas = Array.from(
    { length: vecs },
    (_, q) => `        acc${s}[i * ${vecs}u + ${q}u] = fma(av, bv${q}, acc${s}[i * ${vecs}u + ${q}u]);`,
  ).join('\n');
  return `  let aBase${s} = wid.z * p.sa${s};
  let bBase${s} = wid.z * p.sb${s};
  var acc${s}: array<vec4f, ${t.rm * vecs}>;
  for (var k0 = 0u; k0 < p.K${s}; k0 += 16u) {${A}${B}
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
${bv}
      for (var i = 0u; i < ${t.rm}u; i++) {
        let av = vec4f(As[kk * ${BM}u + ty + 16u * i]);
${fmas}
      }
    }
    workgroupBarrier();
  }
`;
}

/**
 * Stages one operand's 16-deep slice (`size` rows or columns by 16 k) in workgroup memory
 * (As/Bs[kk * size + i]), zero past the bounds. Consecutive threads read consecutive addresses
 * along the operand's contiguous dimension (k when `kContiguous`, else its rows/columns), one
 * element per load, or four with `vec`.
 */
function sliceLoad(
  x: 'a' | 'b',
  s: string,
  kContiguous: boolean,
  vec: boolean,
  size: number,
  bound: 'M' | 'N',
  i0: string,
  index: (i: string, kk: string) => string,
): string {
  const i = x === 'a' ? 'm' : 'n';
  const g = `g${i}`;
  const cells = `${x.toUpperCase()}s`;
  const guard = `${g} < p.${bound} && gk < p.K${s}`;
  const global = `${x}Base${s} + ${index(g, 'gk')}`;
  if (!vec) {
    const map = kContiguous
      ? `let ${i} = e / 16u; let kk = e % 16u;`
      : `let ${i} = e % ${size}u; let kk = e / ${size}u;`;
    return `
    for (var r = 0u; r < ${size / 16}u; r++) {
      let e = li + r * 256u;
      ${map}
      let ${g} = ${i0} + ${i};
      let gk = k0 + kk;
      var v = 0.0;
      if (${guard}) { v = ld_${x}${s}(${global}); }
      ${cells}[kk * ${size}u + ${i}] = v;
    }`;
  }
  // Four neighbours along the contiguous dimension: k (cells kk..kk+3 of one row) or the rows.
  const map = kContiguous
    ? `let ${i} = e / 4u; let kk = (e % 4u) * 4u;`
    : `let ${i} = (e % ${size / 4}u) * 4u; let kk = e / ${size / 4}u;`;
  const cell = (j: number) => (kContiguous ? `(kk + ${j}u) * ${size}u + ${i}` : `kk * ${size}u + ${i} + ${j}u`);
  return `
    for (var r = 0u; r < ${size / 64}u; r++) {
      let e = li + r * 256u;
      ${map}
      let ${g} = ${i0} + ${i};
      let gk = k0 + kk;
      var v = vec4f(0.0);
      if (${guard}) { v = ld4_${x}${s}((${global}) / 4u); }
${[0, 1, 2, 3].map((j) => `      ${cells}[${cell(j)}] = v[${j}];`).join('\n')}
    }`;
}
