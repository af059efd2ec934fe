/**
 * Weightless models for memory-planning tests: real configs (Qwen2.5-0.5B's among them) with shapes
 * and graph builders but no weights, since planning and memory accounting need shapes only.
 */
import { parseConfig } from '../../src/engine/models/config.ts';
import { expectedParams, type LoadedModel } from '../../src/engine/models/index.ts';
import { buildContext } from '../../src/engine/models/layers.ts';
import { llamaArchitecture } from '../../src/engine/models/llama.ts';

/** Qwen2.5-0.5B's config.json fields the engine reads (494M parameters, tied 151936 x 896 embedding). */
export const QWEN_05B = {
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 896,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
};

/** A Llama-family model with shapes and graph builders but no weights (planning needs shapes only). */
export function shapesOnly(config: Record<string, unknown>, name = String(config.model_type)): LoadedModel {
  const c = parseConfig(config, `${name} test config`);
  const arch = llamaArchitecture(c);
  return {
    name,
    config: c,
    arch: 'llama',
    weights: new Map(),
    shapes: expectedParams(arch),
    linearModules: () => arch.linears(),
    buildHidden: (g, ids, keyMask, opts) => arch.hidden(buildContext(g, opts), ids, keyMask),
    buildLogits: (g, ids, keyMask, opts) => {
      const ctx = buildContext(g, opts);
      return arch.logits(ctx, arch.hidden(ctx, ids, keyMask));
    },
  } as LoadedModel;
}
