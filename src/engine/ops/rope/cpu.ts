/** CPU kernel of rope and rope_at. */
import { type CpuKernels, eachRun, f32, i32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View, I32View } from '../../backends/cpu/tensor.ts';

/**
 * Hugging Face rotate_half RoPE; token t of batch row b sits at position (pos ? pos[b] : 0) + t.
 * inv_freq and the angle are rounded to f32 as transformers computes them in float32, so long
 * positions match PyTorch's phase.
 */
export function rope(x: F32View, theta: number, inverse: boolean, out: F32View, pos?: I32View): void {
  const [B, H, T, D] = x.shape;
  const half = D / 2;
  const sign = inverse ? -1 : 1;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / D)));
  for (let b = 0; b < B; b++) {
    const p0 = pos ? pos.data[b] : 0;
    for (let t = 0; t < T; t++)
      for (let i = 0; i < half; i++) {
        const angle = Math.fround((p0 + t) * invFreq[i]);
        const c = Math.cos(angle);
        const s = sign * Math.sin(angle);
        for (let h = 0; h < H; h++) {
          const row = ((b * H + h) * T + t) * D;
          const x1 = x.data[row + i];
          const x2 = x.data[row + half + i];
          out.data[row + i] = x1 * c - x2 * s;
          out.data[row + half + i] = x2 * c + x1 * s;
        }
      }
  }
}

export const ropeCpu: CpuKernels<'rope' | 'rope_at'> = {
  rope: eachRun((l, [x], o) => rope(f32(x), l.attrs.theta, l.attrs.inverse, f32(o))),
  rope_at: eachRun((l, [x, pos], o) => rope(f32(x), l.attrs.theta, false, f32(o), i32(pos))),
};
