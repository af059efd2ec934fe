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
import type { LoadedModel } from '../../src/engine/models/index.ts';
import { type LmHeadMode, VOCAB_CHUNK } from '../../src/engine/ops/lm-head/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { maxRelDiff, wideGpt2 } from './lm-head-helpers.ts';

const B = 4;
const T = 24;
const V = 2 * VOCAB_CHUNK + 451;

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

describe('sequence graphs through the chunked LM head', () => {
  it('match the unfused head: NLL, summed log-probs and every gradient (tied wte included)', async () => {
    const model = wideGpt2(3, V, 2, T);
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
