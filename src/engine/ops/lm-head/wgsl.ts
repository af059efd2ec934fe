/**
 * WGSL kernels of the chunked LM head. All three ops are one problem: a "tile" matrix A [O, D]
 * against a "stream" matrix B [S, D], logits x = A[o] . B[s]. The forward (A = hidden, B = weight)
 * folds each row's logits into an online log-sum-exp; dhidden (A = hidden, B = weight) and dweight
 * (A = weight, B = hidden) turn each logit into a coefficient g * (onehot - exp(x - lse)) and
 * accumulate coefficient * B[s] into row o of the output. The vocabulary is streamed in chunks of
 * one workgroup's width, so no [N, V] tensor exists; the gradients first compute each row's
 * (lse, g) into a [N, 2] scratch buffer from the forward's output.
 *
 * Two strategies, as for the other row kernels (per-row.ts): on GPUs ('workgroup') a workgroup owns
 * TILE_ROWS rows of A, stages them in workgroup memory DEPTH_CHUNK columns at a time, and each
 * thread takes one streamed row, so every row of B read serves TILE_ROWS rows of A; on CPU
 * adapters ('thread') one thread owns one row of A and loops over B without barriers.
 */
import type { Launch } from '../../backend.ts';
import { ENTRY_ARGS, grid, Kernel, LINEAR_WG } from '../../backends/webgpu/kernels/builder.ts';
import { perOutput } from '../../backends/webgpu/kernels/per-output.ts';
import type { DispatchSpec, KernelContext, WgslKernels } from '../../backends/webgpu/kernels/types.ts';
import { NEG_BIG, reduceHelpers } from '../../backends/webgpu/kernels/wgsl-reduce.ts';
import { asGpuTensor, type GpuTensor } from '../../backends/webgpu/tensor.ts';

/** Rows of A one workgroup owns: each row of B it reads serves this many rows (and per-thread registers). */
const TILE_ROWS = 8;
/** Columns of A's tile staged in workgroup memory at a time, so any hidden size fits the storage limit. */
const DEPTH_CHUNK = 64;
/** Rows of A per workgroup in the thread-per-row strategy. */
const THREAD_ROWS = 64;

type HeadOp = 'lm_head_logprobs' | 'lm_head_logprobs_grad_hidden' | 'lm_head_logprobs_grad_weight';

interface TileProblem {
  readonly label: string;
  /** Rows of A, rows of B, and their common depth. */
  readonly O: number;
  readonly S: number;
  readonly D: number;
  /** Binds `out` first, then A as `a`, B as `b`, and whatever the coefficient reads. */
  readonly bind: (k: Kernel) => void;
  /** 'lse': out[o] = x[o, tgt[o]] - logsumexp_s x[o, s]. Otherwise a WGSL expression of o, s, xl: out[o] = sum_s coef * B[s]. */
  readonly coef: 'lse' | string;
}

/** Threads per workgroup: a power of two within the thread and workgroup-storage limits. */
function tileThreads(ctx: KernelContext): number {
  const bytes = (wg: number) => 4 * (TILE_ROWS * DEPTH_CHUNK + TILE_ROWS * wg + 2 * wg);
  let wg = Math.min(256, ctx.limits.maxThreads);
  while (wg > 1 && bytes(wg) > ctx.limits.maxWorkgroupStorageBytes) wg /= 2;
  return wg;
}

/** The workgroup-per-tile kernel (GPUs). */
function tileKernel(ctx: KernelContext, pr: TileProblem): DispatchSpec {
  const wg = tileThreads(ctx);
  const lse = pr.coef === 'lse';
  const jk = Math.ceil(pr.D / wg);
  const k = new Kernel(ctx, pr.label).u32('O', pr.O).u32('S', pr.S).u32('D', pr.D);
  pr.bind(k);
  const init = lse
    ? `  var m: array<f32, TR>;
  var sm: array<f32, TR>;
  var tl: array<f32, TR>;
  var tg: array<i32, TR>;
  for (var r = 0u; r < TR; r++) {
    m[r] = ${NEG_BIG};
    tg[r] = -1;
    if (o0 + r < p.O) { tg[r] = ld_tgt(o0 + r); }
  }`
    : `  var acc: array<f32, ${TILE_ROWS * jk}>;`;
  const use = lse
    ? `    if (sv) {
      for (var r = 0u; r < TR; r++) {
        let xl = x[r];
        if (xl > m[r]) { sm[r] = sm[r] * exp(m[r] - xl) + 1.0; m[r] = xl; } else { sm[r] += exp(xl - m[r]); }
        if (tg[r] == i32(s)) { tl[r] = xl; }
      }
    }`
    : `    for (var r = 0u; r < TR; r++) {
      let o = o0 + r;
      var c = 0.0;
      if (sv && o < p.O) {
        let xl = x[r];
        c = ${pr.coef};
      }
      cf[r * WG + li] = c;
    }
    workgroupBarrier();
    // Each streamed row's TR coefficients are read from workgroup memory once and serve all of
    // this thread's JK output columns; the loads of B are coalesced (consecutive threads, columns).
    let sn = min(WG, p.S - s0);
    for (var c = 0u; c < sn; c++) {
      var cr: array<f32, TR>;
      for (var r = 0u; r < TR; r++) { cr[r] = cf[r * WG + c]; }
      for (var q = 0u; q < JK; q++) {
        let j = li + q * WG;
        if (j < p.D) {
          let bv = ld_b((s0 + c) * p.D + j);
          for (var r = 0u; r < TR; r++) { acc[r * JK + q] += cr[r] * bv; }
        }
      }
    }`;
  const finish = lse
    ? `  for (var r = 0u; r < TR; r++) {
    let st = wg_logsumexp_state(li, m[r], sm[r]);
    let t = wg_sum(li, tl[r]);
    let o = o0 + r;
    if (li == 0u && o < p.O) {
      var v = 0.0;
      if (tg[r] >= 0 && u32(tg[r]) < p.S) { v = t - st.x - log(st.y); }
      st_out(o, v);
    }
  }`
    : `  for (var r = 0u; r < TR; r++) {
    let o = o0 + r;
    if (o < p.O) {
      for (var q = 0u; q < JK; q++) {
        let j = li + q * WG;
        if (j < p.D) { st_out(o * p.D + j, acc[r * JK + q]); }
      }
    }
  }`;
  const wgsl = `const WG: u32 = ${wg}u;
const TR: u32 = ${TILE_ROWS}u;
const DC: u32 = ${DEPTH_CHUNK}u;
const JK: u32 = ${jk}u;
var<workgroup> tile: array<f32, ${TILE_ROWS * DEPTH_CHUNK}>;
${lse ? reduceHelpers(wg) : `var<workgroup> cf: array<f32, ${TILE_ROWS * wg}>;`}
@compute @workgroup_size(${wg}) fn main(${ENTRY_ARGS}) {
  let o0 = (${LINEAR_WG}) * TR;
${init}
  for (var s0 = 0u; s0 < p.S; s0 += WG) {
    let s = s0 + li;
    let sv = s < p.S;
    var x: array<f32, TR>;
    for (var r = 0u; r < TR; r++) { x[r] = 0.0; }
    for (var k0 = 0u; k0 < p.D; k0 += DC) {
      workgroupBarrier();
      for (var e = li; e < TR * DC; e += WG) {
        let r = e / DC;
        let kk = k0 + e % DC;
        var v = 0.0;
        if (o0 + r < p.O && kk < p.D) { v = ld_a((o0 + r) * p.D + kk); }
        tile[e] = v;
      }
      workgroupBarrier();
      if (sv) {
        let kn = min(DC, p.D - k0);
        for (var kk = 0u; kk < kn; kk++) {
          let bv = ld_b(s * p.D + k0 + kk);
          for (var r = 0u; r < TR; r++) { x[r] += tile[r * DC + kk] * bv; }
        }
      }
    }
${use}
  }
${finish}
}
`;
  return k.build(wgsl, grid(Math.ceil(pr.O / TILE_ROWS), ctx.limits.maxWorkgroupsPerDim));
}

/** The thread-per-row kernel (CPU adapters, where barriers are slow): no workgroup memory, no barriers. */
function threadKernel(ctx: KernelContext, pr: TileProblem): DispatchSpec {
  const lse = pr.coef === 'lse';
  const k = new Kernel(ctx, pr.label).u32('O', pr.O).u32('S', pr.S).u32('D', pr.D);
  pr.bind(k);
  const wgsl = `@compute @workgroup_size(${THREAD_ROWS}) fn main(${ENTRY_ARGS}) {
  let o = (${LINEAR_WG}) * ${THREAD_ROWS}u + li;
  if (o >= p.O) { return; }
${
  lse
    ? `  var m = ${NEG_BIG};
  var sm = 0.0;
  var tl = 0.0;
  let tg = ld_tgt(o);`
    : '  for (var j = 0u; j < p.D; j++) { st_out(o * p.D + j, 0.0); }'
}
  for (var s = 0u; s < p.S; s++) {
    var xl = 0.0;
    for (var kk = 0u; kk < p.D; kk++) { xl += ld_a(o * p.D + kk) * ld_b(s * p.D + kk); }
${
  lse
    ? `    if (xl > m) { sm = sm * exp(m - xl) + 1.0; m = xl; } else { sm += exp(xl - m); }
    if (tg == i32(s)) { tl = xl; }`
    : `    let c = ${pr.coef};
    if (c != 0.0) {
      for (var j = 0u; j < p.D; j++) { st_out(o * p.D + j, ld_out(o * p.D + j) + c * ld_b(s * p.D + j)); }
    }`
}
  }
${lse ? '  st_out(o, select(0.0, tl - m - log(sm), tg >= 0 && u32(tg) < p.S));' : ''}
}
`;
  return k.build(wgsl, grid(Math.ceil(pr.O / THREAD_ROWS), ctx.limits.maxWorkgroupsPerDim));
}

function headKernel(ctx: KernelContext, pr: TileProblem): DispatchSpec[] {
  if (pr.O === 0) return [];
  return [ctx.rows === 'thread' ? threadKernel(ctx, pr) : tileKernel(ctx, pr)];
}

interface HeadTensors {
  N: number;
  V: number;
  d: number;
  hidden: GpuTensor;
  weight: GpuTensor;
  targets: GpuTensor;
  out: GpuTensor;
}

function headTensors(launch: Launch<HeadOp>): HeadTensors {
  const [N, d] = launch.inputs[0].shape;
  const V = launch.inputs[1].shape[0];
  return {
    N,
    V,
    d,
    hidden: asGpuTensor(launch.inputs[0].tensor, `${launch.op} hidden`),
    weight: asGpuTensor(launch.inputs[1].tensor, `${launch.op} weight`),
    targets: asGpuTensor(launch.inputs[2].tensor, `${launch.op} targets`),
    out: asGpuTensor(launch.output.tensor, `${launch.op} output`),
  };
}

export function lmHeadLogprobsKernel(launch: Launch<'lm_head_logprobs'>, ctx: KernelContext): DispatchSpec[] {
  const t = headTensors(launch);
  return headKernel(ctx, {
    label: launch.op,
    O: t.N,
    S: t.V,
    D: t.d,
    coef: 'lse',
    bind: (k) =>
      k
        .tensor('out', t.out, t.N, 'read_write')
        .tensor('a', t.hidden, t.N * t.d, 'read')
        .tensor('b', t.weight, t.V * t.d, 'read')
        .tensor('tgt', t.targets, t.N, 'read'),
  });
}

/** Row n's (lse, g) into rs[2n], rs[2n + 1]; (0, 0) for padding, so its coefficients vanish. */
function rowStatePass(launch: Launch<HeadOp>, ctx: KernelContext, t: HeadTensors, rs: GPUBuffer): DispatchSpec[] {
  const logp = asGpuTensor(launch.inputs[3].tensor, `${launch.op} logp`);
  const g = asGpuTensor(launch.inputs[4].tensor, `${launch.op} g`);
  return perOutput(ctx, t.N, {
    label: `${launch.op}_rows`,
    bind: (k) =>
      k
        .u32('D', t.d)
        .i32('Vi', t.V)
        .buffer('rs', rs, 'f32', 'read_write')
        .tensor('h', t.hidden, t.N * t.d, 'read')
        .tensor('w', t.weight, t.V * t.d, 'read')
        .tensor('tgt', t.targets, t.N, 'read')
        .tensor('lp', logp, t.N, 'read')
        .tensor('g', g, t.N, 'read'),
    body: `  let t = ld_tgt(i);
  var lse = 0.0;
  var gv = 0.0;
  if (t >= 0 && t < p.Vi) {
    var dot = 0.0;
    for (var k = 0u; k < p.D; k++) { dot += ld_h(i * p.D + k) * ld_w(u32(t) * p.D + k); }
    lse = dot - ld_lp(i);
    gv = ld_g(i);
  }
  st_rs(2u * i, lse);
  st_rs(2u * i + 1u, gv);`,
  });
}

/** g * (onehot - softmax) for hidden row `n` and vocabulary row `v` (WGSL expressions), 0 for padding. */
const coefficient = (n: string, v: string) =>
  `select(0.0, ld_rs(2u * ${n} + 1u) * (select(0.0, 1.0, ld_tgt(${n}) == i32(${v})) - exp(xl - ld_rs(2u * ${n}))), ld_rs(2u * ${n} + 1u) != 0.0)`;

function gradKernel(
  launch: Launch<'lm_head_logprobs_grad_hidden' | 'lm_head_logprobs_grad_weight'>,
  ctx: KernelContext,
): DispatchSpec[] {
  const t = headTensors(launch);
  if (t.N === 0) return [];
  const rs = ctx.scratch(t.N * 2 * 4);
  const dHidden = launch.op === 'lm_head_logprobs_grad_hidden';
  const [a, b, O, S] = dHidden ? [t.hidden, t.weight, t.N, t.V] : [t.weight, t.hidden, t.V, t.N];
  const main = headKernel(ctx, {
    label: launch.op,
    O,
    S,
    D: t.d,
    coef: dHidden ? coefficient('o', 's') : coefficient('s', 'o'),
    bind: (k) =>
      k
        .tensor('out', t.out, O * t.d, 'read_write')
        .tensor('a', a, O * t.d, 'read')
        .tensor('b', b, S * t.d, 'read')
        .tensor('tgt', t.targets, t.N, 'read')
        .buffer('rs', rs, 'f32', 'read'),
  });
  return [...rowStatePass(launch, ctx, t, rs), ...main];
}

export const lmHeadWgsl: WgslKernels<HeadOp> = {
  lm_head_logprobs: lmHeadLogprobsKernel,
  lm_head_logprobs_grad_hidden: gradKernel,
  lm_head_logprobs_grad_weight: gradKernel,
};
