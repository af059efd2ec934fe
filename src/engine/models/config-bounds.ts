/**
 * Sanity limits on config.json's sizes, and a cross-check of those sizes against the shapes stored
 * in the weight files, both run BEFORE any graph or buffer is built: a corrupt or hostile config
 * (n_layer: 1e6) must fail in milliseconds with the field named, not exhaust the heap building a
 * million-layer graph. The limits are far above every released model of the supported families.
 */
import type { ModelConfig } from './config-types.ts';

/** Upper bounds per normalized field, with the config.json keys they come from. */
export const CONFIG_LIMITS = {
  numLayers: 512,
  hiddenSize: 65_536,
  numHeads: 1_024,
  numKvHeads: 1_024,
  headDim: 1_024,
  intermediateSize: 262_144,
  vocabSize: 1_048_576,
  maxPositions: 1_048_576,
} as const satisfies Partial<Record<keyof ModelConfig, number>>;

type Bounded = keyof typeof CONFIG_LIMITS;

const GPT2_KEYS: Record<Bounded, string> = {
  numLayers: 'n_layer',
  hiddenSize: 'n_embd',
  numHeads: 'n_head',
  numKvHeads: 'n_head',
  headDim: 'n_embd / n_head',
  intermediateSize: 'n_inner',
  vocabSize: 'vocab_size',
  maxPositions: 'n_positions',
};

const LLAMA_KEYS: Record<Bounded, string> = {
  numLayers: 'num_hidden_layers',
  hiddenSize: 'hidden_size',
  numHeads: 'num_attention_heads',
  numKvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  intermediateSize: 'intermediate_size',
  vocabSize: 'vocab_size',
  maxPositions: 'max_position_embeddings',
};

/** The config.json key a normalized field came from. */
export function configKey(config: Pick<ModelConfig, 'arch'>, field: Bounded): string {
  return (config.arch === 'gpt2' ? GPT2_KEYS : LLAMA_KEYS)[field];
}

/** Throws naming the first field above its limit. */
export function checkConfigLimits(config: ModelConfig, where: string): void {
  for (const [field, limit] of Object.entries(CONFIG_LIMITS) as [Bounded, number][]) {
    const value = config[field];
    if (value > limit) {
      throw new Error(
        `${where}: ${configKey(config, field)} = ${value} is above Orchard's limit of ${limit}; no model of this family is that large, so the file is probably corrupt`,
      );
    }
  }
}

/**
 * Checks the config's sizes against the weight files' own shapes (tensor name -> shape, from the
 * headers, nothing decoded): the layer count, the embedding, position and first-layer projection
 * shapes. Every other weight is checked by name and shape once the graph exists, which is then
 * bounded by what the files hold.
 */
export function checkConfigAgainstShapes(
  name: string,
  config: ModelConfig,
  shapes: ReadonlyMap<string, readonly number[]>,
): void {
  const layerPattern = config.arch === 'gpt2' ? /^(?:transformer\.)?h\.(\d+)\./ : /^model\.layers\.(\d+)\./;
  let layers = 0;
  for (const tensor of shapes.keys()) {
    const m = layerPattern.exec(tensor);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers !== config.numLayers) {
    throw new Error(
      `${name}: config.json says ${configKey(config, 'numLayers')} = ${config.numLayers}, but the weight files hold ${layers} layer${layers === 1 ? '' : 's'}; the config and the weights do not belong together`,
    );
  }
  const { hiddenSize: D, vocabSize: V } = config;
  const expect = (tensor: string, want: number[], fields: Bounded[]) => {
    const got = shapes.get(tensor);
    if (!got || (got.length === want.length && got.every((d, i) => d === want[i]))) return;
    const keys = fields.map((f) => `${configKey(config, f)} = ${config[f]}`).join(', ');
    throw new Error(
      `${name}: weight "${tensor}" has shape [${got.join(', ')}], but config.json (${keys}) implies [${want.join(', ')}]; the config and the weights do not belong together`,
    );
  };
  if (config.arch === 'gpt2') {
    const p = shapes.has('transformer.wte.weight') ? 'transformer.' : '';
    expect(`${p}wte.weight`, [V, D], ['vocabSize', 'hiddenSize']);
    expect(`${p}wpe.weight`, [config.maxPositions, D], ['maxPositions', 'hiddenSize']);
    expect(`${p}h.0.attn.c_attn.weight`, [D, 3 * D], ['hiddenSize']);
    expect(`${p}h.0.mlp.c_fc.weight`, [D, config.intermediateSize], ['hiddenSize', 'intermediateSize']);
    return;
  }
  const H = config.headDim;
  expect('model.embed_tokens.weight', [V, D], ['vocabSize', 'hiddenSize']);
  expect('model.layers.0.self_attn.q_proj.weight', [config.numHeads * H, D], ['numHeads', 'headDim', 'hiddenSize']);
  expect('model.layers.0.self_attn.k_proj.weight', [config.numKvHeads * H, D], ['numKvHeads', 'headDim']);
  expect('model.layers.0.mlp.gate_proj.weight', [config.intermediateSize, D], ['intermediateSize', 'hiddenSize']);
}
