/**
 * Hugging Face config.json -> the normalized ModelConfig the model builders use. Anything a
 * builder does not implement is rejected here with the field and value named, so a model never
 * silently computes something different from its PyTorch original.
 */
import { checkConfigLimits } from './config-bounds.ts';

import type { Arch, ModelConfig } from './config-types.ts';

export type { Arch, ModelConfig };

type Json = Record<string, unknown>;

export function parseConfig(raw: unknown, where = 'config.json'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: not a JSON object`);
  const c = raw as Json;
  const type = c.model_type;
  let config: ModelConfig;
  if (type === 'gpt2') config = gpt2Config(c, where);
  else if (type === 'llama' || type === 'qwen2') config = llamaConfig(c, type, where);
  else
    throw new Error(
      `${where}: model_type ${JSON.stringify(type)} is not supported; Orchard runs gpt2, llama and qwen2 models`,
    );
  checkConfigLimits(config, where);
  return config;
}

function gpt2Config(c: Json, where: string): ModelConfig {
  const f = fields(c, where);
  const hidden = f.int('n_embd');
  const heads = f.int('n_head');
  const act = f.str('activation_function', 'gelu_new');
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
    unsupported(where, 'activation_function', act, 'only the tanh GELU (gelu_new) is implemented');
  }
  f.reject('scale_attn_by_inverse_layer_idx', (v) => v === true);
  f.reject('scale_attn_weights', (v) => v === false);
  f.reject('add_cross_attention', (v) => v === true);
  return {
    arch: 'gpt2',
    modelType: 'gpt2',
    vocabSize: f.int('vocab_size'),
    hiddenSize: hidden,
    numLayers: f.int('n_layer'),
    numHeads: heads,
    numKvHeads: heads,
    headDim: divide(hidden, heads, where, 'n_embd', 'n_head'),
    intermediateSize: f.intOr('n_inner', 4 * hidden),
    maxPositions: f.int('n_positions'),
    normEps: f.num('layer_norm_epsilon', 1e-5),
    ropeTheta: 0,
    qkvBias: true,
    oBias: true,
    tieEmbeddings: f.bool('tie_word_embeddings', true),
    raw: c,
  };
}

function llamaConfig(c: Json, type: 'llama' | 'qwen2', where: string): ModelConfig {
  const f = fields(c, where);
  const hidden = f.int('hidden_size');
  const heads = f.int('num_attention_heads');
  const kvHeads = f.intOr('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) {
    unsupported(where, 'num_key_value_heads', kvHeads, `it must divide num_attention_heads (${heads})`);
  }
  const act = f.str('hidden_act', 'silu');
  if (act !== 'silu') unsupported(where, 'hidden_act', act, 'only silu (SwiGLU) is implemented');
  const scaling = c.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    const kind = (scaling as Json).rope_type ?? (scaling as Json).type;
    if (kind !== 'default')
      unsupported(where, 'rope_scaling', scaling, 'only plain RoPE (rope_scaling: null) is implemented');
  }
  f.reject('mlp_bias', (v) => v === true);
  if (type === 'qwen2') f.reject('use_sliding_window', (v) => v === true);
  return {
    arch: 'llama',
    modelType: type,
    vocabSize: f.int('vocab_size'),
    hiddenSize: hidden,
    numLayers: f.int('num_hidden_layers'),
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim: f.intOr('head_dim', divide(hidden, heads, where, 'hidden_size', 'num_attention_heads')),
    intermediateSize: f.int('intermediate_size'),
    maxPositions: f.intOr('max_position_embeddings', 2048),
    normEps: f.num('rms_norm_eps', 1e-6),
    ropeTheta: f.num('rope_theta', 10000),
    // Qwen2 always has q/k/v biases; Llama has them (on q/k/v/o) only with attention_bias.
    qkvBias: type === 'qwen2' ? true : f.bool('attention_bias', false),
    oBias: type === 'qwen2' ? false : f.bool('attention_bias', false),
    tieEmbeddings: f.bool('tie_word_embeddings', false),
    raw: c,
  };
}

function unsupported(where: string, field: string, value: unknown, why: string): never {
  throw new Error(`${where}: ${field} = ${JSON.stringify(value)} is not supported (${why})`);
}

function divide(a: number, b: number, where: string, fa: string, fb: string): number {
  if (a % b !== 0) unsupported(where, fa, a, `must be a multiple of ${fb} = ${b}`);
  return a / b;
}

function fields(c: Json, where: string) {
  const need = (key: string): unknown => {
    if (c[key] === undefined || c[key] === null) throw new Error(`${where}: missing required field "${key}"`);
    return c[key];
  };
  const asInt = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Error(`${where}: ${key} = ${JSON.stringify(v)} must be a positive integer`);
    }
    return v;
  };
  return {
    int: (key: string) => asInt(key, need(key)),
    intOr: (key: string, dflt: number) => (c[key] === undefined || c[key] === null ? dflt : asInt(key, c[key])),
    num: (key: string, dflt: number) => {
      const v = c[key] ?? dflt;
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(`${where}: ${key} = ${JSON.stringify(v)} must be a number`);
      return v;
    },
    str: (key: string, dflt: string) => String(c[key] ?? dflt),
    bool: (key: string, dflt: boolean) => (typeof c[key] === 'boolean' ? (c[key] as boolean) : dflt),
    reject: (key: string, bad: (v: unknown) => boolean) => {
      if (bad(c[key])) unsupported(where, key, c[key], 'Orchard does not implement it');
    },
  };
}
