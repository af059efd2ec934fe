/** Data-movement ops: attributes, semantics and shape rules. */
import { check, fmtShape, numel, type Shape, type ShapeRules } from '../shape.ts';

export interface LayoutAttrs {
  /** Same data, new shape (same element count). Backends alias the buffer: no copy. */
  reshape: { shape: Shape };
  /** General transpose of up to 4 dims: out.shape[i] = a.shape[perm[i]]. */
  permute: { perm: readonly number[] };
  /** out = a[..., start : start + len] along the last dim. */
  slice_last: { start: number; len: number };
  /** Inverse of slice_last: out[..., total] zero except out[..., start : start + len] = g. */
  pad_last: { start: number; total: number };
  /** a [B, Hkv, T, D] -> out [B, Hkv*rep, T, D]; out head h reads a's head floor(h / rep). */
  repeat_heads: { rep: number };
  /** Adjoint of repeat_heads: g [B, Hkv*rep, T, D] -> out [B, Hkv, T, D], summing each group. */
  sum_heads: { rep: number };
}

export const layoutShapes: ShapeRules<LayoutAttrs> = {
  reshape: ([a], { shape }) => {
    check(numel(shape) === numel(a.shape), () => `reshape ${fmtShape(a.shape)} -> ${fmtShape(shape)}`);
    return { shape, dtype: a.dtype };
  },
  permute: ([a], { perm }) => {
    check(
      perm.length === a.shape.length && perm.length <= 4 && [...perm].sort().every((p, i) => p === i),
      () => `permute: bad perm ${perm} for ${fmtShape(a.shape)}`,
    );
    return perm.map((p) => a.shape[p]);
  },
  slice_last: ([a], { start, len }) => {
    const D = a.shape[a.shape.length - 1];
    check(start >= 0 && len > 0 && start + len <= D, () => `slice_last ${start}+${len} of ${D}`);
    return [...a.shape.slice(0, -1), len];
  },
  pad_last: ([g], { start, total }) => {
    const len = g.shape[g.shape.length - 1];
    check(start >= 0 && start + len <= total, () => `pad_last ${start}+${len} of ${total}`);
    return [...g.shape.slice(0, -1), total];
  },
  repeat_heads: ([a], { rep }) => {
    check(a.shape.length === 4, () => `repeat_heads needs [B,H,T,D], got ${fmtShape(a.shape)}`);
    const [B, H, T, D] = a.shape;
    return [B, H * rep, T, D];
  },
  sum_heads: ([g], { rep }) => {
    const [B, H, T, D] = g.shape;
    check(H % rep === 0, () => `sum_heads: ${H} heads not divisible by ${rep}`);
    return [B, H / rep, T, D];
  },
};
