/**
 * CPU kernels of fused causal attention (the reference for the WGSL ones). Each query row walks
 * its visible keys in blocks of KEY_BLOCK with an online softmax (running max, rescaled sum and
 * accumulator); the backward recomputes each probability from the stored row logsumexp. Nothing
 * of size [Tq x Tk] is allocated; sums run in f64.
 */
import type { Launch } from '../../backend.ts';
import { type CpuKernels, eachRun, f32 } from '../../backends/cpu/kernel-kit.ts';
import type { ArrayView, F32View } from '../../backends/cpu/tensor.ts';
import { type AttentionDims, type AttentionOp, attentionDims, EMPTY_ROW_LSE } from './index.ts';

/** Keys per online-softmax block (the max and rescale happen once per block). */
export const KEY_BLOCK = 64;

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, D: number): number {
  let s = 0;
  for (let d = 0; d < D; d++) s += a[ai + d] * b[bi + d];
  return s;
}

function dimsOf(launch: Launch<AttentionOp>, inputs: ArrayView[]): AttentionDims {
  const [q, k] = inputs;
  const maskIndex = launch.op === 'flash_attention_stats' || launch.op === 'flash_attention_grad_v' ? 2 : 3;
  return attentionDims(launch.op, q, k, inputs[maskIndex]);
}

/** Offsets of query row (b, h, i) and of kv head row 0 for it. */
const qRow = (d: AttentionDims, b: number, h: number, i: number) => ((b * d.H + h) * d.Tq + i) * d.D;
const kvHead = (d: AttentionDims, b: number, h: number) => (b * d.Hkv + Math.floor(h / d.rep)) * d.Tk * d.D;

/**
 * The online softmax of one query row over its visible keys, block by block; accumulates the
 * unnormalised sum of p * v into `acc` (when v is given: the forward; null: statistics only).
 * Returns [max, sum of exp(s - max)] over the visible keys ([-inf, 0] when none is visible).
 */
function onlineRow(
  d: AttentionDims,
  scale: number,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array | null,
  mask: Float32Array,
  b: number,
  h: number,
  i: number,
  scores: Float64Array,
  acc: Float64Array | null,
): [number, number] {
  const { D } = d;
  const qo = qRow(d, b, h, i);
  const kv = kvHead(d, b, h);
  const last = i + d.Tk - d.Tq;
  let m = Number.NEGATIVE_INFINITY;
  let l = 0;
  acc?.fill(0);
  for (let j0 = 0; j0 <= last; j0 += KEY_BLOCK) {
    const j1 = Math.min(j0 + KEY_BLOCK, last + 1);
    let blockMax = Number.NEGATIVE_INFINITY;
    for (let j = j0; j < j1; j++) {
      if (mask[b * d.Tk + j] === 0) continue;
      const s = scale * dot(q, qo, k, kv + j * D, D);
      scores[j - j0] = s;
      if (s > blockMax) blockMax = s;
    }
    if (blockMax === Number.NEGATIVE_INFINITY) continue;
    const mNew = Math.max(m, blockMax);
    const rescale = Math.exp(m - mNew);
    l *= rescale;
    if (acc && v) for (let c = 0; c < D; c++) acc[c] *= rescale;
    for (let j = j0; j < j1; j++) {
      if (mask[b * d.Tk + j] === 0) continue;
      const p = Math.exp(scores[j - j0] - mNew);
      l += p;
      if (acc && v) for (let c = 0, vo = kv + j * D; c < D; c++) acc[c] += p * v[vo + c];
    }
    m = mNew;
  }
  return [m, l];
}

export function flashAttention(
  d: AttentionDims,
  scale: number,
  q: F32View,
  k: F32View,
  v: F32View,
  mask: F32View,
  out: F32View,
) {
  const scores = new Float64Array(KEY_BLOCK);
  const acc = new Float64Array(d.D);
  for (let b = 0; b < d.B; b++)
    for (let h = 0; h < d.H; h++)
      for (let i = 0; i < d.Tq; i++) {
        const [, l] = onlineRow(d, scale, q.data, k.data, v.data, mask.data, b, h, i, scores, acc);
        const inv = l > 0 ? 1 / l : 0;
        const o = qRow(d, b, h, i);
        for (let c = 0; c < d.D; c++) out.data[o + c] = acc[c] * inv;
      }
}

export function flashAttentionStats(
  d: AttentionDims,
  scale: number,
  q: F32View,
  k: F32View,
  mask: F32View,
  attnOut: F32View,
  dOut: F32View,
  out: F32View,
) {
  const scores = new Float64Array(KEY_BLOCK);
  for (let b = 0; b < d.B; b++)
    for (let h = 0; h < d.H; h++)
      for (let i = 0; i < d.Tq; i++) {
        const [m, l] = onlineRow(d, scale, q.data, k.data, null, mask.data, b, h, i, scores, null);
        const row = (b * d.H + h) * d.Tq + i;
        out.data[2 * row] = l > 0 ? m + Math.log(l) : EMPTY_ROW_LSE;
        out.data[2 * row + 1] = dot(dOut.data, row * d.D, attnOut.data, row * d.D, d.D);
      }
}

export function flashAttentionGradQ(
  d: AttentionDims,
  scale: number,
  [q, k, v, mask, dOut, stats]: F32View[],
  out: F32View,
) {
  const { D } = d;
  const acc = new Float64Array(D);
  for (let b = 0; b < d.B; b++)
    for (let h = 0; h < d.H; h++) {
      const kv = kvHead(d, b, h);
      for (let i = 0; i < d.Tq; i++) {
        const row = (b * d.H + h) * d.Tq + i;
        const qo = row * D;
        const lse = stats.data[2 * row];
        const delta = stats.data[2 * row + 1];
        acc.fill(0);
        for (let j = 0; j <= i + d.Tk - d.Tq; j++) {
          if (mask.data[b * d.Tk + j] === 0) continue;
          const p = Math.exp(scale * dot(q.data, qo, k.data, kv + j * D, D) - lse);
          const ds = p * (dot(dOut.data, qo, v.data, kv + j * D, D) - delta);
          for (let c = 0; c < D; c++) acc[c] += ds * k.data[kv + j * D + c];
        }
        for (let c = 0; c < D; c++) out.data[qo + c] = scale * acc[c];
      }
    }
}

/** dK or dV (`which`) of every key row, summed over the query heads that read it. */
export function flashAttentionGradKV(
  d: AttentionDims,
  scale: number,
  which: 'k' | 'v',
  q: F32View,
  k: F32View,
  v: F32View | null,
  mask: F32View,
  dOut: F32View,
  stats: F32View,
  out: F32View,
) {
  const { D } = d;
  const acc = new Float64Array(D);
  const shift = d.Tk - d.Tq;
  for (let b = 0; b < d.B; b++)
    for (let hk = 0; hk < d.Hkv; hk++)
      for (let j = 0; j < d.Tk; j++) {
        const ko = ((b * d.Hkv + hk) * d.Tk + j) * D;
        acc.fill(0);
        if (mask.data[b * d.Tk + j] !== 0) {
          for (let h = hk * d.rep; h < (hk + 1) * d.rep; h++)
            for (let i = Math.max(0, j - shift); i < d.Tq; i++) {
              const row = (b * d.H + h) * d.Tq + i;
              const qo = row * D;
              const p = Math.exp(scale * dot(q.data, qo, k.data, ko, D) - stats.data[2 * row]);
              if (which === 'v') {
                for (let c = 0; c < D; c++) acc[c] += p * dOut.data[qo + c];
              } else {
                const ds = p * (dot(dOut.data, qo, (v as F32View).data, ko, D) - stats.data[2 * row + 1]);
                for (let c = 0; c < D; c++) acc[c] += scale * ds * q.data[qo + c];
              }
            }
        }
        for (let c = 0; c < D; c++) out.data[ko + c] = acc[c];
      }
}

export const attentionCpu: CpuKernels<AttentionOp> = {
  flash_attention: eachRun((l, ins, o) => {
    const [q, k, v, m] = ins.map(f32);
    flashAttention(dimsOf(l, ins), l.attrs.scale, q, k, v, m, f32(o));
  }),
  flash_attention_stats: eachRun((l, ins, o) => {
    const [q, k, m, out, g] = ins.map(f32);
    flashAttentionStats(dimsOf(l, ins), l.attrs.scale, q, k, m, out, g, f32(o));
  }),
  flash_attention_grad_q: eachRun((l, ins, o) =>
    flashAttentionGradQ(dimsOf(l, ins), l.attrs.scale, ins.map(f32), f32(o)),
  ),
  flash_attention_grad_k: eachRun((l, ins, o) => {
    const [q, k, v, m, g, s] = ins.map(f32);
    flashAttentionGradKV(dimsOf(l, ins), l.attrs.scale, 'k', q, k, v, m, g, s, f32(o));
  }),
  flash_attention_grad_v: eachRun((l, ins, o) => {
    const [q, k, m, g, s] = ins.map(f32);
    flashAttentionGradKV(dimsOf(l, ins), l.attrs.scale, 'v', q, k, null, m, g, s, f32(o));
  }),
};
