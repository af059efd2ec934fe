/**
 * Fresh random weights for a config (for tiny from-scratch models, tests and benchmarks), drawn
 * from Orchard's seeded Rng: matrices and embeddings N(0, std) (GPT-2/Llama use std 0.02), norm
 * weights 1, biases 0. Names and shapes come from the graph builder (expectedParams).
 */
import type { Rng } from '../random.ts';
import type { ModelConfig } from './config.ts';
import { gpt2Architecture } from './gpt2.ts';
import { expectedParams, type LoadedModel, modelFromWeights } from './index.ts';
import { llamaArchitecture } from './llama.ts';

export function initWeights(config: ModelConfig, rng: Rng, std = 0.02): Map<string, Float32Array> {
  const arch = config.arch === 'gpt2' ? gpt2Architecture(config, 'transformer.') : llamaArchitecture(config);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of expectedParams(arch)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 1) {
      const isNorm = /(ln_\d|ln_f|layernorm|norm)\.weight$/.test(name);
      out.set(name, new Float32Array(n).fill(isNorm ? 1 : 0));
    } else {
      out.set(name, rng.normals(n, std));
    }
  }
  return out;
}

/** A model with fresh random weights (GPT-2 names use the "transformer." prefix). */
export function randomModel(name: string, config: ModelConfig, rng: Rng, std = 0.02): LoadedModel {
  return modelFromWeights(name, config, initWeights(config, rng, std));
}
