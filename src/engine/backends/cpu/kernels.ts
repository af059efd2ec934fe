/**
 * Binds one launch to its kernel: resolves the views' typed arrays once, at compile time, and
 * returns a closure the program calls on every run.
 */
import type { Launch, TensorView } from '../../backend.ts';
import type { OpKind } from '../../ops.ts';
import { binary, scale, unary, unaryGrad } from './elementwise.ts';
import { copy, padLast, permute, repeatHeads, sliceLast, sumHeads } from './layout.ts';
import { type Gemm, jsGemm, type MatmulDims, matmul, matmulDims } from './matmul.ts';
import {
  cacheWrite,
  embedding,
  embeddingGrad,
  layernorm,
  layernormGradW,
  layernormGradX,
  rmsnorm,
  rmsnormGradW,
  rmsnormGradX,
  rope,
  softmaxCausal,
  softmaxCausalGrad,
  tokenLogprobs,
  tokenLogprobsGrad,
} from './nn.ts';
import { adamw } from './optimizer.ts';
import { broadcastTo, expandRows, maskedRowSum, sumAll, sumLeading, sumsq } from './reduce.ts';
import { type ArrayView, CpuTensor, type F32View, type I32View } from './tensor.ts';

function view(v: TensorView): ArrayView {
  if (!(v.tensor instanceof CpuTensor)) {
    throw new Error('CpuBackend: a launch refers to a tensor from another backend; allocate it with this CpuBackend');
  }
  if (v.tensor.dtype !== v.dtype) throw new Error(`CpuBackend: view dtype ${v.dtype} over a ${v.tensor.dtype} tensor`);
  return { data: v.tensor.data, shape: v.shape };
}
const f32 = (v: ArrayView) => v as F32View;
const i32 = (v: ArrayView) => v as I32View;

/** What kernels may need from their backend beyond the launch itself. */
export interface KernelContext {
  /** The gemm for a matmul launch of these dims (SIMD when available). */
  gemmFor(d: MatmulDims, transA: boolean, transB: boolean): Gemm;
}

type Bind = (l: Launch, ins: ArrayView[], out: ArrayView, ctx: KernelContext) => () => void;

const A = <K extends OpKind>(l: Launch): Launch<K>['attrs'] => l.attrs as Launch<K>['attrs'];

const BINDERS: Record<OpKind, Bind> = {
  input: leafError,
  param: leafError,
  add:
    (_l, [a, b], o) =>
    () =>
      binary('add', f32(a), f32(b), f32(o)),
  sub:
    (_l, [a, b], o) =>
    () =>
      binary('sub', f32(a), f32(b), f32(o)),
  mul:
    (_l, [a, b], o) =>
    () =>
      binary('mul', f32(a), f32(b), f32(o)),
  scale:
    (l, [a], o) =>
    () =>
      scale(f32(a), A<'scale'>(l).s, f32(o)),
  unary:
    (l, [a], o) =>
    () =>
      unary(A<'unary'>(l).fn, f32(a), f32(o)),
  unary_grad:
    (l, [a, g], o) =>
    () =>
      unaryGrad(A<'unary_grad'>(l).fn, f32(a), f32(g), f32(o)),
  sum_all:
    (_l, [a], o) =>
    () =>
      sumAll(f32(a), f32(o)),
  sumsq:
    (_l, [a], o) =>
    () =>
      sumsq(f32(a), f32(o)),
  sum_leading:
    (_l, [a], o) =>
    () =>
      sumLeading(f32(a), f32(o)),
  broadcast_to:
    (_l, [a], o) =>
    () =>
      broadcastTo(f32(a), f32(o)),
  masked_row_sum:
    (_l, [x, m], o) =>
    () =>
      maskedRowSum(f32(x), f32(m), f32(o)),
  expand_rows:
    (_l, [g, m], o) =>
    () =>
      expandRows(f32(g), f32(m), f32(o)),
  matmul: (l, [a, b], o, ctx) => {
    const { transA, transB } = A<'matmul'>(l);
    const dims = matmulDims(a.shape, b.shape, transA);
    const gemm = ctx.gemmFor(dims, transA, transB);
    return () => matmul(f32(a), f32(b), transA, transB, f32(o), dims, gemm);
  },
  reshape:
    (_l, [a], o) =>
    () =>
      copy(a, o),
  permute:
    (l, [a], o) =>
    () =>
      permute(a, A<'permute'>(l).perm, o),
  slice_last:
    (l, [a], o) =>
    () =>
      sliceLast(f32(a), A<'slice_last'>(l).start, A<'slice_last'>(l).len, f32(o)),
  pad_last:
    (l, [g], o) =>
    () =>
      padLast(f32(g), A<'pad_last'>(l).start, A<'pad_last'>(l).total, f32(o)),
  repeat_heads:
    (l, [a], o) =>
    () =>
      repeatHeads(f32(a), A<'repeat_heads'>(l).rep, f32(o)),
  sum_heads:
    (l, [g], o) =>
    () =>
      sumHeads(f32(g), A<'sum_heads'>(l).rep, f32(o)),
  embedding:
    (_l, [t, ids], o) =>
    () =>
      embedding(f32(t), i32(ids), f32(o)),
  embedding_grad:
    (l, [ids, g], o) =>
    () =>
      embeddingGrad(i32(ids), f32(g), A<'embedding_grad'>(l).vocab, f32(o)),
  layernorm:
    (l, [x, w, b], o) =>
    () =>
      layernorm(f32(x), f32(w), f32(b), A<'layernorm'>(l).eps, f32(o)),
  layernorm_grad_x:
    (l, [x, w, g], o) =>
    () =>
      layernormGradX(f32(x), f32(w), f32(g), A<'layernorm_grad_x'>(l).eps, f32(o)),
  layernorm_grad_w:
    (l, [x, g], o) =>
    () =>
      layernormGradW(f32(x), f32(g), A<'layernorm_grad_w'>(l).eps, f32(o)),
  rmsnorm:
    (l, [x, w], o) =>
    () =>
      rmsnorm(f32(x), f32(w), A<'rmsnorm'>(l).eps, f32(o)),
  rmsnorm_grad_x:
    (l, [x, w, g], o) =>
    () =>
      rmsnormGradX(f32(x), f32(w), f32(g), A<'rmsnorm_grad_x'>(l).eps, f32(o)),
  rmsnorm_grad_w:
    (l, [x, g], o) =>
    () =>
      rmsnormGradW(f32(x), f32(g), A<'rmsnorm_grad_w'>(l).eps, f32(o)),
  rope:
    (l, [x], o) =>
    () =>
      rope(f32(x), A<'rope'>(l).theta, A<'rope'>(l).inverse, f32(o)),
  rope_at:
    (l, [x, pos], o) =>
    () =>
      rope(f32(x), A<'rope_at'>(l).theta, false, f32(o), i32(pos)),
  cache_write:
    (_l, [c, x, pos], o) =>
    () =>
      cacheWrite(f32(c), f32(x), i32(pos), f32(o)),
  softmax_causal:
    (l, [s, m], o) =>
    () =>
      softmaxCausal(f32(s), f32(m), A<'softmax_causal'>(l).scale, f32(o)),
  softmax_causal_grad:
    (l, [p, g], o) =>
    () =>
      softmaxCausalGrad(f32(p), f32(g), A<'softmax_causal_grad'>(l).scale, f32(o)),
  token_logprobs:
    (_l, [x, t], o) =>
    () =>
      tokenLogprobs(f32(x), i32(t), f32(o)),
  token_logprobs_grad:
    (_l, [x, t, g], o) =>
    () =>
      tokenLogprobsGrad(f32(x), i32(t), f32(g), f32(o)),
  adamw: (_l, [p, g, m, v, h, n], o) => {
    if (o.data !== p.data) throw new Error('CpuBackend: adamw must update the param in place (output = input 0)');
    return () => adamw(f32(p), f32(g), f32(m), f32(v), f32(h), f32(n));
  },
};

function leafError(l: Launch): never {
  throw new Error(`CpuBackend: "${l.op}" is a graph leaf, not a kernel; the planner binds it to a tensor`);
}

export function bindLaunch(l: Launch, ctx: KernelContext): () => void {
  const bind = BINDERS[l.op];
  if (!bind) throw new Error(`CpuBackend: no kernel for op "${l.op}"`);
  return bind(l, l.inputs.map(view), view(l.output), ctx);
}

export const JS_KERNELS: KernelContext = { gemmFor: jsGemm };
