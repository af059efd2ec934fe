/**
 * The weight precision `orchard eval` generates with: the spec's, applied as the training run's
 * evaluate stage applied it, so that evaluating a saved run afterwards reproduces its eval report.
 *
 * In training (lab/pipeline/policy.ts) one ParamStore holds the policy, with the spec's precision;
 * under 'f16-weights' it rounds what is frozen and keeps what is trained in f32:
 * - under LoRA every base weight is frozen, so the base is rounded to f16 and the adapters stay f32.
 *   The evaluate stage's baseline is the same store with the adapters reset (B = 0): the rounded base;
 * - full fine-tuning trains every weight, so nothing is rounded: the baseline and the trained model
 *   are f32.
 * Here: an adapter's base is rounded under 'f16-weights' (it was frozen while the adapter trained);
 * a full model's weights were all trained, so they stay f32; the baseline (the spec's model) is
 * rounded only when the spec trains LoRA adapters, as the policy's store holds it then.
 */
import { type Precision, precisionNote } from '../engine/index.ts';
import type { ExperimentSpec } from '../lab/spec.ts';

export interface EvalPrecision {
  /** How the spec's model is held for the baseline's answers. */
  baseline: Precision;
  /** How the base under an adapter is held (the adapter itself is always f32). */
  adapterBase: Precision;
  /** How a full model folder's weights are held. */
  fullModel: Precision;
}

/** The precision of each kind of weights `orchard eval` loads, per the spec (see the file comment). */
export function evalPrecision(spec: Pick<ExperimentSpec, 'precision' | 'lora'>): EvalPrecision {
  const precision = spec.precision ?? 'f32';
  return { baseline: spec.lora.enabled ? precision : 'f32', adapterBase: precision, fullModel: 'f32' };
}

/** The stderr line saying which precision the evaluation uses and why; null for f32. */
export function precisionLine(
  spec: Pick<ExperimentSpec, 'precision' | 'lora'>,
  backend: Parameters<typeof precisionNote>[1],
): string | null {
  const precision = spec.precision ?? 'f32';
  const note = precisionNote(precision, backend);
  if (!note) return null;
  const scope = spec.lora.enabled
    ? "the spec's model under the adapters and as the baseline"
    : 'only under an adapter: the spec trains every weight (no LoRA), so its model and full models stay f32';
  return `eval: ${note}; as in training, rounded here: ${scope}`;
}
