/** CPU kernel of the KV-cache write. */
import { type CpuKernels, eachRun, f32, i32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View, I32View } from '../../backends/cpu/tensor.ts';

/** In place on the cache: cache[b, h, pos[b] + t, :] = x[b, h, t, :], dropping rows past Tmax. */
export function cacheWrite(cache: F32View, x: F32View, pos: I32View, out: F32View): void {
  const [B, H, Tmax, D] = cache.shape;
  const T = x.shape[2];
  if (out.data !== cache.data) out.data.set(cache.data.subarray(0, B * H * Tmax * D));
  for (let b = 0; b < B; b++) {
    const p0 = pos.data[b];
    if (p0 < 0) throw new RangeError(`cache_write: negative position ${p0} for batch row ${b}`);
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T && p0 + t < Tmax; t++) {
        const src = ((b * H + h) * T + t) * D;
        out.data.set(x.data.subarray(src, src + D), ((b * H + h) * Tmax + p0 + t) * D);
      }
  }
}

export const cacheCpu: CpuKernels<'cache_write'> = {
  cache_write: eachRun((_l, [c, x, pos], o) => cacheWrite(f32(c), f32(x), i32(pos), f32(o))),
};
