/** Causal, key-masked attention softmax and its gradient: attributes, semantics and shape rules. */
import { check, fmtShape, type ShapeRules, shapeEq } from '../shape.ts';

export interface SoftmaxAttrs {
  /**
   * scores [B, H, Tq, Tk] (Tq <= Tk), keyMask [B, Tk] (1 = real token, 0 = padding) -> probs:
   * softmax over the last dim of scale * scores, with keys j > i + (Tk - Tq) (causal; for the
   * usual square case simply j > i) or keyMask[b, j] == 0 masked out. Tq < Tk is incremental
   * decoding against a KV cache (Tq = 1: every cached key visible, keyMask says which are filled).
   * A row with every key masked gives all zeros.
   */
  softmax_causal: { scale: number };
  /** inputs [probs, g] -> dL/dscores = scale * probs * (g - sum_j(g * probs)). */
  softmax_causal_grad: { scale: number };
}

export const softmaxShapes: ShapeRules<SoftmaxAttrs> = {
  softmax_causal: ([scores, keyMask]) => {
    const [B, , Tq, Tk] = scores.shape;
    check(
      scores.shape.length === 4 && Tq <= Tk && shapeEq(keyMask.shape, [B, Tk]),
      () => `softmax_causal: ${fmtShape(scores.shape)} with mask ${fmtShape(keyMask.shape)}`,
    );
    return scores.shape;
  },
  softmax_causal_grad: ([probs, g]) => {
    check(
      shapeEq(probs.shape, g.shape),
      () => `softmax_causal_grad: g ${fmtShape(g.shape)} vs probs ${fmtShape(probs.shape)}`,
    );
    return probs.shape;
  },
};
