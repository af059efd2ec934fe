/** Op -> kernel builder. Every op of ops.ts that can appear in a launch has an entry. */
import type { Launch } from '../../../backend.ts';
import type { OpKind } from '../../../ops.ts';
import { adamwKernel } from './adamw.ts';
import { cacheWriteKernel } from './cache.ts';
import {
  binaryKernel,
  broadcastToKernel,
  copyKernel,
  scaleKernel,
  unaryGradKernel,
  unaryKernel,
} from './elementwise.ts';
import { embeddingGradKernel, embeddingKernel } from './embedding.ts';
import {
  expandRowsKernel,
  maskedRowSumKernel,
  padLastKernel,
  permuteKernel,
  repeatHeadsKernel,
  sliceLastKernel,
  sumHeadsKernel,
} from './layout.ts';
import { tokenLogprobsGradKernel, tokenLogprobsKernel } from './logprobs.ts';
import { matmulKernel } from './matmul.ts';
import { normGradWKernel, normGradXKernel, normKernel } from './norm.ts';
import { sumAllKernel, sumLeadingKernel } from './reduce.ts';
import { ropeAtKernel, ropeKernel } from './rope.ts';
import { softmaxCausalGradKernel, softmaxCausalKernel } from './softmax.ts';
import type { DispatchSpec, KernelContext } from './types.ts';

type Builder<K extends OpKind> = (launch: Launch<K>, ctx: KernelContext) => DispatchSpec[];

const KERNELS: { [K in Exclude<OpKind, 'input' | 'param'>]: Builder<K> } = {
  add: binaryKernel,
  sub: binaryKernel,
  mul: binaryKernel,
  scale: scaleKernel,
  unary: unaryKernel,
  unary_grad: unaryGradKernel,
  sum_all: sumAllKernel,
  sumsq: sumAllKernel,
  sum_leading: sumLeadingKernel,
  broadcast_to: broadcastToKernel,
  masked_row_sum: maskedRowSumKernel,
  expand_rows: expandRowsKernel,
  matmul: matmulKernel,
  reshape: copyKernel,
  permute: permuteKernel,
  slice_last: sliceLastKernel,
  pad_last: padLastKernel,
  repeat_heads: repeatHeadsKernel,
  sum_heads: sumHeadsKernel,
  embedding: embeddingKernel,
  embedding_grad: embeddingGradKernel,
  layernorm: normKernel,
  layernorm_grad_x: normGradXKernel,
  layernorm_grad_w: normGradWKernel,
  rmsnorm: normKernel,
  rmsnorm_grad_x: normGradXKernel,
  rmsnorm_grad_w: normGradWKernel,
  rope: ropeKernel,
  rope_at: ropeAtKernel,
  cache_write: cacheWriteKernel,
  softmax_causal: softmaxCausalKernel,
  softmax_causal_grad: softmaxCausalGradKernel,
  token_logprobs: tokenLogprobsKernel,
  token_logprobs_grad: tokenLogprobsGradKernel,
  adamw: adamwKernel,
};

/** Every op this backend has kernels for (all of ops.ts but the graph leaves). */
export const KERNEL_OPS = Object.keys(KERNELS) as Exclude<OpKind, 'input' | 'param'>[];

export function kernelFor(op: OpKind): (launch: Launch, ctx: KernelContext) => DispatchSpec[] {
  if (op === 'input' || op === 'param') {
    throw new Error(`"${op}" nodes are allocations, not launches; the planner must not emit them`);
  }
  const builder = KERNELS[op] as ((launch: Launch, ctx: KernelContext) => DispatchSpec[]) | undefined;
  if (!builder) throw new Error(`no WebGPU kernel for op "${op}"`);
  return builder;
}
