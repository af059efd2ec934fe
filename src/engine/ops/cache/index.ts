/** The KV-cache write of decoding: attributes, semantics and shape rule. */
import { check, fmtShape, type ShapeRules } from '../shape.ts';

export interface CacheAttrs {
  /**
   * KV-cache write, in place: inputs [cache [B, H, Tmax, D], x [B, H, T, D], pos [B] (i32)];
   * cache[b, h, pos[b] + t, :] = x[b, h, t, :] (rows past Tmax are dropped). The output is the
   * cache itself. Inference only.
   */
  cache_write: Record<string, never>;
}

export const cacheShapes: ShapeRules<CacheAttrs> = {
  cache_write: ([cache, x, pos]) => {
    const [B, H, , D] = cache.shape;
    check(
      x.shape.length === 4 && x.shape[0] === B && x.shape[1] === H && x.shape[3] === D && pos.dtype === 'i32',
      () => `cache_write: cache ${fmtShape(cache.shape)}, x ${fmtShape(x.shape)}`,
    );
    return cache.shape;
  },
};
