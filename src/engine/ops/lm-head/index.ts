/**
 * The memory-lean LM head: token log-probabilities straight from the final hidden states and the
 * head weight, computed in vocabulary chunks so no [tokens x vocab] logits tensor (nor its
 * gradient) is ever stored. Attributes, semantics, shape rules, the chunk size and the rule that
 * decides when a graph uses it.
 *
 * Both model families store the head as [V, d] (GPT-2's tied wte, Llama/Qwen2's lm_head.weight or
 * tied embed_tokens: logits = hidden W^T), so that is the one weight layout the ops take.
 */
import { check, fmtShape, type ShapeRules, shapeEq, type TensorType } from '../shape.ts';

export interface LmHeadAttrs {
  /**
   * hidden [N, d], weight [V, d], targets [N] (i32) -> out [N] = log_softmax(hidden W^T)[target],
   * with an online log-sum-exp over vocabulary chunks. A negative target (padding) gives 0.
   */
  lm_head_logprobs: Record<string, never>;
  /**
   * inputs [hidden, weight, targets, logp [N] (the forward's output), g [N]] -> dL/dhidden [N, d]
   * = g * (W[target] - softmax W), the softmax recomputed chunk by chunk as exp(logit - lse) with
   * lse = hidden W[target] - logp.
   */
  lm_head_logprobs_grad_hidden: Record<string, never>;
  /** Same inputs -> dL/dweight [V, d] = sum over rows of g * (onehot(target) - softmax) hidden. */
  lm_head_logprobs_grad_weight: Record<string, never>;
}

/**
 * Vocabulary rows per chunk on the CPU backend: the chunk's logits ([N, VOCAB_CHUNK] f32) are the
 * only scratch, so this bounds the head's extra memory at 4 KiB per token (4 MiB for 1024 tokens,
 * 1/148 of Qwen2.5's 151,936-wide logits) while keeping each chunk's gemm large enough (1024
 * columns) to run at full speed. The WebGPU kernels stream the vocabulary in workgroup-sized
 * chunks instead and need no scratch beyond two floats per row.
 */
export const VOCAB_CHUNK = 1024;

/** Which head a sequence graph builds (BuildOptions.lmHead): 'auto' follows shouldChunkLmHead. */
export type LmHeadMode = 'auto' | 'chunked' | 'unfused';

/**
 * When 'auto' uses the chunked head: the vocabulary is at least CHUNKED_HEAD_MIN_VOCAB and the
 * logits would take at least CHUNKED_HEAD_MIN_LOGITS_BYTES.
 *
 * Why: the chunked head trades speed for memory. Its backward recomputes the logits (dhidden costs
 * two head matmuls instead of one, dweight two more), and its kernels are simpler than the tuned
 * matmuls, so below the threshold the unfused path is kept. 256 MiB of logits (512 MiB with their
 * gradient) is where they stop fitting one buffer under WebGPU's default maxBufferSize (256 MiB)
 * and become a large share of a 4 GB laptop budget: Qwen2.5-0.5B's DPO step at 4 x 256 tokens
 * (594 MiB of logits) is chunked, GPT-2 small's at 8 x 128 (196 MiB), whose speed the benchmark
 * targets, is not. The vocabulary floor keeps small-vocabulary models (the bundled classroom model
 * has 1,024 tokens) on the unfused path at any batch, so stored version-1 runs replay exactly.
 */
export const CHUNKED_HEAD_MIN_VOCAB = 8192;
export const CHUNKED_HEAD_MIN_LOGITS_BYTES = 256 * 2 ** 20;

/** Whether scoring `tokens` positions against a `vocab`-wide head uses the chunked head. */
export function shouldChunkLmHead(tokens: number, vocab: number, mode: LmHeadMode = 'auto'): boolean {
  if (mode !== 'auto') return mode === 'chunked';
  return vocab >= CHUNKED_HEAD_MIN_VOCAB && tokens * vocab * 4 >= CHUNKED_HEAD_MIN_LOGITS_BYTES;
}

function checkHead(op: string, hidden: TensorType, weight: TensorType, targets: TensorType): void {
  check(
    hidden.shape.length === 2 &&
      hidden.dtype === 'f32' &&
      weight.shape.length === 2 &&
      weight.dtype === 'f32' &&
      weight.shape[1] === hidden.shape[1] &&
      targets.dtype === 'i32' &&
      shapeEq(targets.shape, [hidden.shape[0]]),
    () =>
      `${op}: hidden ${fmtShape(hidden.shape)} must be [N, d], weight ${fmtShape(weight.shape)} [V, d] (f32) and targets ${fmtShape(targets.shape)} i32 [N]`,
  );
}

function checkGrad(op: string, inputs: readonly TensorType[]): void {
  const [hidden, weight, targets, logp, g] = inputs;
  checkHead(op, hidden, weight, targets);
  const N = hidden.shape[0];
  check(
    shapeEq(logp.shape, [N]) && shapeEq(g.shape, [N]),
    () => `${op}: logp ${fmtShape(logp.shape)} and g ${fmtShape(g.shape)} must both be [${N}]`,
  );
}

export const lmHeadShapes: ShapeRules<LmHeadAttrs> = {
  lm_head_logprobs: ([hidden, weight, targets]) => {
    checkHead('lm_head_logprobs', hidden, weight, targets);
    return [hidden.shape[0]];
  },
  lm_head_logprobs_grad_hidden: (inputs) => {
    checkGrad('lm_head_logprobs_grad_hidden', inputs);
    return inputs[0].shape;
  },
  lm_head_logprobs_grad_weight: (inputs) => {
    checkGrad('lm_head_logprobs_grad_weight', inputs);
    return inputs[1].shape;
  },
};
