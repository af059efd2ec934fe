/**
 * The skinny matmul kernel, for products with a short side: KV-cache decode steps (M = a few
 * sequences), LoRA's down-projection x·A^T (N = rank r) and its weight gradients (one side r).
 * The 32x32 to 128x128 tiles of the other kernels spend almost all their threads on rows or
 * columns that do not exist there. Here every lane of a workgroup works on the same `block` rows
 * (side 'M') or columns (side 'N') of the short side and owns `per` outputs of the long side, so
 * no thread is idle whatever the short side is (it is clamped to the block, never padded to a tile).
 *
 * The operand on the short side (a's rows for side 'M', b's columns for side 'N') is common to
 * every lane. With subgroups, lane l loads its element for k = k0 + l and the others get it through
 * subgroupShuffle, one load per subgroup instead of one per lane; without them every lane loads it
 * and caches serve the repeats. K is never split across lanes: each output accumulates over k in
 * ascending order with fma starting from 0, exactly like the tiled and register kernels, so all
 * three give bit-identical results and the choice never changes a number.
 */
import { aIndex, bIndex, type MatmulSegment } from './matmul-tiles.ts';
import type { KernelContext } from './types.ts';

export interface SkinnyPlan {
  /** 'M': few output rows, lanes own columns and share a's rows; 'N': few columns, lanes own rows and share b's. */
  readonly side: 'M' | 'N';
  /** Short-side outputs one workgroup computes (rows for 'M', columns for 'N'). */
  readonly block: number;
  /** Long-side outputs each thread owns, `threads` apart (so neighbouring lanes touch neighbouring addresses). */
  readonly per: number;
  readonly threads: number;
  /** Share the common operand through subgroup shuffles; the body then needs `enable subgroups;`. */
  readonly subgroups: boolean;
}

/** The matmul's problem size (ops/matmul/wgsl.ts's MatmulDims has these fields). */
export interface SkinnyDims {
  readonly batch: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

/**
 * The largest short side the skinny kernel takes, per kernel family. CPU adapters ('register'):
 * measured on SwiftShader at GPT-2-small widths (bench/matmul-skinny.ts), the skinny kernel is
 * 3-10x faster than the 32x32 register tiles up to a short side of 32, still ~1.3x at 64, and
 * about even at 128. GPUs ('tiled', not measured here): up to 16 rows a 64x64+ tile wastes at
 * least 3/4 of its FMAs and its workgroups, while the skinny kernel keeps every thread busy and
 * reads the long operand once; past 16 the tiles' reuse of both operands from workgroup memory
 * takes over as the product turns compute-bound.
 */
export const SKINNY_MAX_SHORT_SIDE = { register: 64, tiled: 16 } as const;

/**
 * The long side must be at least this many times the short one. Small near-square products
 * (training attention: 64 x 64, 64 x 32, 128 x 32 per head) ran 1.6-2.3x slower on the skinny
 * kernel than on the register tiles on SwiftShader, where the tiles reuse both operands; from a
 * ratio of 8 on (attention p·v at T = 256: 256 x 32, a 64-row decode step, LoRA) it was faster.
 */
export const SKINNY_MIN_ASPECT = 8;

/**
 * Short-side block sizes: one pipeline per size, the short side clamped to it, and sides past 16
 * in several blocks of 16 (each re-reads the long operand; measured faster than blocks of 8).
 */
const BLOCKS = [1, 2, 4, 8, 16] as const;

/**
 * The skinny kernel's plan for a product, or undefined when the tiled/register kernel is the
 * better choice. Exported so a fusion that computes a second matmul inside another's kernel can
 * tell which kernel a product gets.
 */
export function skinnyPlan(d: SkinnyDims, ctx: KernelContext): SkinnyPlan | undefined {
  if (ctx.skinnyMatmul === false) return undefined;
  const short = Math.min(d.M, d.N);
  const long = Math.max(d.M, d.N);
  if (short === 0 || short > SKINNY_MAX_SHORT_SIDE[ctx.matmul] || long < SKINNY_MIN_ASPECT * short) return undefined;
  const side = d.M <= d.N ? 'M' : 'N';
  // CPU adapters (the 'register' family) run lanes as SIMD rows of one core: fewer, fatter threads
  // (4 outputs each, short side in blocks of up to 16) amortise the shared loads, as long as the
  // long side fills a workgroup of 64 such threads (else one output each). GPUs need many
  // threads to hide memory latency on products this thin (a decode step has only M*N outputs and
  // K is never split): one output of the long side each, and short-side blocks of at most 4 (more
  // workgroups, each re-reading the long operand from cache).
  const gpu = ctx.matmul === 'tiled';
  const block = Math.min(BLOCKS.find((b) => b >= short) ?? 16, gpu ? 4 : 16);
  const per = gpu || long < 4 * 64 ? 1 : 4;
  // With subgroups the workgroup is as large as kernels get (maxThreads, a power of two): a
  // multiple of every subgroup size, so every subgroup is full and every shuffled lane live, and
  // horizontal fusion can merge it with any kernel without its shuffles behind a thread guard
  // (fusion/horizontal.ts), so fusion merges exactly what it merges without subgroups.
  const subgroups = ctx.subgroups !== undefined && ctx.subgroups.maxSize <= ctx.limits.maxThreads;
  const threads = subgroups ? ctx.limits.maxThreads : Math.min(64, ctx.limits.maxThreads);
  return { side, block, per, threads, subgroups };
}

/** Workgroups for a plan: [long-side blocks or short-side blocks as x/y, batch]. */
export function skinnyWorkgroups(d: SkinnyDims, plan: SkinnyPlan): [number, number, number] {
  const long = Math.ceil((plan.side === 'M' ? d.N : d.M) / (plan.threads * plan.per));
  const short = Math.ceil((plan.side === 'M' ? d.M : d.N) / plan.block);
  return plan.side === 'M' ? [long, short, d.batch] : [short, long, d.batch];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The kernel body (uniforms M, N, K, sa, sb, so; tensors out, a, b) for `skinnyWorkgroups(plan)`.
 * Fully unrolled over the block with scalar registers, like the register kernel: dynamically
 * indexed local arrays go through memory on CPU adapters. With `second` (uniforms K2, sa2, sb2;
 * tensors a2, b2; same M, N, batch and output layout, hence the same plan) the kernel also
 * computes that product into its own accumulators, in its own k loop after the first, and stores
 * through `st_out(i, v, v2)` (fusion/matmul-pair.ts): each accumulator sees exactly the fmas of its
 * own unfused skinny kernel.
 */
export function skinnyMatmulBody(
  transA: boolean,
  transB: boolean,
  plan: SkinnyPlan,
  second?: { readonly transA: boolean; readonly transB: boolean },
): string {
  const { side, block, per, threads: T } = plan;
  const rowsShort = side === 'M';
  // s: short-side index registers (shared by all lanes); l: this lane's long-side ones.
  const shortBound = rowsShort ? 'p.M' : 'p.N';
  const longBound = rowsShort ? 'p.N' : 'p.M';
  const shorts = range(block)
    .map((i) => `  let s${i} = min(short0 + ${i}u, ${shortBound} - 1u);`)
    .join('\n');
  const longs = range(per)
    .map((q) => `  let l${q} = min(long0 + ${T * q}u, ${longBound} - 1u);`)
    .join('\n');
  const segments: MatmulSegment[] = [{ transA, transB, suffix: '' }];
  if (second) segments.push({ ...second, suffix: '2' });
  const stored = (i: number, q: number) => segments.map((g) => `acc${g.suffix}_${i}_${q}`).join(', ');
  const store = (i: number, q: number) => {
    const [r, c] = rowsShort ? [`short0 + ${i}u`, `long0 + ${T * q}u`] : [`long0 + ${T * q}u`, `short0 + ${i}u`];
    return `if (${r} < p.M && ${c} < p.N) { st_out(oBase + (${r}) * p.N + ${c}, ${stored(i, q)}); }`;
  };
  const stores = range(block)
    .flatMap((i) => range(per).map((q) => `  ${store(i, q)}`))
    .join('\n');
  const [longId, shortId] = rowsShort ? ['wid.x', 'wid.y'] : ['wid.y', 'wid.x'];
  const laneArgs = plan.subgroups
    ? ', @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) width: u32'
    : '';
  return `// skinny matmul, side ${side}, block ${block}${second ? ', paired' : ''}
@compute @workgroup_size(${T}) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32${laneArgs}) {
  let long0 = ${longId} * ${T * per}u + li;
  let short0 = ${shortId} * ${block}u;
${shorts}
${longs}
${segments.map((g) => skinnyLoop(g, plan)).join('')}  let oBase = wid.z * p.so;
${stores}
}
`;
}

/** Declares acc<s><i>_<q> and accumulates one product into them: ascending k, fma from 0. */
function skinnyLoop(g: MatmulSegment, plan: SkinnyPlan): string {
  const { block, per } = plan;
  const rowsShort = plan.side === 'M';
  const s = g.suffix;
  const accs = range(block)
    .flatMap((i) => range(per).map((q) => `  var acc${s}_${i}_${q} = 0.0;`))
    .join('\n');
  // The shared operand's element at (short index s, k) and the lane's own at (long index l, k).
  const ldA = (m: string, kk: string) => `ld_a${s}(aBase${s} + ${aIndex(g.transA, m, kk, s)})`;
  const ldB = (kk: string, n: string) => `ld_b${s}(bBase${s} + ${bIndex(g.transB, kk, n, s)})`;
  const shared = (si: string, kk: string) => (rowsShort ? ldA(si, kk) : ldB(kk, si));
  const own = (l: string, kk: string) => (rowsShort ? ldB(kk, l) : ldA(l, kk));
  const ownLoads = (pad: string, kk: string) => range(per).map((q) => `${pad}let o${q} = ${own(`l${q}`, kk)};`);
  const fmas = (pad: string, sharedValue: (i: number) => string) =>
    range(block).flatMap((i) => [
      `${pad}let v${i} = ${sharedValue(i)};`,
      ...range(per).map((q) => `${pad}acc${s}_${i}_${q} = fma(v${i}, o${q}, acc${s}_${i}_${q});`),
    ]);
  const loop = plan.subgroups
    ? [
        `  for (var k0 = 0u; k0 < p.K${s}; k0 += width) {`,
        '    // Lane l holds the shared elements at k = k0 + l (clamped: lanes past K hold values never used).',
        `    let kl = min(k0 + lane, p.K${s} - 1u);`,
        ...range(block).map((i) => `    let h${i} = ${shared(`s${i}`, 'kl')};`),
        `    let n = min(width, p.K${s} - k0);`,
        '    for (var j = 0u; j < n; j++) {',
        '      let kk = k0 + j;',
        ...ownLoads('      ', 'kk'),
        ...fmas('      ', (i) => `subgroupShuffle(h${i}, j)`),
        '    }',
        '  }',
      ]
    : [
        `  for (var kk = 0u; kk < p.K${s}; kk++) {`,
        ...ownLoads('    ', 'kk'),
        ...fmas('    ', (i) => shared(`s${i}`, 'kk')),
        '  }',
      ];
  return `  let aBase${s} = wid.z * p.sa${s};
  let bBase${s} = wid.z * p.sb${s};
${accs}
${loop.join('\n')}
`;
}
