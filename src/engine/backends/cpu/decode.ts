/**
 * Inference-only ops for decoding with a KV cache: rope_at (rotary embedding at per-row offsets)
 * and cache_write (in-place write of new keys/values into a persistent cache).
 */
import type { F32View, I32View } from './tensor.ts';

/**
 * x [B, H, T, D], pos [B]: token t of row b is rotated by the angle of position pos[b] + t.
 * Angles are computed exactly as the `rope` kernel computes them (f32 inverse frequencies and f32
 * angles, as Hugging Face does), so a cached decode matches a full recompute bit for bit.
 */
export function ropeAt(x: F32View, pos: I32View, theta: number, out: F32View): void {
  const [B, H, T, D] = x.shape;
  const half = D / 2;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / D)));
  const cos = new Float64Array(T * half);
  const sin = new Float64Array(T * half);
  for (let b = 0; b < B; b++) {
    const p0 = pos.data[b];
    for (let t = 0; t < T; t++)
      for (let i = 0; i < half; i++) {
        const angle = Math.fround((p0 + t) * invFreq[i]);
        cos[t * half + i] = Math.cos(angle);
        sin[t * half + i] = Math.sin(angle);
      }
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const row = ((b * H + h) * T + t) * D;
        for (let i = 0; i < half; i++) {
          const x1 = x.data[row + i];
          const x2 = x.data[row + half + i];
          const c = cos[t * half + i];
          const s = sin[t * half + i];
          out.data[row + i] = x1 * c - x2 * s;
          out.data[row + half + i] = x2 * c + x1 * s;
        }
      }
  }
}

/**
 * cache [B, H, Tmax, D], x [B, H, T, D], pos [B]: cache[b, h, pos[b] + t] = x[b, h, t]; rows that
 * would land at or past Tmax (or before 0) are dropped. The planner binds the output to the cache
 * tensor itself; if it ever does not, the cache is copied first so the result is still right.
 */
export function cacheWrite(cache: F32View, x: F32View, pos: I32View, out: F32View): void {
  const [B, H, Tmax, D] = cache.shape;
  const T = x.shape[2];
  if (out.data !== cache.data) out.data.set(cache.data.subarray(0, B * H * Tmax * D));
  for (let b = 0; b < B; b++) {
    const p0 = pos.data[b];
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++) {
        const slot = p0 + t;
        if (slot < 0 || slot >= Tmax) continue;
        const src = ((b * H + h) * T + t) * D;
        out.data.set(x.data.subarray(src, src + D), ((b * H + h) * Tmax + slot) * D);
      }
  }
}
