/**
 * Shared by the chunked-LM-head tests (CPU wiring, WebGPU train step): a random GPT-2 model with a
 * wide vocabulary, and the relative difference its results are compared by.
 */
import { parseConfig } from '../../src/engine/models/config.ts';
import { gpt2Architecture } from '../../src/engine/models/gpt2.ts';
import { expectedParams, type LoadedModel, modelFromWeights } from '../../src/engine/models/index.ts';
import { Rng } from '../../src/engine/random.ts';

/** A random GPT-2 (16 wide, 2 heads) of `vocab` tokens, `layers` blocks and `positions` positions; norm gains near 1. */
export function wideGpt2(seed: number, vocab: number, layers: number, positions: number): LoadedModel {
  const config = parseConfig({
    model_type: 'gpt2',
    vocab_size: vocab,
    n_embd: 16,
    n_layer: layers,
    n_head: 2,
    n_positions: positions,
  });
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of expectedParams(gpt2Architecture(config, 'transformer.'))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const w = rng.normals(n, 0.3);
    if (shape.length === 1 && name.endsWith('weight')) for (let i = 0; i < n; i++) w[i] += 1;
    weights.set(name, w);
  }
  return modelFromWeights('wide-gpt2', config, weights);
}

/** Largest absolute difference of a from b, relative to b's largest magnitude. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}
