/** Backward rule of token_logprobs (the targets get none). */
import type { BackwardRules } from '../backward-kit.ts';

export const logprobsBackward: BackwardRules<'token_logprobs'> = {
  token_logprobs: (graph, n, g) => {
    const [logits, targets] = n.inputs;
    return [graph.apply('token_logprobs_grad', [logits, targets, g], {}), undefined];
  },
};
