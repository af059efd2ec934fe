/**
 * The chunked LM head inside a compiled train step on the WebGPU backend (planner, fusion pass and
 * one submission per step included): a GPT-2 model whose vocabulary (2,499) is not a multiple of
 * any workgroup gives the NLL, summed log-probs and gradients of every weight (tied wte included)
 * of the CPU backend's unfused matmul + token_logprobs path, in both row strategies.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import type { RowStrategy } from '../../src/engine/backends/webgpu/index.ts';
import { Graph, type Node } from '../../src/engine/graph.ts';
import { buildSequenceStats, feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import type { LoadedModel } from '../../src/engine/models/index.ts';
import type { LmHeadMode } from '../../src/engine/ops/lm-head/index.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';
import { maxRelDiff, wideGpt2 } from '../unit/lm-head-helpers.ts';
import { gpuBackendPerVariant } from './webgpu-helpers.ts';

const STRATEGIES: RowStrategy[] = ['workgroup', 'thread'];
const backendFor = gpuBackendPerVariant(STRATEGIES, (rows) => ({ rows }));

const B = 4;
const T = 12;
const V = 2499;

async function nllAndGrads(backend: Backend, model: LoadedModel, lmHead: LmHeadMode) {
  const rng = new Rng(9);
  const rows = [12, 10, 6, 3].map((len) => ({
    ids: Array.from({ length: len }, () => rng.int(V)),
    mask: Array.from({ length: len }, (_, t) => (t < 2 ? 0 : 1)),
  }));
  const g = new Graph();
  const seq = buildSequenceStats(g, model, { B, T, reductions: ['sum', 'nll'], build: { lmHead } });
  const store = new ParamStore(backend);
  store.addFromGraph(g, (name) => model.weights.get(name) as Float32Array);
  const train = compileTrainStep(g, seq.nll as Node, [seq.sum as Node], backend, store);
  const { loss, outputs, grads } = await train.grads(feedsFor(g, sequenceFeeds(padRows(rows, 0, T))));
  train.dispose();
  store.dispose();
  return { ops: new Set(g.nodes.map((n) => n.op)), loss, sums: outputs[0], grads };
}

for (const rows of STRATEGIES) {
  describe(`chunked LM head in a WebGPU train step (${rows})`, () => {
    it('matches the CPU backend on the unfused path: NLL, log-probs, every gradient', async () => {
      const model = wideGpt2(5, V, 1, T);
      const want = await nllAndGrads(new CpuBackend(), model, 'unfused');
      const got = await nllAndGrads(backendFor(rows), model, 'chunked');
      expect(got.ops.has('lm_head_logprobs_grad_weight')).toBe(true);
      expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss)).toBeLessThan(1e-5);
      expect(maxRelDiff(got.sums, want.sums)).toBeLessThan(1e-5);
      expect([...got.grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
      for (const [name, g] of want.grads) {
        expect(maxRelDiff(got.grads.get(name) as Float32Array, g), name).toBeLessThan(1e-4);
      }
    });
  });
}
