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

/**
 * When a training or scoring graph uses the chunked head: the vocabulary is at least
 * CHUNKED_HEAD_MIN_VOCAB and the logits would take at least CHUNKED_HEAD_MIN_LOGITS_BYTES.
 *
 * Why: the chunked head recomputes the logits in its backward (one extra head matmul for dhidden,
 * two for dweight), so it pays only where the logits are big. 64 MiB of logits (128 MiB with their
 * gradient) is where they start to crowd a laptop GPU's budget and pass WebGPU's default 128 MiB
 * binding size; Hugging Face models' vocabularies (GPT-2 50,257, SmolLM2 49,152, Qwen2.5 151,936)
 * reach it at a few hundred tokens per step. The vocabulary floor keeps small-vocabulary models
 * (the bundled classroom model has 1,024 tokens) on the plain matmul + token_logprobs path, whose
 * numbers the stored version-1 runs replay exactly.
 */
export const CHUNKED_HEAD_MIN_VOCAB = 8192;
export const CHUNKED_HEAD_MIN_LOGITS_BYTES = 64 * 2 ** 20;

/** Whether scoring `tokens` positions against a `vocab`-wide head should use the chunked head. */
export function useChunkedLmHead(tokens: number, vocab: number): boolean {
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
