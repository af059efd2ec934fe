/** Fused token log-probabilities and their gradient: attributes, semantics and shape rules. */
import { check, fmtShape, type ShapeRules, shapeEq } from '../shape.ts';

export interface LogprobsAttrs {
  /**
   * logits [N, V], targets [N] (i32) -> out [N] = log_softmax(logits)[target].
   * A negative target (padding) gives 0.
   */
  token_logprobs: Record<string, never>;
  /** inputs [logits, targets, g [N]] -> dL/dlogits [N, V] = g * (onehot(target) - softmax). */
  token_logprobs_grad: Record<string, never>;
}

export const logprobsShapes: ShapeRules<LogprobsAttrs> = {
  token_logprobs: ([logits, targets]) => {
    check(
      logits.shape.length === 2 && targets.dtype === 'i32' && shapeEq(targets.shape, [logits.shape[0]]),
      () => `token_logprobs: logits ${fmtShape(logits.shape)}, targets ${fmtShape(targets.shape)}`,
    );
    return [logits.shape[0]];
  },
  token_logprobs_grad: ([logits, , g]) => {
    check(
      shapeEq(g.shape, [logits.shape[0]]),
      () => `token_logprobs_grad: g ${fmtShape(g.shape)} vs logits ${fmtShape(logits.shape)}`,
    );
    return logits.shape;
  },
};
