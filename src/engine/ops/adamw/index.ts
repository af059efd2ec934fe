/** The optimizer update: attributes and semantics (never a graph node, so no shape rule). */

export interface AdamwAttrs {
  /**
   * Optimizer update, in place (never a graph node; the executor appends one per trainable
   * param). inputs [param, grad, m, v, hyper, gradNormSq]; the output is `param` itself, and m
   * and v are updated in place too. hyper (f32[8], rewritten every step without a readback) =
   * [lr, beta1, beta2, eps, weightDecay, 1 - beta1^t, 1 - beta2^t, maxGradNorm (0: no clip)].
   * g' = g * min(1, maxGradNorm / (sqrt(gradNormSq) + 1e-6)); m = b1 m + (1-b1) g';
   * v = b2 v + (1-b2) g'^2; p -= lr * (m / bc1 / (sqrt(v / bc2) + eps) + weightDecay * p).
   */
  adamw: Record<string, never>;
}
