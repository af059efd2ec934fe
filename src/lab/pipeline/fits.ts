/**
 * The memory check of an experiment's policy, run once before anything is uploaded or any graph is
 * built: the model's weights, what training adds (full fine-tuning or LoRA) and the activations
 * of the largest micro-batch the plan can feed, against the backend's budget (engine checkFits).
 */
import {
  type Backend,
  checkFits,
  estimateSessionMemory,
  type LoadedModel,
  type LoraConfig,
  type LoraTarget,
  type Precision,
  type SessionMemoryEstimate,
  storesHalf,
} from '../../engine/index.ts';
import { AUTO_KERNELS, type KernelChoice } from '../spec/kernels.ts';

/** The largest step the plan feeds: sequences per micro-batch and their length. */
export interface StepSize {
  rows: number;
  length: number;
}

/** Trainable shapes under LoRA: A is [r, in], B is [out, r] per target. */
function loraShapes(targets: readonly LoraTarget[], r: number): number[][] {
  return targets.flatMap((t) => [
    [r, t.inFeatures],
    [t.outFeatures, r],
  ]);
}

export function policyMemory(
  model: LoadedModel,
  lora: LoraConfig | null,
  targets: readonly LoraTarget[],
  step: StepSize,
  halfFrozen = false,
  kernels: KernelChoice = AUTO_KERNELS,
): SessionMemoryEstimate {
  const params = [...model.shapes.values()];
  const trainable = lora ? loraShapes(targets, lora.r) : params;
  return estimateSessionMemory({
    dims: model.config,
    params: [...params, ...(lora ? trainable : [])],
    trainable,
    // Under LoRA every base weight is frozen: f16 on the device when precision allows (engine/precision).
    halfParams: lora && halfFrozen ? params : undefined,
    // The kernels the graphs will build (spec.attention, spec.lmHead): the estimate counts their tensors.
    ...kernels,
    ...step,
  });
}

/** Throws ModelDoesNotFitError, with the numbers and the fix, when the policy cannot train here. */
export function checkPolicyFits(
  model: LoadedModel,
  lora: LoraConfig | null,
  targets: readonly LoraTarget[],
  step: StepSize,
  backend: Backend,
  precision: Precision = 'f32',
  kernels: KernelChoice = AUTO_KERNELS,
): void {
  const halfFrozen = precision === 'f16-weights' && storesHalf(backend);
  const how = `${lora ? `LoRA r=${lora.r}` : 'full fine-tuning'}${halfFrozen && lora ? ', f16 frozen weights' : ''}`;
  const what = `${model.name} (${how}, ${step.rows} sequence${step.rows === 1 ? '' : 's'} x ${step.length} tokens per step, ${backend.name} backend)`;
  checkFits(policyMemory(model, lora, targets, step, halfFrozen, kernels), backend.memoryBudget?.(), what);
}

/**
 * Throws ModelDoesNotFitError when scoring these rows cannot fit: the weights and the activations
 * of the longest row alone (a lower bound of every batch the scorer will run).
 */
export function checkScoringFits(
  model: LoadedModel,
  rows: readonly { readonly ids: readonly number[] }[],
  backend: Backend,
  kernels: KernelChoice = AUTO_KERNELS,
): void {
  const length = Math.max(1, ...rows.map((r) => r.ids.length));
  const estimate = estimateSessionMemory({
    dims: model.config,
    params: model.shapes.values(),
    rows: 1,
    length,
    ...kernels,
  });
  checkFits(estimate, backend.memoryBudget?.(), `${model.name} (scoring, ${length} tokens, ${backend.name} backend)`);
}
