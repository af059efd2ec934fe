/**
 * The shared-memory ('tiled') matmul kernel for GPUs, in several tile shapes. 16x16 threads each
 * compute an RM x RN register block (RN a multiple of 4, held as vec4 accumulators), so a
 * workgroup computes a (16 RM) x (16 RN) output tile, staging 16-deep slices of both operands in
 * workgroup memory with loads laid out for coalescing. Every shape accumulates each output element
 * over k in ascending order with the same fma, so all shapes give bit-identical results: the
 * choice (matmul-autotune.ts) changes speed only.
 */

export interface MatmulTile {
  /** Rows and columns of the register block of one thread. */
  readonly rm: number;
  readonly rn: number;
}

export const MATMUL_TILES = {
  '64x64': { rm: 4, rn: 4 },
  '128x64': { rm: 8, rn: 4 },
  '64x128': { rm: 4, rn: 8 },
  '128x128': { rm: 8, rn: 8 },
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
}

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
  second?: { transA: boolean; transB: boolean },
): string {
  const segments: MatmulSegment[] = [{ transA, transB, suffix: '' }];
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
  // Slice element e maps to (row, k) so that consecutive threads read consecutive addresses.
  const aMap = g.transA ? `let m = e % ${BM}u; let kk = e / ${BM}u;` : 'let m = e / 16u; let kk = e % 16u;';
  const bMap = g.transB ? 'let n = e / 16u; let kk = e % 16u;' : `let n = e % ${BN}u; let kk = e / ${BN}u;`;
  const load = (x: 'a' | 'b', map: string, i: string, i0: string, bound: 'M' | 'N', size: number, index: string) => `
    for (var r = 0u; r < ${size / 16}u; r++) {
      let e = li + r * 256u;
      ${map}
      let g${i} = ${i0} + ${i};
      let gk = k0 + kk;
      var v = 0.0;
      if (g${i} < p.${bound} && gk < p.K${s}) { v = ld_${x}${s}(${x}Base${s} + ${index}); }
      ${x.toUpperCase()}s[kk * ${size}u + ${i}] = v;
    }`;
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
  for (var k0 = 0u; k0 < p.K${s}; k0 += 16u) {${load('a', aMap, 'm', 'row0', 'M', BM, aIndex(g.transA, 'gm', 'gk', s))}${load('b', bMap, 'n', 'col0', 'N', BN, bIndex(g.transB, 'gk', 'gn', s))}
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
