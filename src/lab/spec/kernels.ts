/**
 * The spec's kernel choices, `attention` and `lmHead`: which of the engine's two implementations
 * of causal attention and of the LM head's log-probs a run builds. Both pairs compute the same
 * function (up to float rounding); the memory-lean ones (fused attention, chunked head) never
 * store the [T x T] scores or the [tokens x vocab] logits. Left out means 'auto': the engine's own
 * size rules (ops/attention shouldFuseAttention, ops/lm-head shouldChunkLmHead), so specs written
 * before these fields build exactly the graphs they always did.
 */
import {
  type AttentionMode,
  CHUNKED_HEAD_MIN_LOGITS_BYTES,
  CHUNKED_HEAD_MIN_VOCAB,
  FUSED_ATTENTION_MIN_T,
  type LmHeadMode,
} from '../../engine/index.ts';

/** Form labels; a Record so a mode added to the engine must be named here too. */
export const ATTENTION_LABELS: Record<AttentionMode, string> = {
  auto: 'automatic',
  fused: 'fused (no score matrix)',
  unfused: 'unfused (scores stored)',
};

export const LM_HEAD_LABELS: Record<LmHeadMode, string> = {
  auto: 'automatic',
  chunked: 'chunked (no logits tensor)',
  unfused: 'unfused (full logits)',
};

export const ATTENTION_MODES = Object.keys(ATTENTION_LABELS) as AttentionMode[];
export const LM_HEAD_MODES = Object.keys(LM_HEAD_LABELS) as LmHeadMode[];

export const ATTENTION_HELP = `"fused": flash-style attention that walks the keys in blocks with an online softmax and never stores the [T x T] score matrix, forward or backward (less memory; slower for short sequences); "unfused": q k^T, softmax and p v as three ops, scores stored; "auto": fused from ${FUSED_ATTENTION_MIN_T} tokens on. Same numbers up to float rounding`;

export const LM_HEAD_HELP = `"chunked": token log-probs straight from the last hidden states, the vocabulary walked in chunks with an online log-sum-exp, so no [tokens x vocab] logits tensor (nor its gradient) is stored (less memory; the backward recomputes the logits); "unfused": full logits, then log-softmax; "auto": chunked when the vocabulary has at least ${CHUNKED_HEAD_MIN_VOCAB} tokens and the logits would take at least ${CHUNKED_HEAD_MIN_LOGITS_BYTES / 2 ** 20} MiB. Same numbers up to float rounding`;

/** The kernel choices of a spec, 'auto' where left out. */
export interface KernelChoice {
  attention: AttentionMode;
  lmHead: LmHeadMode;
}

export const AUTO_KERNELS: KernelChoice = { attention: 'auto', lmHead: 'auto' };

export function kernelChoice(spec: { attention?: AttentionMode; lmHead?: LmHeadMode }): KernelChoice {
  return { attention: spec.attention ?? 'auto', lmHead: spec.lmHead ?? 'auto' };
}

/** One line for the run's log when a spec forces a kernel; undefined when both are 'auto'. */
export function kernelNote(k: KernelChoice): string | undefined {
  const forced = [
    k.attention !== 'auto' ? `attention ${k.attention}` : '',
    k.lmHead !== 'auto' ? `LM head ${k.lmHead}` : '',
  ].filter(Boolean);
  return forced.length ? `Kernels chosen by the spec: ${forced.join(', ')} (the rest automatic)` : undefined;
}
