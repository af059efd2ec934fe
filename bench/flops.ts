/**
 * FLOPs of one training step, counted analytically (the convention of "model FLOPs utilisation":
 * matrix products only, 2 FLOPs per multiply-add). One formula for every bench case:
 *
 *   forward  = 2 N (sum over linears of in x out)            N = B x T tokens
 *            + 2 N D V                                       LM head
 *            + 4 B H T^2 hd per layer                        scores q k^T and probs v, full T x T
 *            + 2 N (in r + r out) per LoRA adapter           x A^T, then (x A^T) B^T
 *   backward = activation gradients (dX) of every product    = forward
 *            + weight gradients (dW) of trainable weights     = 2 N in out per trainable linear
 *            + the second operand's gradient in attention     = attention forward again
 *   step     = forward + backward
 *
 * So full fine-tuning costs 3x forward, and LoRA about 2x (no dW for frozen weights). Left out:
 * elementwise ops, norms, softmax, the optimizer (each O(N D) or O(params), a few percent here) and
 * the dX that autodiff can skip below the first trainable weight (at most one layer's worth).
 */
import { targetsModule } from '../src/engine/lora.ts';
import { type ModelConfig, parseConfig } from '../src/engine/models/config.ts';
import { gpt2Architecture } from '../src/engine/models/gpt2.ts';
import { llamaArchitecture } from '../src/engine/models/llama.ts';
import type { BenchCase } from './cases.ts';

export interface StepShape {
  /** Sequences per step and their padded length. */
  B: number;
  T: number;
  /** LoRA rank and target modules (PEFT names); absent: full fine-tuning. */
  lora?: { r: number; targetModules: string[] | string };
}

export interface StepFlops {
  forward: number;
  backward: number;
  total: number;
}

export function stepFlops(config: ModelConfig, shape: StepShape): StepFlops {
  const { B, T, lora } = shape;
  const N = B * T;
  const arch = config.arch === 'gpt2' ? gpt2Architecture(config, 'transformer.') : llamaArchitecture(config);
  let linearMacs = 0;
  let adapterMacs = 0;
  for (const l of arch.linears()) {
    linearMacs += l.inFeatures * l.outFeatures;
    if (lora && targetsModule(l.module, lora.targetModules)) adapterMacs += lora.r * (l.inFeatures + l.outFeatures);
  }
  const linear = 2 * N * linearMacs;
  const head = 2 * N * config.hiddenSize * config.vocabSize;
  const attention = 4 * B * config.numHeads * T * T * config.headDim * config.numLayers;
  const adapters = 2 * N * adapterMacs;
  const forward = linear + head + attention + adapters;
  // dW of the frozen base (and the tied head/embedding) only under full fine-tuning; adapters always train.
  const weightGrads = lora ? adapters : linear + head;
  const backward = forward + weightGrads + attention;
  return { forward, backward, total: forward + backward };
}

const perCase = new Map<string, number>();

/** FLOPs of one step of a bench case (its config, 2 x pairs rows of T tokens, its LoRA). */
export function caseStepFlops(c: BenchCase): number {
  let f = perCase.get(c.id);
  if (f === undefined) {
    const config = parseConfig(c.config, `bench case ${c.id}`);
    f = stepFlops(config, { B: 2 * c.pairs, T: c.T, lora: c.lora }).total;
    perCase.set(c.id, f);
  }
  return f;
}
