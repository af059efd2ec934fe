/** Reductions and their adjoints: attributes, semantics and shape rules. */
import { check, fmtShape, isSuffix, numel, type Shape, type ShapeRules, shapeEq } from '../shape.ts';

export interface ReduceAttrs {
  /** out[1] = sum of all elements. */
  sum_all: Record<string, never>;
  /** out[1] = sum of squares of all elements (for the global grad norm). */
  sumsq: Record<string, never>;
  /** Sums a over its leading dims: out shape = the last `keep` dims of a. */
  sum_leading: { keep: number };
  /** Tiles a (a scalar [1], or a trailing-dims suffix of `shape`) up to `shape`. */
  broadcast_to: { shape: Shape };
  /** x [B,T], mask [B,T] -> out [B]: out[b] = sum_t x[b,t] * mask[b,t]. */
  masked_row_sum: Record<string, never>;
  /** g [B], mask [B,T] -> out [B,T]: out[b,t] = g[b] * mask[b,t]. */
  expand_rows: Record<string, never>;
}

export const reduceShapes: ShapeRules<ReduceAttrs> = {
  sum_all: () => [1],
  sumsq: () => [1],
  sum_leading: ([a], { keep }) => {
    check(keep >= 0 && keep <= a.shape.length, () => `sum_leading: keep ${keep} of ${fmtShape(a.shape)}`);
    return keep === 0 ? [1] : a.shape.slice(a.shape.length - keep);
  },
  broadcast_to: ([a], { shape }) => {
    check(
      numel(a.shape) === 1 || isSuffix(a.shape, shape),
      () => `broadcast_to: ${fmtShape(a.shape)} -> ${fmtShape(shape)}`,
    );
    return shape;
  },
  masked_row_sum: ([x, mask]) => {
    check(x.shape.length === 2 && shapeEq(x.shape, mask.shape), () => `masked_row_sum: ${fmtShape(x.shape)}`);
    return [x.shape[0]];
  },
  expand_rows: ([g, mask]) => {
    check(mask.shape.length === 2 && g.shape[0] === mask.shape[0], () => `expand_rows: ${fmtShape(g.shape)}`);
    return mask.shape;
  },
};
