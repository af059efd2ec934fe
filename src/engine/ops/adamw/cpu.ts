/**
 * CPU kernel of the in-place AdamW update, clipping by the global grad norm on the device side.
 * The registered kernel reads the hyperparameters and the clip coefficient here, then runs the
 * range kernel of backends/cpu/threads/ranges/layout.ts over the elements (split over threads when
 * the backend has them); the plain loop here is its reference.
 */
import { bindRange, type CpuKernels, f32 } from '../../backends/cpu/kernel-kit.ts';
import type { F32View } from '../../backends/cpu/tensor.ts';
import { adamwRange } from '../../backends/cpu/threads/ranges/layout.ts';
import { clipCoefficient } from '../../optim/clip.ts';
import { numel } from '../shape.ts';

export function adamw(p: F32View, g: F32View, m: F32View, v: F32View, hyper: F32View, gradNormSq: F32View): void {
  const h = hyper.data;
  const [lr, b1, b2, eps, wd, bc1, bc2, maxNorm] = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]];
  const coef = clipCoefficient(gradNormSq.data[0], maxNorm);
  const n = numel(p.shape);
  for (let i = 0; i < n; i++) {
    const gi = g.data[i] * coef;
    const mi = b1 * m.data[i] + (1 - b1) * gi;
    const vi = b2 * v.data[i] + (1 - b2) * gi * gi;
    m.data[i] = mi;
    v.data[i] = vi;
    const pi = p.data[i];
    p.data[i] = pi - lr * (mi / bc1 / (Math.sqrt(vi / bc2) + eps) + wd * pi);
  }
}

export const adamwCpu: CpuKernels<'adamw'> = {
  adamw: (_l, [p, g, m, v, h, n], o, ctx) => {
    if (o.data !== p.data) throw new Error('CpuBackend: adamw must update the param in place (output = input 0)');
    const range = bindRange(ctx, adamwRange, [p, g, m, v], [], new Array(8).fill(0), numel(p.shape), 8, 16);
    const hyper = f32(h).data;
    const normSq = f32(n).data;
    return () => {
      for (let i = 0; i < 7; i++) range.floats[i] = hyper[i];
      range.floats[7] = clipCoefficient(normSq[0], hyper[7]);
      range.run();
    };
  },
};
