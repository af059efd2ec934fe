/**
 * Global grad-norm clipping with torch.nn.utils.clip_grad_norm_ semantics. The engine never reads
 * the norm back to clip: the `adamw` kernel computes this coefficient from the grad-norm-squared
 * buffer on the device. This host copy is the reference the kernels and tests share.
 */

/** torch's epsilon in clip_grad_norm_: coef = max_norm / (total_norm + 1e-6). */
export const CLIP_EPS = 1e-6;

/** The factor grads are multiplied by: min(1, maxNorm / (norm + 1e-6)); 1 when maxNorm is 0 (off). */
export function clipCoefficient(gradNormSq: number, maxGradNorm: number): number {
  if (maxGradNorm <= 0) return 1;
  return Math.min(1, maxGradNorm / (Math.sqrt(gradNormSq) + CLIP_EPS));
}
