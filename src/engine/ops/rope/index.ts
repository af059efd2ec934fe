/** Rotary position embeddings: attributes, semantics and shape rules. */
import { check, fmtShape, type ShapeRules, shapeEq } from '../shape.ts';

export interface RopeAttrs {
  /**
   * Rotary embedding on x [B, H, T, D] at positions t = 0..T-1 (sequences are right-padded), in
   * Hugging Face's rotate_half layout: pairs (i, i + D/2), angle t * theta^(-2i/D).
   * `inverse` rotates by the negative angle, which is the backward pass.
   */
  rope: { theta: number; inverse: boolean };
  /**
   * Rotary embedding at explicit offsets, for decoding with a KV cache: inputs [x [B, H, T, D],
   * pos [B] (i32)]; token t of batch row b sits at position pos[b] + t. Same layout as `rope`.
   * Inference only (no gradient).
   */
  rope_at: { theta: number };
}

export const ropeShapes: ShapeRules<RopeAttrs> = {
  rope: ([x]) => {
    check(
      x.shape.length === 4 && x.shape[3] % 2 === 0,
      () => `rope needs [B,H,T,D] with even D, got ${fmtShape(x.shape)}`,
    );
    return x.shape;
  },
  rope_at: ([x, pos]) => {
    check(
      x.shape.length === 4 && x.shape[3] % 2 === 0 && pos.dtype === 'i32' && shapeEq(pos.shape, [x.shape[0]]),
      () => `rope_at needs x [B,H,T,D] (even D) and i32 pos [B], got ${fmtShape(x.shape)}, ${fmtShape(pos.shape)}`,
    );
    return x.shape;
  },
};
