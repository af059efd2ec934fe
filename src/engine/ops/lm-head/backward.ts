/** Backward rule of lm_head_logprobs: each gradient recomputes the logits chunk by chunk (the targets get none). */
import { type BackwardRules, when } from '../backward-kit.ts';

export const lmHeadBackward: BackwardRules<'lm_head_logprobs'> = {
  lm_head_logprobs: (graph, n, g, needs) => {
    const [hidden, weight, targets] = n.inputs;
    // The forward's output carries each row's log-sum-exp (lse = logit[target] - logp), so the
    // gradients need no second pass over the vocabulary to find it.
    const inputs = [hidden, weight, targets, n, g];
    return [
      when(needs, 0, () => graph.apply('lm_head_logprobs_grad_hidden', inputs, {})),
      when(needs, 1, () => graph.apply('lm_head_logprobs_grad_weight', inputs, {})),
      undefined,
    ];
  },
};
