/**
 * AdamW hyper-parameters and the host-side pieces of the update that the `adamw` kernel needs:
 * bias corrections and the 8-float hyper buffer (ops.ts, `adamw`). The arithmetic follows
 * torch.optim.AdamW (decoupled weight decay, eps added after the square root).
 */

export interface AdamWHyper {
  /** Learning rate for this step (already scheduled, see schedule.ts). */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global grad-norm clip threshold (torch clip_grad_norm_); 0 disables clipping. */
  maxGradNorm: number;
}

/** transformers.TrainingArguments defaults (what TRL users expect), lr excluded. */
export const ADAMW_DEFAULTS: Omit<AdamWHyper, 'lr'> = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  maxGradNorm: 1,
};

/** Length of the hyper buffer the `adamw` kernel reads. */
export const ADAMW_HYPER_LEN = 8;

/**
 * The hyper buffer for optimizer step `t` (1-based, as torch counts: the first update has t = 1):
 * [lr, beta1, beta2, eps, weightDecay, 1 - beta1^t, 1 - beta2^t, maxGradNorm].
 */
export function adamwHyperBuffer(h: AdamWHyper, t: number): Float32Array {
  validateHyper(h);
  if (!Number.isInteger(t) || t < 1) throw new Error(`adamw: step t must be an integer >= 1, got ${t}`);
  return Float32Array.of(
    h.lr,
    h.beta1,
    h.beta2,
    h.eps,
    h.weightDecay,
    1 - h.beta1 ** t,
    1 - h.beta2 ** t,
    h.maxGradNorm,
  );
}

function validateHyper(h: AdamWHyper): void {
  const bad = (what: string) => {
    throw new Error(`adamw: ${what} (hyper = ${JSON.stringify(h)})`);
  };
  if (!(h.lr >= 0) || !Number.isFinite(h.lr)) bad('lr must be a finite number >= 0');
  if (!(h.beta1 >= 0 && h.beta1 < 1)) bad('beta1 must be in [0, 1)');
  if (!(h.beta2 >= 0 && h.beta2 < 1)) bad('beta2 must be in [0, 1)');
  if (!(h.eps > 0)) bad('eps must be > 0');
  if (!(h.weightDecay >= 0)) bad('weightDecay must be >= 0');
  if (!(h.maxGradNorm >= 0)) bad('maxGradNorm must be >= 0 (0 disables clipping)');
}
