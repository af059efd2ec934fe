/**
 * Model files a careless or hostile user may hand over: NaN/Inf weights, config.json sizes far
 * beyond any real model or disagreeing with the weights (refused before any graph is built), and a
 * sharded index naming files outside the model folder (refused before anything is read).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/models/config.ts';
import { CONFIG_LIMITS } from '../../src/engine/models/config-bounds.ts';
import { loadModel } from '../../src/engine/models/index.ts';
import { readSafetensors, type Tensor, writeSafetensors } from '../../src/engine/safetensors.ts';
import { memFiles } from './model-files.ts';
import { FIXTURE_DIR } from './parity-fixture.ts';

const gpt2Dir = join(FIXTURE_DIR, 'gpt2');
const gpt2Config = JSON.parse(readFileSync(join(gpt2Dir, 'config.json'), 'utf8'));
const llamaConfig = JSON.parse(readFileSync(join(FIXTURE_DIR, 'llama', 'config.json'), 'utf8'));
const gpt2Tensors = () => readSafetensors(new Uint8Array(readFileSync(join(gpt2Dir, 'model.safetensors')))).tensors;
const llamaWeights = () => new Uint8Array(readFileSync(join(FIXTURE_DIR, 'llama', 'model.safetensors')));

function gpt2With(config: Record<string, unknown>, tensors: Map<string, Tensor> = gpt2Tensors()) {
  return memFiles({ 'config.json': JSON.stringify(config), 'model.safetensors': writeSafetensors(tensors) });
}

describe('non-finite weights', () => {
  it('are refused with the file, the tensor, the count and the first index', async () => {
    const tensors = gpt2Tensors();
    const w = tensors.get('h.0.attn.c_attn.weight')?.data;
    if (!w) throw new Error('fixture lacks h.0.attn.c_attn.weight');
    w[42] = Number.NaN;
    await expect(loadModel(gpt2With(gpt2Config, tensors))).rejects.toThrow(
      'mem/model.safetensors: tensor "h.0.attn.c_attn.weight" has 1 NaN value (first at index 42)',
    );
    const again = gpt2Tensors();
    const bias = again.get('h.1.mlp.c_proj.bias')?.data;
    if (!bias) throw new Error('fixture lacks h.1.mlp.c_proj.bias');
    bias[3] = Number.POSITIVE_INFINITY;
    bias[5] = Number.NEGATIVE_INFINITY;
    await expect(loadModel(gpt2With(gpt2Config, again))).rejects.toThrow(
      /tensor "h.1.mlp.c_proj.bias" has 2 infinite values \(first at index 3\)/,
    );
  });
});

describe('config.json sizes', () => {
  it('above the limits fail in parseConfig with the field and the limit, before any graph exists', async () => {
    expect(() => parseConfig({ ...gpt2Config, n_layer: 1e6 })).toThrow(
      `config.json: n_layer = 1000000 is above Orchard's limit of ${CONFIG_LIMITS.numLayers}`,
    );
    expect(() => parseConfig({ ...gpt2Config, n_embd: 2 ** 20, n_head: 2 })).toThrow(/n_embd = 1048576 is above/);
    expect(() => parseConfig({ ...gpt2Config, vocab_size: 1e9 })).toThrow(/vocab_size = 1000000000 is above/);
    expect(() => parseConfig({ ...gpt2Config, n_positions: 1e8 })).toThrow(/n_positions = 100000000 is above/);
    expect(() => parseConfig({ ...gpt2Config, n_inner: 1e7 })).toThrow(/n_inner = 10000000 is above/);
    expect(() => parseConfig({ ...llamaConfig, num_hidden_layers: 1e5 })).toThrow(/num_hidden_layers = 100000/);
    expect(() => parseConfig({ ...llamaConfig, intermediate_size: 1e7 })).toThrow(/intermediate_size = 10000000/);
    expect(() => parseConfig({ ...llamaConfig, num_attention_heads: 4096, num_key_value_heads: 4096 })).toThrow(
      /num_attention_heads = 4096/,
    );
    expect(() => parseConfig({ ...llamaConfig, head_dim: 1e5 })).toThrow(/head_dim = 100000/);
    // Through the loader too: the model folder is refused without reading the weights.
    const files = gpt2With({ ...gpt2Config, n_layer: 1e6 });
    await expect(loadModel(files)).rejects.toThrow(/n_layer = 1000000 is above/);
    expect(files.reads).toEqual(['config.json']);
  });

  it('that disagree with the weight shapes fail before the graph is built, naming fields and tensor', async () => {
    await expect(loadModel(gpt2With({ ...gpt2Config, n_layer: 400 }))).rejects.toThrow(
      'mem: config.json says n_layer = 400, but the weight files hold 2 layers',
    );
    await expect(loadModel(gpt2With({ ...gpt2Config, vocab_size: 500_000 }))).rejects.toThrow(
      /weight "wte.weight" has shape \[64, 16\], but config.json \(vocab_size = 500000, n_embd = 16\) implies \[500000, 16\]/,
    );
    await expect(loadModel(gpt2With({ ...gpt2Config, n_inner: 100_000 }))).rejects.toThrow(
      /"h.0.mlp.c_fc.weight" has shape \[16, 64\], but config.json \(n_embd = 16, n_inner = 100000\)/,
    );
    const llama = (cfg: Record<string, unknown>) =>
      loadModel(memFiles({ 'config.json': JSON.stringify(cfg), 'model.safetensors': llamaWeights() }));
    await expect(llama({ ...llamaConfig, num_hidden_layers: 300 })).rejects.toThrow(
      /num_hidden_layers = 300, but the weight files hold 2 layers/,
    );
    await expect(llama({ ...llamaConfig, intermediate_size: 200_000 })).rejects.toThrow(
      /"model.layers.0.mlp.gate_proj.weight" has shape \[24, 16\], but config.json \(intermediate_size = 200000/,
    );
    await expect(llama({ ...llamaConfig, num_key_value_heads: 4 })).rejects.toThrow(
      /"model.layers.0.self_attn.k_proj.weight" has shape \[8, 16\], but config.json \(num_key_value_heads = 4, head_dim = 4\)/,
    );
    await expect(llama(llamaConfig)).resolves.toBeTruthy();
  });
});

describe('sharded index', () => {
  const qwenConfig = readFileSync(join(FIXTURE_DIR, 'qwen2', 'config.json'), 'utf8');
  const index = (shard: string) =>
    JSON.stringify({ weight_map: { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors', x: shard } });

  it.each([
    '../../../../../etc/passwd',
    '../outside.safetensors',
    '/abs/model.safetensors',
    'sub/../../model.safetensors',
    'file:///model.safetensors',
    'C:\\model.safetensors',
  ])('refuses shard %s without reading it', async (shard) => {
    const files = memFiles({
      'config.json': qwenConfig,
      'model.safetensors.index.json': index(shard),
      [shard]: 'SECRET CONTENTS',
    });
    const err = await loadModel(files).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/tensor "x" maps to .* which is not a .safetensors file inside the model folder/);
    expect(err?.message).not.toContain('SECRET');
    expect(files.reads).not.toContain(shard);
  });

  it('refuses an index whose weight_map is not an object', async () => {
    const files = memFiles({ 'config.json': qwenConfig, 'model.safetensors.index.json': '{"weight_map": ["a"]}' });
    await expect(loadModel(files)).rejects.toThrow(/model.safetensors.index.json has no weight_map/);
  });
});
