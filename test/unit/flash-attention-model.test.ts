/**
 * Whole models with fused attention forced on give the unfused path's numbers: per-token
 * log-probs of the bundled classroom model (GPT-2 family, 64 tokens, where 'auto' stays unfused)
 * and of a random Llama-family model with grouped-query heads within 1e-5, and the Llama model's
 * gradients of every weight too. Right-padded batches, CPU backend.
 */
import { describe, expect, it } from 'vitest';
import { buildBackward } from '../../src/engine/autodiff.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { compileForward } from '../../src/engine/forward.ts';
import { Generator } from '../../src/engine/generate.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { buildSequenceStats, feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { dirFiles } from '../../src/engine/models/files-node.ts';
import { type LoadedModel, loadModel } from '../../src/engine/models/index.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import type { AttentionMode } from '../../src/engine/ops/attention/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { must } from './engine-helpers.ts';
import { paramStoreFor, tinyLlama } from './generate-helpers.ts';

/** Token log-probs [B, T] and, with `grads`, the gradient of their sum for every weight. */
async function score(model: LoadedModel, lengths: number[], T: number, attention: AttentionMode, grads = false) {
  const rng = new Rng(21);
  const rows = lengths.map((len) => {
    const ids = Array.from({ length: len }, () => rng.int(model.config.vocabSize));
    return { ids, mask: ids.map(() => 1) };
  });
  const g = new Graph();
  const stats = buildSequenceStats(g, model, { B: lengths.length, T, build: { attention } });
  const outs: Node[] = [stats.tokenLogps];
  const counted = g.nodes.filter((n) => n.op === 'flash_attention').length;
  if (grads) {
    const params = g.params();
    const gradNodes = buildBackward(g, g.sumAll(stats.tokenLogps), params);
    for (const p of params) outs.push(must(gradNodes.get(p), `gradient of ${p.attrs.name}`));
  }
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => Float32Array.from(must(model.weights.get(n), `weights of ${n}`)));
  const values = await compileForward(g, outs, backend, store).run(feedsFor(g, sequenceFeeds(padRows(rows, 0, T))));
  return { values, fusedLayers: counted };
}

function expectClose(got: Float32Array, want: Float32Array, tol: number, label: string) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, label).toBeLessThanOrEqual(tol);
}

describe('models with fused attention forced on', () => {
  it('the bundled classroom model: the same token log-probs as its unfused (golden) path', async () => {
    const model = await loadModel(dirFiles('public/models/orchard-tiny'));
    const lengths = [64, 41, 7];
    const unfused = await score(model, lengths, 64, 'auto');
    const fused = await score(model, lengths, 64, 'fused');
    expect(unfused.fusedLayers).toBe(0);
    expect(fused.fusedLayers).toBe(model.config.numLayers);
    const [want] = unfused.values;
    expect(want.some((x) => x < -0.5)).toBe(true);
    expectClose(fused.values[0], want, 1e-5, 'token log-probs');
  });

  it('a Llama-family model with grouped-query heads: log-probs and every weight gradient', async () => {
    const config = parseConfig({
      model_type: 'llama',
      vocab_size: 37,
      hidden_size: 24,
      intermediate_size: 40,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 1000,
      attention_bias: true,
      tie_word_embeddings: false,
    });
    const model = randomModel('gqa', config, new Rng(4), 0.3);
    const lengths = [19, 12, 3];
    const unfused = await score(model, lengths, 19, 'unfused', true);
    const fused = await score(model, lengths, 19, 'fused', true);
    expect(fused.fusedLayers).toBe(2);
    expect(fused.values.length).toBe(unfused.values.length);
    expectClose(fused.values[0], unfused.values[0], 1e-5, 'token log-probs');
    for (let i = 1; i < unfused.values.length; i++)
      expectClose(fused.values[i], unfused.values[i], 1e-4, `gradient #${i}`);
  });

  it('generation with a KV cache, prefill and decode both fused: the same tokens and logits as unfused', async () => {
    const model = tinyLlama(12);
    const params = paramStoreFor(model, new CpuBackend());
    const prompts = [[1, 2, 3], [5, 6, 7, 8, 9, 10, 11, 12, 13], [4]];
    const opts = { maxNewTokens: 6, returnLogits: true };
    const want = await new Generator(model, params, { build: { attention: 'unfused' } }).generate(prompts, opts);
    const got = await new Generator(model, params, { build: { attention: 'fused' } }).generate(prompts, opts);
    expect(got.tokens).toEqual(want.tokens);
    for (let b = 0; b < prompts.length; b++)
      for (let t = 0; t < 6; t++) {
        const w = must(want.logits?.[b][t], 'logits');
        expectClose(must(got.logits?.[b][t], 'logits'), w, 1e-5, `row ${b} token ${t} logits`);
      }
  });
});
