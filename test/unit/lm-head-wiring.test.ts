/**
 * The chunked LM head wired into the sequence graphs (BuildOptions.lmHead): a GPT-2 model whose
 * vocabulary spans three CPU chunks gives the same NLL, summed log-probs and gradients of every
 * weight (the tied wte gets the embedding's and the head's parts) through the chunked head as
 * through the unfused matmul + token_logprobs path, on the CPU backend; 'auto' keeps this small
 * step unfused.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { buildSequenceStats, feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { gpt2Architecture } from '../../src/engine/models/gpt2.ts';
import { expectedParams, type LoadedModel, modelFromWeights } from '../../src/engine/models/index.ts';
import { type LmHeadMode, VOCAB_CHUNK } from '../../src/engine/ops/lm-head/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';

const B = 4;
const T = 24;
const V = 2 * VOCAB_CHUNK + 451;

function wideGpt2(seed: number): LoadedModel {
  const config = parseConfig({ model_type: 'gpt2', vocab_size: V, n_embd: 16, n_layer: 2, n_head: 2, n_positions: T });
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

async function nllAndGrads(model: LoadedModel, feeds: ReturnType<typeof sequenceFeeds>, lmHead: LmHeadMode) {
  const g = new Graph();
  const seq = buildSequenceStats(g, model, { B, T, reductions: ['sum', 'nll'], build: { lmHead } });
  const backend = new CpuBackend();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name) => model.weights.get(name) as Float32Array);
  const train = compileTrainStep(g, seq.nll as Node, [seq.sum as Node], backend, store);
  const { loss, outputs, grads } = await train.grads(feedsFor(g, feeds));
  train.dispose();
  return { ops: new Set(g.nodes.map((n) => n.op)), loss, sums: outputs[0], grads };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}

describe('sequence graphs through the chunked LM head', () => {
  it('match the unfused head: NLL, summed log-probs and every gradient (tied wte included)', async () => {
    const model = wideGpt2(3);
    const rng = new Rng(9);
    // Rows of different lengths (right padding), prompts masked out of the labels.
    const rows = [24, 20, 13, 7].map((len) => ({
      ids: Array.from({ length: len }, () => rng.int(V)),
      mask: Array.from({ length: len }, (_, t) => (t < 3 ? 0 : 1)),
    }));
    const feeds = sequenceFeeds(padRows(rows, 0, T));
    const chunked = await nllAndGrads(model, feeds, 'chunked');
    const plain = await nllAndGrads(model, feeds, 'unfused');
    const auto = await nllAndGrads(model, feeds, 'auto');
    expect(chunked.ops.has('lm_head_logprobs_grad_weight')).toBe(true);
    expect(chunked.ops.has('token_logprobs')).toBe(false);
    expect(plain.ops.has('lm_head_logprobs')).toBe(false);
    expect(auto.ops.has('lm_head_logprobs')).toBe(false); // 96 tokens of logits are small
    expect(auto.loss).toBe(plain.loss);
    expect(Math.abs(chunked.loss - plain.loss) / Math.abs(plain.loss)).toBeLessThan(1e-5);
    expect(plain.loss).toBeGreaterThan(4); // about log(2499) = 7.8 for a random model
    expect(maxRelDiff(chunked.sums, plain.sums)).toBeLessThan(1e-5);
    expect([...chunked.grads.keys()].sort()).toEqual([...plain.grads.keys()].sort());
    expect(chunked.grads.size).toBeGreaterThan(10);
    for (const [name, g] of plain.grads) {
      expect(maxRelDiff(chunked.grads.get(name) as Float32Array, g), name).toBeLessThan(1e-4);
    }
  });
});
