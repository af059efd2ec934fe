/**
 * Loading Hugging Face model folders: config parsing and its errors, GPT-2's two naming variants
 * (Hub "h.0..." and GPT2LMHeadModel "transformer.h.0...") giving identical log-probs, sharded
 * files, and the errors for missing, misshapen or unexpected weights.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/engine/graph.ts';
import { buildSequenceLogps, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import { readSafetensors, writeSafetensors } from '../../src/engine/safetensors.ts';
import { must } from './engine-helpers.ts';
import { memFiles } from './model-files.ts';
import { FIXTURE_DIR, fixture, fixtureBatch, relErr, runGraph } from './parity-fixture.ts';

const gpt2Dir = join(FIXTURE_DIR, 'gpt2');
const gpt2Config = JSON.parse(readFileSync(join(gpt2Dir, 'config.json'), 'utf8'));
const llamaConfig = JSON.parse(readFileSync(join(FIXTURE_DIR, 'llama', 'config.json'), 'utf8'));

function gpt2Tensors() {
  return readSafetensors(new Uint8Array(readFileSync(join(gpt2Dir, 'model.safetensors')))).tensors;
}

async function condSums(model: LoadedModel) {
  const batch = fixtureBatch('conditional');
  const g = new Graph();
  const sum = buildSequenceLogps(g, model, { B: batch.B, T: batch.T });
  return (await runGraph(g, [sum], model.weights, sequenceFeeds(batch)))[0];
}

describe('config.json', () => {
  it('normalizes GPT-2 and Llama-family configs', () => {
    const qwen2Config = JSON.parse(readFileSync(join(FIXTURE_DIR, 'qwen2', 'config.json'), 'utf8'));
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [
        gpt2Config,
        { arch: 'gpt2', hiddenSize: 16, numHeads: 2, headDim: 8, intermediateSize: 64, tieEmbeddings: true },
      ],
      [llamaConfig, { arch: 'llama', numHeads: 4, numKvHeads: 2, headDim: 4, qkvBias: false, tieEmbeddings: false }],
      [qwen2Config, { modelType: 'qwen2', qkvBias: true, oBias: false, tieEmbeddings: true, ropeTheta: 1e6 }],
      [
        { ...llamaConfig, attention_bias: true },
        { qkvBias: true, oBias: true },
      ],
    ];
    for (const [raw, normalized] of cases) expect(parseConfig(raw)).toMatchObject(normalized);
  });

  it('rejects what it does not implement, naming the field and value', () => {
    expect(() => parseConfig({ ...gpt2Config, model_type: 'mamba' })).toThrow(/model_type "mamba"/);
    expect(() => parseConfig({ ...llamaConfig, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(
      /rope_scaling/,
    );
    expect(() => parseConfig({ ...llamaConfig, model_type: 'qwen2', use_sliding_window: true })).toThrow(
      /use_sliding_window = true/,
    );
    expect(() => parseConfig({ ...gpt2Config, activation_function: 'relu' })).toThrow(/activation_function = "relu"/);
    expect(() => parseConfig({ ...llamaConfig, num_key_value_heads: 3 })).toThrow(/num_key_value_heads = 3/);
    expect(() => parseConfig({ ...llamaConfig, hidden_size: undefined })).toThrow(/hidden_size/);
  });
});

describe('weights', () => {
  it('GPT-2 files with and without the "transformer." prefix give the same log-probs', async () => {
    const hub = await loadModel(dirFiles(gpt2Dir));
    expect(hub.weights.has('h.0.attn.c_attn.weight')).toBe(true);
    expect(hub.weights.has('h.0.attn.bias')).toBe(false); // the old causal-mask buffer is skipped
    const renamed = [...gpt2Tensors()]
      .filter(([k]) => !k.endsWith('.attn.bias'))
      .map(([k, t]) => [`transformer.${k}`, t] as [string, typeof t]);
    const lm = await loadModel(
      memFiles({ 'config.json': JSON.stringify(gpt2Config), 'model.safetensors': writeSafetensors(renamed) }),
    );
    expect(lm.weights.has('transformer.h.0.attn.c_attn.weight')).toBe(true);
    const a = await condSums(hub);
    expect(relErr(a, fixture.models.gpt2.logps.conditional.sum)).toBeLessThan(1e-4);
    expect(relErr(await condSums(lm), a)).toBe(0);
    // LoRA module paths are PEFT's either way.
    expect(hub.linearModules()[0].module).toBe('transformer.h.0.attn.c_attn');
    expect(lm.linearModules()[0].module).toBe('transformer.h.0.attn.c_attn');
  });

  it('reads sharded checkpoints through model.safetensors.index.json', async () => {
    const q = await loadModel(dirFiles(join(FIXTURE_DIR, 'qwen2')));
    expect(q.weights.get('model.layers.1.self_attn.q_proj.bias')?.length).toBe(16);
    const index = JSON.parse(readFileSync(join(FIXTURE_DIR, 'qwen2', 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    const files = memFiles({
      'config.json': readFileSync(join(FIXTURE_DIR, 'qwen2', 'config.json'), 'utf8'),
      'model.safetensors.index.json': JSON.stringify(index),
    });
    await expect(loadModel(files)).rejects.toThrow(/shard model-00001-of-00002.safetensors .* is missing/);
  });

  it('names missing, misshapen and unexpected weights', async () => {
    const tensors = gpt2Tensors();
    const cfg = JSON.stringify(gpt2Config);
    const without = [...tensors].filter(([k]) => k !== 'h.1.mlp.c_fc.bias');
    await expect(
      loadModel(memFiles({ 'config.json': cfg, 'model.safetensors': writeSafetensors(without) })),
    ).rejects.toThrow(/weight "h.1.mlp.c_fc.bias" is missing/);
    const wrong = [...tensors].map(
      ([k, t]) => [k, k === 'wpe.weight' ? { shape: [8, 32], data: t.data.subarray(0, 256) } : t] as [string, typeof t],
    );
    await expect(
      loadModel(memFiles({ 'config.json': cfg, 'model.safetensors': writeSafetensors(wrong) })),
    ).rejects.toThrow(
      /"wpe.weight" has shape \[8, 32\], but config.json \(n_positions = 16, n_embd = 16\) implies \[16, 16\]/,
    );
    const extra = [
      ...tensors,
      ['lm_head.weight', must(tensors.get('wte.weight'), 'wte.weight')] as [string, (typeof without)[0][1]],
    ];
    const untied = JSON.stringify({ ...gpt2Config, tie_word_embeddings: false });
    await expect(
      loadModel(memFiles({ 'config.json': untied, 'model.safetensors': writeSafetensors(without) })),
    ).rejects.toThrow(/missing/);
    // A tied model ignores a stored duplicate LM head; an unknown tensor is an error.
    await expect(
      loadModel(memFiles({ 'config.json': cfg, 'model.safetensors': writeSafetensors(extra) })),
    ).resolves.toBeTruthy();
    const odd = [
      ...tensors,
      ['h.0.attn.q_norm.weight', { shape: [2], data: new Float32Array(2) }] as [string, (typeof without)[0][1]],
    ];
    await expect(
      loadModel(memFiles({ 'config.json': cfg, 'model.safetensors': writeSafetensors(odd) })),
    ).rejects.toThrow(/"h.0.attn.q_norm.weight", which a gpt2 model/);
    await expect(loadModel(memFiles({ 'config.json': cfg }))).rejects.toThrow(/no model.safetensors/);
  });
});
