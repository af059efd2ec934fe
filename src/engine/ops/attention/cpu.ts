/**
 * CPU kernels of fused causal attention (the reference for the WGSL ones), FlashAttention-style:
 * per (batch, head), a block of BLOCK query rows meets the visible keys a block of BLOCK at a time.
 * Each block's scores are one small gemm into a [BLOCK x BLOCK] scratch (the backend's SIMD gemm
 * where it has one), then the online softmax (running max, rescaled sum and accumulator) and
 * another gemm for p v. The backward recomputes each block's probabilities from the rows'
 * logsumexp; blocks wholly above the causal diagonal are skipped. Nothing of size [Tq x Tk] exists.
 * With the SIMD gemm, the registered kernels are the range kernels of
 * backends/cpu/threads/ranges/attention.ts (split over threads where the backend has them, each
 * operand block packed once): the same numbers as these loops through that gemm, which are their
 * reference; without it (the JS gemm), these loops.
 */
import type { Launch } from '../../backend.ts';
import { type Gemm, jsGemm } from '../../backends/cpu/gemm.ts';
import { type CpuKernels, f32, type KernelContext } from '../../backends/cpu/kernel-kit.ts';
import type { ArrayView, F32View } from '../../backends/cpu/tensor.ts';
import {
  flashAttentionGradKVRange,
  flashAttentionGradQRange,
  flashAttentionRange,
} from '../../backends/cpu/threads/ranges/attention.ts';
import type { RangeKernel } from '../../backends/cpu/threads/ranges/types.ts';
import { bindAttentionRange } from './cpu-range.ts';
import { type AttentionDims, type AttentionOp, attentionDims, EMPTY_ROW_LSE } from './index.ts';

/** Query rows and keys per block. */
export const BLOCK = 64;

/** The three products the kernels need: A B^T (scores), A B (p v, dS k) and A^T B (dS^T q, p^T dOut). */
export interface AttentionGemms {
  readonly abT: Gemm;
  readonly ab: Gemm;
  readonly aTb: Gemm;
}

/** Gemms for head dim D: the backend's (SIMD when available) or, without a context, the JS ones. */
export function attentionGemms(D: number, ctx?: KernelContext): AttentionGemms {
  const get = (N: number, K: number, tA: boolean, tB: boolean) => {
    const dims = { batch: 1, M: BLOCK, N, K, sharedB: false };
    return ctx ? ctx.gemmFor(dims, tA, tB) : jsGemm(dims, tA, tB);
  };
  return { abT: get(BLOCK, D, false, true), ab: get(D, BLOCK, false, false), aTb: get(D, BLOCK, true, false) };
}

/** Scratch of one launch (made once at compile time): score and dP blocks, a block product, an accumulator. */
export class Scratch {
  readonly s = new Float32Array(BLOCK * BLOCK);
  readonly dp = new Float32Array(BLOCK * BLOCK);
  readonly prod: Float32Array;
  readonly acc: Float32Array;
  readonly m = new Float64Array(BLOCK);
  readonly l = new Float64Array(BLOCK);
  readonly corr = new Float64Array(BLOCK);
  constructor(D: number) {
    this.prod = new Float32Array(BLOCK * D);
    this.acc = new Float32Array(BLOCK * D);
  }
}

/** Element offset of query row (b, h, i), and of key row 0 of the kv head query head h reads. */
const qRow = (d: AttentionDims, b: number, h: number, i: number) => ((b * d.H + h) * d.Tq + i) * d.D;
const kvHead = (d: AttentionDims, b: number, h: number) => (b * d.Hkv + Math.floor(h / d.rep)) * d.Tk * d.D;

/**
 * The online softmax of query rows i0..i0+qn of head (b, h) over their visible keys. With `v` it
 * leaves acc = sum p v unnormalised (the forward); either way m and l hold each row's max and sum
 * of exp(s - max) (l = 0 when no key is visible).
 */
function onlineBlock(
  d: AttentionDims,
  scale: number,
  gm: AttentionGemms,
  x: Scratch,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array | null,
  mask: Float32Array,
  b: number,
  h: number,
  i0: number,
  qn: number,
): void {
  const { D } = d;
  const shift = d.Tk - d.Tq;
  const kv = kvHead(d, b, h);
  x.m.fill(Number.NEGATIVE_INFINITY, 0, qn);
  x.l.fill(0, 0, qn);
  x.acc.fill(0, 0, qn * D);
  const lastKey = i0 + qn - 1 + shift;
  for (let j0 = 0; j0 <= lastKey; j0 += BLOCK) {
    const kn = Math.min(BLOCK, lastKey + 1 - j0);
    gm.abT(q, qRow(d, b, h, i0), false, k, kv + j0 * D, true, x.s, 0, qn, kn, D);
    for (let r = 0; r < qn; r++) {
      const row = r * kn;
      const visible = Math.min(kn, i0 + r + shift - j0 + 1);
      let bm = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < visible; c++) {
        if (mask[b * d.Tk + j0 + c] !== 0) bm = Math.max(bm, scale * x.s[row + c]);
      }
      if (bm === Number.NEGATIVE_INFINITY) {
        x.s.fill(0, row, row + kn);
        x.corr[r] = 1;
        continue;
      }
      const mNew = Math.max(x.m[r], bm);
      const corr = Math.exp(x.m[r] - mNew);
      let sum = x.l[r] * corr;
      for (let c = 0; c < kn; c++) {
        const live = c < visible && mask[b * d.Tk + j0 + c] !== 0;
        const p = live ? Math.exp(scale * x.s[row + c] - mNew) : 0;
        x.s[row + c] = p;
        sum += p;
      }
      x.l[r] = sum;
      x.m[r] = mNew;
      x.corr[r] = corr;
    }
    if (!v) continue;
    gm.ab(x.s, 0, false, v, kv + j0 * D, false, x.prod, 0, qn, D, kn);
    for (let r = 0; r < qn; r++) {
      const corr = x.corr[r];
      for (let c = r * D; c < (r + 1) * D; c++) x.acc[c] = x.acc[c] * corr + x.prod[c];
    }
  }
}

/**
 * Runs the online softmax (onlineBlock) over every block of query rows of every (batch, head), then
 * `each` on the block's row statistics and accumulators in the scratch (v null: statistics only).
 */
function forEachOnlineBlock(
  d: AttentionDims,
  scale: number,
  gm: AttentionGemms,
  x: Scratch,
  q: F32View,
  k: F32View,
  v: F32View | null,
  mask: F32View,
  each: (b: number, h: number, i0: number, qn: number) => void,
): void {
  for (let b = 0; b < d.B; b++)
    for (let h = 0; h < d.H; h++)
      for (let i0 = 0; i0 < d.Tq; i0 += BLOCK) {
        const qn = Math.min(BLOCK, d.Tq - i0);
        onlineBlock(d, scale, gm, x, q.data, k.data, v ? v.data : null, mask.data, b, h, i0, qn);
        each(b, h, i0, qn);
      }
}

export function flashAttention(
  d: AttentionDims,
  scale: number,
  gm: AttentionGemms,
  [q, k, v, mask]: F32View[],
  out: F32View,
  x = new Scratch(d.D),
): void {
  forEachOnlineBlock(d, scale, gm, x, q, k, v, mask, (b, h, i0, qn) => {
    const o = qRow(d, b, h, i0);
    for (let r = 0; r < qn; r++) {
      const inv = x.l[r] > 0 ? 1 / x.l[r] : 0;
      for (let c = 0; c < d.D; c++) out.data[o + r * d.D + c] = x.acc[r * d.D + c] * inv;
    }
  });
}

/** Per query row: [logsumexp (EMPTY_ROW_LSE when no key is visible), rowsum(dOut * out)]. */
export function flashAttentionStats(
  d: AttentionDims,
  scale: number,
  gm: AttentionGemms,
  [q, k, mask, attnOut, dOut]: F32View[],
  out: F32View,
  x = new Scratch(d.D),
): void {
  forEachOnlineBlock(d, scale, gm, x, q, k, null, mask, (b, h, i0, qn) => {
    for (let r = 0; r < qn; r++) {
      const row = (b * d.H + h) * d.Tq + i0 + r;
      let delta = 0;
      for (let c = row * d.D; c < (row + 1) * d.D; c++) delta += dOut.data[c] * attnOut.data[c];
      out.data[2 * row] = x.l[r] > 0 ? x.m[r] + Math.log(x.l[r]) : EMPTY_ROW_LSE;
      out.data[2 * row + 1] = delta;
    }
  });
}

/**
 * Turns a block of raw scores s (rows i0.., keys j0..) into p (`dp` null) or dS = p (dP - delta),
 * in place; invisible pairs become 0.
 */
function probsBlock(
  d: AttentionDims,
  scale: number,
  s: Float32Array,
  dp: Float32Array | null,
  mask: Float32Array,
  stats: Float32Array,
  b: number,
  h: number,
  i0: number,
  qn: number,
  j0: number,
  kn: number,
): void {
  const shift = d.Tk - d.Tq;
  for (let r = 0; r < qn; r++) {
    const row = (b * d.H + h) * d.Tq + i0 + r;
    const lse = stats[2 * row];
    const delta = stats[2 * row + 1];
    const visible = Math.min(kn, i0 + r + shift - j0 + 1);
    for (let c = 0, e = r * kn; c < kn; c++, e++) {
      const live = c < visible && mask[b * d.Tk + j0 + c] !== 0;
      const p = live ? Math.exp(scale * s[e] - lse) : 0;
      s[e] = dp ? p * (dp[e] - delta) : p;
    }
  }
}

export function flashAttentionGradQ(
  d: AttentionDims,
  scale: number,
  gm: AttentionGemms,
  [q, k, v, mask, dOut, stats]: F32View[],
  out: F32View,
  x = new Scratch(d.D),
): void {
  const { D } = d;
  for (let b = 0; b < d.B; b++)
    for (let h = 0; h < d.H; h++) {
      const kv = kvHead(d, b, h);
      for (let i0 = 0; i0 < d.Tq; i0 += BLOCK) {
        const qn = Math.min(BLOCK, d.Tq - i0);
        const qo = qRow(d, b, h, i0);
        const lastKey = i0 + qn - 1 + d.Tk - d.Tq;
        x.acc.fill(0, 0, qn * D);
        for (let j0 = 0; j0 <= lastKey; j0 += BLOCK) {
          const kn = Math.min(BLOCK, lastKey + 1 - j0);
          gm.abT(q.data, qo, false, k.data, kv + j0 * D, true, x.s, 0, qn, kn, D);
          gm.abT(dOut.data, qo, false, v.data, kv + j0 * D, true, x.dp, 0, qn, kn, D);
          probsBlock(d, scale, x.s, x.dp, mask.data, stats.data, b, h, i0, qn, j0, kn);
          gm.ab(x.s, 0, false, k.data, kv + j0 * D, false, x.prod, 0, qn, D, kn);
          for (let e = 0; e < qn * D; e++) x.acc[e] += x.prod[e];
        }
        for (let e = 0; e < qn * D; e++) out.data[qo + e] = scale * x.acc[e];
      }
    }
}

/** dK or dV (`which`) of every key row, summed over the query heads that read its kv head. */
export function flashAttentionGradKV(
  d: AttentionDims,
  scale: number,
  gm: AttentionGemms,
  which: 'k' | 'v',
  [q, k, v, mask, dOut, stats]: (F32View | null)[],
  out: F32View,
  x = new Scratch(d.D),
): void {
  const { D } = d;
  const shift = d.Tk - d.Tq;
  const [Q, K, M, G, S] = [q, k, mask, dOut, stats].map((t) => (t as F32View).data);
  for (let b = 0; b < d.B; b++)
    for (let hk = 0; hk < d.Hkv; hk++)
      for (let j0 = 0; j0 < d.Tk; j0 += BLOCK) {
        const kn = Math.min(BLOCK, d.Tk - j0);
        const ko = ((b * d.Hkv + hk) * d.Tk + j0) * D;
        x.acc.fill(0, 0, kn * D);
        for (let h = hk * d.rep; h < (hk + 1) * d.rep; h++)
          for (let i0 = Math.max(0, j0 - shift); i0 < d.Tq; i0 += BLOCK) {
            const qn = Math.min(BLOCK, d.Tq - i0);
            const qo = qRow(d, b, h, i0);
            gm.abT(Q, qo, false, K, ko, true, x.s, 0, qn, kn, D);
            if (which === 'k') gm.abT(G, qo, false, (v as F32View).data, ko, true, x.dp, 0, qn, kn, D);
            probsBlock(d, scale, x.s, which === 'k' ? x.dp : null, M, S, b, h, i0, qn, j0, kn);
            // [kn x D] += s^T [kn x qn] . (q or dOut) [qn x D]
            gm.aTb(x.s, 0, true, which === 'k' ? Q : G, qo, false, x.prod, 0, kn, D, qn);
            for (let e = 0; e < kn * D; e++) x.acc[e] += x.prod[e];
          }
        const f = which === 'k' ? scale : 1;
        for (let e = 0; e < kn * D; e++) out.data[ko + e] = f * x.acc[e];
      }
}

function dimsOf(launch: Launch<AttentionOp>, inputs: ArrayView[]): AttentionDims {
  const [q, k] = inputs;
  const maskIndex = launch.op === 'flash_attention_stats' || launch.op === 'flash_attention_grad_v' ? 2 : 3;
  return attentionDims(launch.op, q, k, inputs[maskIndex]);
}

type Run = (d: AttentionDims, scale: number, gm: AttentionGemms, inputs: F32View[], out: F32View, x: Scratch) => void;

/**
 * A launch's range kernel (threads/ranges/attention.ts): its operands [q, k, v, mask, dOut, aux,
 * out] from the launch's, whether its units are key blocks (dK, dV) rather than query blocks, and
 * the kernel's variant (1: the statistics of the forward kernel, dK of the dK/dV kernel).
 */
interface RangeBinding {
  kernel: RangeKernel;
  operands: (inputs: ArrayView[], out: ArrayView) => ArrayView[];
  byKeys?: boolean;
  variant?: number;
}

/**
 * Binds the launch at compile time: with the SIMD gemm, to its range kernel (cpu-range.ts: split
 * over threads where the backend has them, the same numbers as `run` through that gemm); without
 * it, to `run` (the reference loop) with the backend's gemms and a scratch.
 */
function kernel(run: Run, range: RangeBinding) {
  return (l: Launch<AttentionOp>, inputs: ArrayView[], o: ArrayView, ctx: KernelContext) => {
    const d = dimsOf(l, inputs);
    if (ctx.simd) {
      const blocks = range.byKeys ? d.B * d.Hkv * Math.ceil(d.Tk / BLOCK) : d.B * d.H * Math.ceil(d.Tq / BLOCK);
      const unitCost = (range.byKeys ? d.rep * d.Tq : d.Tk) * BLOCK * (d.D / 4 + 10);
      const views = range.operands(inputs, o);
      const { kernel: k, variant, byKeys } = range;
      return bindAttentionRange(ctx, k, views, d, BLOCK, l.attrs.scale, blocks, unitCost, variant, byKeys);
    }
    const gm = attentionGemms(d.D, ctx);
    const x = new Scratch(d.D);
    return () => run(d, l.attrs.scale, gm, inputs.map(f32), f32(o), x);
  };
}

export const attentionCpu: CpuKernels<AttentionOp> = {
  flash_attention: kernel(flashAttention, {
    kernel: flashAttentionRange,
    operands: ([q, k, v, m], o) => [q, k, v, m, q, q, o],
  }),
  flash_attention_stats: kernel(flashAttentionStats, {
    kernel: flashAttentionRange,
    operands: ([q, k, m, attnOut, g], o) => [q, k, k, m, g, attnOut, o],
    variant: 1,
  }),
  flash_attention_grad_q: kernel(flashAttentionGradQ, {
    kernel: flashAttentionGradQRange,
    operands: ([q, k, v, m, g, st], o) => [q, k, v, m, g, st, o],
  }),
  flash_attention_grad_k: kernel((d, s, gm, ins, o, x) => flashAttentionGradKV(d, s, gm, 'k', ins, o, x), {
    kernel: flashAttentionGradKVRange,
    operands: ([q, k, v, m, g, st], o) => [q, k, v, m, g, st, o],
    byKeys: true,
    variant: 1,
  }),
  flash_attention_grad_v: kernel(
    (d, s, gm, [q, k, m, g, st], o, x) => flashAttentionGradKV(d, s, gm, 'v', [q, k, null, m, g, st], o, x),
    {
      kernel: flashAttentionGradKVRange,
      operands: ([q, k, m, g, st], o) => [q, k, k, m, g, st, o],
      byKeys: true,
    },
  ),
};
