/**
 * WGSL kernels of fused causal attention. No [Tq x Tk] buffer exists: each thread owns one row.
 *  - forward, statistics, dQ: one workgroup per (batch, head, block of ROWS query rows), a thread
 *    per query row; the keys (and values) are walked in blocks of KB rows. With the 'workgroup'
 *    row strategy (GPUs) each key block is staged in workgroup memory once for all the rows;
 *    with 'thread' (CPU adapters such as SwiftShader, where a barrier costs about a millisecond)
 *    the same code reads the keys straight from storage, without barriers.
 *  - dK, dV: one workgroup per (batch, kv head, block of ROWS key rows), a thread per key row,
 *    walking the query rows (of every query head that reads this kv head) in blocks the same way.
 * The forward keeps an online softmax per block: the block's scores in registers, one rescale of
 * the running sum and accumulator per block. Block sizes fit the adapter's workgroup storage.
 */
import type { Launch } from '../../backend.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from '../../backends/webgpu/kernels/builder.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { NEG_BIG } from '../../backends/webgpu/kernels/wgsl-reduce.ts';
import { asGpuTensor } from '../../backends/webgpu/tensor.ts';
import { numel } from '../shape.ts';
import { type AttentionDims, type AttentionOp, attentionDims } from './index.ts';

/** Rows (threads) per workgroup, at most. */
const MAX_ROWS = 64;
/** Rows per staged block, at most (also the length of the per-thread score array). */
const MAX_BLOCK = 32;

/** Largest power-of-two block (<= MAX_BLOCK) whose `arrays` staged [block, D] f32 tiles fit. */
export function stagedBlock(D: number, arrays: number, storageBytes: number): number {
  let block = MAX_BLOCK;
  while (block > 1 && arrays * block * D * 4 > storageBytes) block /= 2;
  if (arrays * block * D * 4 > storageBytes) {
    throw new RangeError(
      `flash attention: head dim ${D} needs ${arrays * D * 4} bytes of workgroup storage per key row, but the adapter allows ${storageBytes}; use the unfused attention (attention: 'unfused') on this device`,
    );
  }
  return block;
}

interface Plan {
  dims: AttentionDims;
  staged: boolean;
  rows: number;
  block: number;
}

function plan(ctx: KernelContext, dims: AttentionDims): Plan {
  const staged = ctx.rows === 'workgroup';
  const rows = Math.min(MAX_ROWS, ctx.limits.maxThreads);
  const block = staged ? stagedBlock(dims.D, 2, ctx.limits.maxWorkgroupStorageBytes) : MAX_BLOCK;
  return { dims, staged, rows, block };
}

/** Uniforms shared by every kernel of the family; `heads` (B * H or B * Hkv) times nBlk workgroups. */
function bindDims(k: Kernel, d: AttentionDims, heads: number, blocks: number, scale: number): Kernel {
  return k
    .u32('heads', heads)
    .u32('H', d.H)
    .u32('Hkv', d.Hkv)
    .u32('rep', d.rep)
    .u32('Tq', d.Tq)
    .u32('Tk', d.Tk)
    .u32('shift', d.Tk - d.Tq)
    .u32('nBlk', blocks)
    .f32('scale', scale);
}

const tensor = (launch: Launch, i: number, what: string) =>
  asGpuTensor(launch.inputs[i].tensor, `${launch.op} ${what}`);
const count = (launch: Launch, i: number) => numel(launch.inputs[i].shape);

/**
 * [block, D] tiles of tensors `a` (and `b`): `load(base, r0, limit)` stages rows r0.. (from element
 * `base`, zero past `limit` rows) in workgroup memory and waits at a barrier; `at` reads a staged
 * element (unstaged: straight from storage, and `load` and `end` are empty); `end` is the barrier
 * that keeps the next load from overwriting a tile still being read.
 */
function tiles(p: Plan, a: string, b: string | null) {
  const { block } = p;
  const decl = p.staged
    ? `var<workgroup> ${a}s: array<f32, ${block * p.dims.D}>;\n${b ? `var<workgroup> ${b}s: array<f32, ${block * p.dims.D}>;\n` : ''}`
    : '';
  const load = (base: string, r0: string, limit: string) =>
    p.staged
      ? `    for (var e = li; e < ${block}u * D; e += ROWS) {
      let r = ${r0} + e / D;
      var x = 0.0;
      ${b ? 'var y = 0.0;' : ''}
      if (r < ${limit}) { x = ld_${a}(${base} + r * D + e % D); ${b ? `y = ld_${b}(${base} + r * D + e % D);` : ''} }
      ${a}s[e] = x;
      ${b ? `${b}s[e] = y;` : ''}
    }
    workgroupBarrier();`
      : '';
  const at = (name: string, base: string, r0: string) => (rr: string, c: string) =>
    p.staged ? `${name}s[(${rr}) * D + ${c}]` : `ld_${name}(${base} + (${r0} + ${rr}) * D + ${c})`;
  const end = p.staged ? '    workgroupBarrier();' : '';
  return { decl, load, at, end };
}

function header(p: Plan): string {
  return `const D: u32 = ${p.dims.D}u;\nconst ROWS: u32 = ${p.rows}u;\nconst KB: u32 = ${p.block}u;\n`;
}

/**
 * Entry of the per-query-row kernels (forward, statistics, dQ): the workgroup's (batch, head) and
 * block of query rows, this thread's row i (clamped, so out-of-range threads still help load
 * tiles), its kv head's base, and the last key the row (`last`) and the workgroup (`wgLast`) see.
 */
function queryRowEntry(p: Plan): string {
  return `@compute @workgroup_size(${p.rows}) fn main(${ENTRY_ARGS}) {
  let wg = ${LINEAR_WG};
  if (wg >= p.heads * p.nBlk) { return; }
  let bh = wg / p.nBlk;
  let b = bh / p.H;
  let h = bh % p.H;
  let kvBase = (b * p.Hkv + h / p.rep) * p.Tk * D;
  let i0 = (wg % p.nBlk) * ROWS;
  let i = min(i0 + li, p.Tq - 1u);
  let last = i + p.shift;
  let wgLast = min(i0 + ROWS - 1u, p.Tq - 1u) + p.shift;`;
}

/** Forward (`what` 'out') or row statistics ('stats'): the online softmax over key blocks. */
function forwardWgsl(p: Plan, what: 'out' | 'stats'): string {
  const withV = what === 'out';
  const t = tiles(p, 'k', withV ? 'v' : null);
  const K = t.at('k', 'kvBase', 'j0');
  const V = t.at('v', 'kvBase', 'j0');
  const finish = withV
    ? `  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var c = 0u; c < D; c++) { st_out(qBase + c, acc[c] * inv); }`
    : `  var delta = 0.0;
  for (var c = 0u; c < D; c++) { delta += ld_g(qBase + c) * ld_attn(qBase + c); }
  let row = bh * p.Tq + i;
  st_out(2u * row, select(${NEG_BIG}, m + log(l), l > 0.0));
  st_out(2u * row + 1u, delta);`;
  return `${header(p)}${t.decl}
${queryRowEntry(p)}
  let qBase = (bh * p.Tq + i) * D;
  var q: array<f32, ${p.dims.D}>;
  ${withV ? `var acc: array<f32, ${p.dims.D}>;` : ''}
  var s: array<f32, ${p.block}>;
  for (var c = 0u; c < D; c++) { q[c] = p.scale * ld_q(qBase + c); ${withV ? 'acc[c] = 0.0;' : ''} }
  var m = ${NEG_BIG};
  var l = 0.0;
  for (var j0 = 0u; j0 <= wgLast; j0 += KB) {
${t.load('kvBase', 'j0', 'p.Tk')}
    var bm = ${NEG_BIG};
    for (var jj = 0u; jj < KB; jj++) {
      let j = j0 + jj;
      var sc = ${NEG_BIG};
      if (j <= last && ld_mask(b * p.Tk + j) != 0.0) {
        sc = 0.0;
        for (var c = 0u; c < D; c++) { sc += q[c] * ${K('jj', 'c')}; }
        bm = max(bm, sc);
      }
      s[jj] = sc;
    }
    if (bm > ${NEG_BIG}) {
      let mNew = max(m, bm);
      let corr = exp(m - mNew);
      l *= corr;
      ${withV ? 'for (var c = 0u; c < D; c++) { acc[c] *= corr; }' : ''}
      for (var jj = 0u; jj < KB; jj++) {
        if (s[jj] > ${NEG_BIG}) {
          let pj = exp(s[jj] - mNew);
          l += pj;
          ${withV ? `for (var c = 0u; c < D; c++) { acc[c] += pj * ${V('jj', 'c')}; }` : ''}
        }
      }
      m = mNew;
    }
${t.end}
  }
  if (i0 + li >= p.Tq) { return; }
${finish}
}
`;
}

/** dQ: per query row, every visible key's probability from the row's logsumexp, then dS k. */
function gradQWgsl(p: Plan): string {
  const t = tiles(p, 'k', 'v');
  const K = t.at('k', 'kvBase', 'j0');
  const V = t.at('v', 'kvBase', 'j0');
  const D = p.dims.D;
  return `${header(p)}${t.decl}
${queryRowEntry(p)}
  let row = bh * p.Tq + i;
  let qBase = row * D;
  let lse = ld_stats(2u * row);
  let delta = ld_stats(2u * row + 1u);
  var q: array<f32, ${D}>;
  var g: array<f32, ${D}>;
  var dq: array<f32, ${D}>;
  for (var c = 0u; c < D; c++) { q[c] = p.scale * ld_q(qBase + c); g[c] = ld_g(qBase + c); dq[c] = 0.0; }
  for (var j0 = 0u; j0 <= wgLast; j0 += KB) {
${t.load('kvBase', 'j0', 'p.Tk')}
    for (var jj = 0u; jj < KB; jj++) {
      let j = j0 + jj;
      if (j <= last && ld_mask(b * p.Tk + j) != 0.0) {
        var sc = 0.0;
        var dp = 0.0;
        for (var c = 0u; c < D; c++) { sc += q[c] * ${K('jj', 'c')}; dp += g[c] * ${V('jj', 'c')}; }
        let ds = exp(sc - lse) * (dp - delta);
        for (var c = 0u; c < D; c++) { dq[c] += ds * ${K('jj', 'c')}; }
      }
    }
${t.end}
  }
  if (i0 + li >= p.Tq) { return; }
  for (var c = 0u; c < D; c++) { st_out(qBase + c, p.scale * dq[c]); }
}
`;
}

/** dK or dV: per key row, the query rows (of each query head of this kv head) that see it. */
function gradKVWgsl(p: Plan, which: 'k' | 'v'): string {
  const t = tiles(p, 'q', 'g');
  const Q = t.at('q', 'qhBase', 'i0');
  const G = t.at('g', 'qhBase', 'i0');
  const D = p.dims.D;
  const update =
    which === 'v'
      ? `let pp = exp(sc - ld_stats(2u * row));
            for (var c = 0u; c < D; c++) { acc[c] += pp * ${G('ii', 'c')}; }`
      : `let ds = exp(sc - ld_stats(2u * row)) * (dp - ld_stats(2u * row + 1u));
            for (var c = 0u; c < D; c++) { acc[c] += ds * ${Q('ii', 'c')}; }`;
  return `${header(p)}${t.decl}
@compute @workgroup_size(${p.rows}) fn main(${ENTRY_ARGS}) {
  let wg = ${LINEAR_WG};
  if (wg >= p.heads * p.nBlk) { return; }
  let bk = wg / p.nBlk;
  let b = bk / p.Hkv;
  let hk = bk % p.Hkv;
  let j0 = (wg % p.nBlk) * ROWS;
  let j = min(j0 + li, p.Tk - 1u);
  let kBase = (bk * p.Tk + j) * D;
  let live = ld_mask(b * p.Tk + j) != 0.0;
  var kr: array<f32, ${D}>;
  ${which === 'k' ? `var vr: array<f32, ${D}>;` : ''}
  var acc: array<f32, ${D}>;
  for (var c = 0u; c < D; c++) { kr[c] = p.scale * ld_k(kBase + c); ${which === 'k' ? 'vr[c] = ld_v(kBase + c);' : ''} acc[c] = 0.0; }
  let firstQ = select(0u, j0 - p.shift, j0 > p.shift);
  for (var r = 0u; r < p.rep; r++) {
    let bh = b * p.H + hk * p.rep + r;
    let qhBase = bh * p.Tq * D;
    for (var i0 = firstQ; i0 < p.Tq; i0 += KB) {
${t.load('qhBase', 'i0', 'p.Tq')}
      if (live) {
        for (var ii = 0u; ii < KB; ii++) {
          let i = i0 + ii;
          if (i < p.Tq && j <= i + p.shift) {
            let row = bh * p.Tq + i;
            var sc = 0.0;
            ${which === 'k' ? 'var dp = 0.0;' : ''}
            for (var c = 0u; c < D; c++) { sc += kr[c] * ${Q('ii', 'c')}; ${which === 'k' ? `dp += vr[c] * ${G('ii', 'c')};` : ''} }
            ${update}
          }
        }
      }
${t.end}
    }
  }
  if (j0 + li >= p.Tk) { return; }
  for (var c = 0u; c < D; c++) { st_out(kBase + c, ${which === 'k' ? 'p.scale * ' : ''}acc[c]); }
}
`;
}

/** Storage names of each op's inputs, in order (the output is `out`). */
const INPUT_NAMES: Record<AttentionOp, readonly string[]> = {
  flash_attention: ['q', 'k', 'v', 'mask'],
  flash_attention_stats: ['q', 'k', 'mask', 'attn', 'g'],
  flash_attention_grad_q: ['q', 'k', 'v', 'mask', 'g', 'stats'],
  flash_attention_grad_k: ['q', 'k', 'v', 'mask', 'g', 'stats'],
  flash_attention_grad_v: ['q', 'k', 'mask', 'g', 'stats'],
};

function attentionKernel(launch: Launch<AttentionOp>, ctx: KernelContext): DispatchSpec[] {
  const names = INPUT_NAMES[launch.op];
  const [q, k] = launch.inputs;
  const dims = attentionDims(launch.op, q, k, launch.inputs[names.indexOf('mask')]);
  const p = plan(ctx, dims);
  const perKey = launch.op === 'flash_attention_grad_k' || launch.op === 'flash_attention_grad_v';
  const heads = dims.B * (perKey ? dims.Hkv : dims.H);
  const blocks = Math.ceil((perKey ? dims.Tk : dims.Tq) / p.rows);
  if (heads * blocks === 0 || dims.D === 0) return [];
  const kernel = new Kernel(ctx, `${launch.op}_${p.staged ? 'staged' : 'direct'}`);
  bindDims(kernel, dims, heads, blocks, launch.attrs.scale);
  kernel.tensor(
    'out',
    asGpuTensor(launch.output.tensor, `${launch.op} output`),
    numel(launch.output.shape),
    'read_write',
  );
  for (const [i, name] of names.entries()) kernel.tensor(name, tensor(launch, i, name), count(launch, i), 'read');
  const wgsl =
    launch.op === 'flash_attention'
      ? forwardWgsl(p, 'out')
      : launch.op === 'flash_attention_stats'
        ? forwardWgsl(p, 'stats')
        : launch.op === 'flash_attention_grad_q'
          ? gradQWgsl(p)
          : gradKVWgsl(p, launch.op === 'flash_attention_grad_k' ? 'k' : 'v');
  return [kernel.build(wgsl, grid(heads * blocks, ctx.limits.maxWorkgroupsPerDim))];
}

export const attentionWgsl: WgslKernels<AttentionOp> = {
  flash_attention: attentionKernel,
  flash_attention_stats: attentionKernel,
  flash_attention_grad_q: attentionKernel,
  flash_attention_grad_k: attentionKernel,
  flash_attention_grad_v: attentionKernel,
};
