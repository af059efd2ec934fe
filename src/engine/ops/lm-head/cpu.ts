/**
 * CPU kernels of the chunked LM head (the numerical reference). The logits of one vocabulary chunk
 * at a time ([N, VOCAB_CHUNK]) come from the backend's gemm, the same one the plain matmul uses, so
 * they match the unfused path's logits; log-sum-exps accumulate in float64.
 */
import type { Gemm } from '../../backends/cpu/gemm.ts';
import { type CpuKernels, checkTokenId, f32, i32, type KernelContext } from '../../backends/cpu/kernel-kit.ts';
import type { F32View, I32View } from '../../backends/cpu/tensor.ts';
import { VOCAB_CHUNK } from './index.ts';

interface HeadDims {
  N: number;
  V: number;
  d: number;
}

const headDims = (hidden: F32View, weight: F32View): HeadDims => ({
  N: hidden.shape[0],
  d: hidden.shape[1],
  V: weight.shape[0],
});

/** Logits of every row against vocabulary rows v0..v0+C, written [N, C] into `scratch`. */
class ChunkLogits {
  readonly scratch: Float32Array;
  private readonly gemm: Gemm;
  constructor(
    ctx: KernelContext,
    private readonly dims: HeadDims,
  ) {
    const C = Math.min(dims.V, VOCAB_CHUNK);
    this.scratch = new Float32Array(dims.N * C);
    this.gemm = ctx.gemmFor({ batch: 1, M: dims.N, N: C, K: dims.d, sharedB: true }, false, true);
  }
  compute(hidden: Float32Array, weight: Float32Array, v0: number, C: number): Float32Array {
    const { N, d } = this.dims;
    this.gemm(hidden, 0, false, weight, v0 * d, true, this.scratch, 0, N, C, d);
    return this.scratch;
  }
}

/** The view's data may be longer than its N rows (a view over a larger tensor). */
function checkTargets(targets: Int32Array, N: number, V: number, op: string): void {
  for (let n = 0; n < N; n++) if (targets[n] >= 0) checkTokenId(targets[n], V, op);
}

export function lmHeadLogprobs(
  hidden: F32View,
  weight: F32View,
  targets: I32View,
  out: F32View,
  chunks: ChunkLogits,
): void {
  const { N, V } = headDims(hidden, weight);
  const t = targets.data;
  checkTargets(t, N, V, 'lm_head_logprobs');
  // Per row: running max, sum of exp(logit - max), and the target's logit.
  const max = new Float64Array(N).fill(Number.NEGATIVE_INFINITY);
  const sum = new Float64Array(N);
  const tgt = new Float64Array(N);
  for (let v0 = 0; v0 < V; v0 += VOCAB_CHUNK) {
    const C = Math.min(VOCAB_CHUNK, V - v0);
    const x = chunks.compute(hidden.data, weight.data, v0, C);
    for (let n = 0; n < N; n++) {
      if (t[n] < 0) continue;
      const row = n * C;
      let m = max[n];
      for (let c = 0; c < C; c++) m = Math.max(m, x[row + c]);
      if (m > max[n]) {
        sum[n] *= Math.exp(max[n] - m);
        max[n] = m;
      }
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[row + c] - m);
      sum[n] += s;
      if (t[n] >= v0 && t[n] < v0 + C) tgt[n] = x[row + t[n] - v0];
    }
  }
  for (let n = 0; n < N; n++) out.data[n] = t[n] < 0 ? 0 : tgt[n] - max[n] - Math.log(sum[n]);
}

/** Per row: the log-sum-exp (logit[target] - logp) and the gradient weight (0 for padding rows). */
interface RowState {
  lse: Float64Array;
  g: Float64Array;
}

function rowState(hidden: F32View, weight: F32View, targets: I32View, logp: F32View, g: F32View, op: string): RowState {
  const { N, V, d } = headDims(hidden, weight);
  const lse = new Float64Array(N);
  const gw = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const t = targets.data[n];
    if (t < 0) continue;
    checkTokenId(t, V, op);
    let dot = 0;
    for (let k = 0; k < d; k++) dot += hidden.data[n * d + k] * weight.data[t * d + k];
    lse[n] = Math.fround(dot) - logp.data[n];
    gw[n] = g.data[n];
  }
  return { lse, g: gw };
}

/** Turns the chunk's logits [N, C] in place into g * (onehot(target) - softmax). */
function chunkCoefficients(x: Float32Array, N: number, C: number, v0: number, targets: Int32Array, s: RowState): void {
  for (let n = 0; n < N; n++) {
    const row = n * C;
    const gn = s.g[n];
    if (gn === 0) {
      x.fill(0, row, row + C);
      continue;
    }
    const lse = s.lse[n];
    for (let c = 0; c < C; c++) x[row + c] = -gn * Math.exp(x[row + c] - lse);
    const t = targets[n];
    if (t >= v0 && t < v0 + C) x[row + t - v0] += gn;
  }
}

export const lmHeadCpu: CpuKernels<
  'lm_head_logprobs' | 'lm_head_logprobs_grad_hidden' | 'lm_head_logprobs_grad_weight'
> = {
  lm_head_logprobs: (_l, [h, w, t], o, ctx) => {
    const chunks = new ChunkLogits(ctx, headDims(f32(h), f32(w)));
    return () => lmHeadLogprobs(f32(h), f32(w), i32(t), f32(o), chunks);
  },
  lm_head_logprobs_grad_hidden: (l, [h, w, t, lp, g], o, ctx) => {
    const dims = headDims(f32(h), f32(w));
    const { N, V, d } = dims;
    const chunks = new ChunkLogits(ctx, dims);
    const Cmax = Math.min(V, VOCAB_CHUNK);
    // dhidden += coef [N, C] x W[v0 .. v0+C] [C, d], a chunk at a time through `partial`.
    const gemm = ctx.gemmFor({ batch: 1, M: N, N: d, K: Cmax, sharedB: true }, false, false);
    const partial = new Float32Array(N * d);
    return () => {
      const s = rowState(f32(h), f32(w), i32(t), f32(lp), f32(g), l.op);
      const out = f32(o).data;
      out.fill(0, 0, N * d);
      for (let v0 = 0; v0 < V; v0 += VOCAB_CHUNK) {
        const C = Math.min(VOCAB_CHUNK, V - v0);
        const x = chunks.compute(f32(h).data, f32(w).data, v0, C);
        chunkCoefficients(x, N, C, v0, i32(t).data, s);
        gemm(x, 0, false, f32(w).data, v0 * d, false, partial, 0, N, d, C);
        for (let i = 0; i < N * d; i++) out[i] += partial[i];
      }
    };
  },
  lm_head_logprobs_grad_weight: (l, [h, w, t, lp, g], o, ctx) => {
    const dims = headDims(f32(h), f32(w));
    const { N, V, d } = dims;
    const chunks = new ChunkLogits(ctx, dims);
    // dweight[v0 .. v0+C] = coef^T [C, N] x hidden [N, d]: each chunk's rows written once.
    const gemm = ctx.gemmFor({ batch: 1, M: Math.min(V, VOCAB_CHUNK), N: d, K: N, sharedB: true }, true, false);
    return () => {
      const s = rowState(f32(h), f32(w), i32(t), f32(lp), f32(g), l.op);
      for (let v0 = 0; v0 < V; v0 += VOCAB_CHUNK) {
        const C = Math.min(VOCAB_CHUNK, V - v0);
        const x = chunks.compute(f32(h).data, f32(w).data, v0, C);
        chunkCoefficients(x, N, C, v0, i32(t).data, s);
        gemm(x, 0, true, f32(h).data, 0, false, f32(o).data, v0 * d, C, d, N);
      }
    };
  },
};
