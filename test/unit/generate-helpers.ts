/** Small random GPT-2 and Llama models for the generation tests (weights from a seeded Rng). */

import type { Backend } from '../../src/engine/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Graph } from '../../src/engine/graph.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { gpt2Architecture } from '../../src/engine/models/gpt2.ts';
import {
  type BuildOptions,
  expectedParams,
  type LoadedModel,
  modelFromWeights,
} from '../../src/engine/models/index.ts';
import { llamaArchitecture } from '../../src/engine/models/llama.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';

export const VOCAB = 41;

export function tinyGpt2(seed: number): LoadedModel {
  const config = parseConfig({
    model_type: 'gpt2',
    vocab_size: VOCAB,
    n_embd: 24,
    n_layer: 2,
    n_head: 3,
    n_positions: 40,
  });
  return randomModel('tiny-gpt2', config, expectedParams(gpt2Architecture(config, 'transformer.')), seed);
}

export function tinyLlama(seed: number): LoadedModel {
  const config = parseConfig({
    model_type: 'llama',
    vocab_size: VOCAB,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 48,
    max_position_embeddings: 64,
    rope_theta: 10000,
    rms_norm_eps: 1e-5,
  });
  return randomModel('tiny-llama', config, expectedParams(llamaArchitecture(config)), seed);
}

function randomModel(
  name: string,
  config: ReturnType<typeof parseConfig>,
  shapes: Map<string, number[]>,
  seed: number,
): LoadedModel {
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const [pname, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    // Norm weights near 1, everything else large enough that logits are far from ties.
    const isNorm = shape.length === 1 && /(ln_|norm|layernorm)/.test(pname) && pname.endsWith('weight');
    const w = rng.normals(n, isNorm ? 0.1 : 0.35);
    if (isNorm) for (let i = 0; i < n; i++) w[i] += 1;
    weights.set(pname, w);
  }
  return modelFromWeights(name, config, weights);
}

export function paramStoreFor(model: LoadedModel, backend: Backend): ParamStore {
  const params = new ParamStore(backend);
  for (const [pname, w] of model.weights) params.add(pname, model.shapes.get(pname) as number[], w, false);
  return params;
}

/** Next-token logits after `ids`, from the training graph on the whole sequence (no cache). */
export async function fullRecomputeLogits(
  model: LoadedModel,
  params: ParamStore,
  ids: readonly number[],
  build?: BuildOptions,
): Promise<Float32Array> {
  const T = ids.length;
  const g = new Graph();
  const idsIn = g.input('ids', [1, T], 'i32');
  const mask = g.input('keyMask', [1, T]);
  const logits = model.buildLogits(g, idsIn, mask, build);
  const fwd = compileForward(g, [logits], params.backend, params);
  const [out] = await fwd.run({ ids: Int32Array.from(ids), keyMask: new Float32Array(T).fill(1) });
  fwd.dispose();
  const V = model.config.vocabSize;
  return out.slice((T - 1) * V, T * V);
}

/** GPT-2 small's config (124M parameters), for checks that need its shapes and never its weights. */
export function gpt2SmallConfig() {
  return parseConfig({
    model_type: 'gpt2',
    vocab_size: 50257,
    n_positions: 1024,
    n_embd: 768,
    n_layer: 12,
    n_head: 12,
  });
}
