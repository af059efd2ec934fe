/**
 * The benchmark's tiny GPT-2 DPO step (n_embd 128, 4 layers, vocab 1024, 4 pairs x 64 tokens) on
 * the CPU backend at 1 and 2 threads: identical losses and trained weights, bit for bit, with the
 * non-matmul kernels (elementwise, softmax, log-probs, norms, permutes, AdamW) really split over
 * the threads, and the tensors in the pool's shared memory given back when the run is disposed.
 */
import { expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { sharedGemmPool } from '../../src/engine/backends/cpu/threads/shared-pool.ts';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../../src/engine/objectives/index.ts';
import { ADAMW_DEFAULTS } from '../../src/engine/optim/adamw.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';

const PAIRS = 4;
const T = 64;
const config = parseConfig({
  model_type: 'gpt2',
  vocab_size: 1024,
  n_positions: T,
  n_embd: 128,
  n_layer: 4,
  n_head: 4,
});

async function train(threads: number): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const rng = new Rng(11);
  const model = randomModel('tiny', config, rng);
  const rows = Array.from({ length: 2 * PAIRS }, () => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return { ids, mask: ids.map((_, t) => (t >= 16 ? 1 : 0)) };
  });
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: PAIRS, T, objective: 'dpo' });
  const backend = new CpuBackend({ threads });
  await backend.whenThreadsReady();
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => Float32Array.from(model.weights.get(n) as Float32Array));
  const step = compileTrainStep(g, pg.loss, [], backend, store);
  const feeds = feedsFor(g, {
    ...sequenceFeeds(padRows(rows, 0, T), [0, 1, 2, 3]),
    [REF_INPUTS.chosen]: new Float32Array(PAIRS).fill(-400),
    [REF_INPUTS.rejected]: new Float32Array(PAIRS).fill(-400),
  });
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) losses.push((await step.step(feeds, { ...ADAMW_DEFAULTS, lr: 1e-3 })).loss);
  const weights = [...(await store.readAll()).values()];
  step.dispose();
  store.dispose();
  return { losses, weights };
}

it('the tiny DPO step: 2 threads give the losses and weights of 1 thread, bit for bit', async () => {
  const one = await train(1);
  const pool = sharedGemmPool(2);
  if (typeof pool === 'string') throw new Error(`no threads in this Node: ${pool}`);
  // The lag guard could send jobs to one thread on a busy machine; here they must use both.
  pool.lag.enabled = false;
  const before = { ...pool.stats };
  const liveBefore = pool.arena.liveBytes - pool.gemmScratchBytes;
  const two = await train(2);
  expect(pool.stats.threadedJobs).toBeGreaterThan(before.threadedJobs);
  // Two steps of 4 layers: hundreds of kernels besides the matmuls ran on both threads.
  expect(pool.stats.rangeJobs - before.rangeJobs).toBeGreaterThan(300);
  expect(two.losses).toEqual(one.losses);
  expect(one.losses[1]).not.toEqual(one.losses[0]);
  for (let i = 0; i < one.weights.length; i++)
    expect(Buffer.from(two.weights[i].buffer).equals(Buffer.from(one.weights[i].buffer))).toBe(true);
  // Disposing the step and the store gave every block back (the gemm's scratch block stays).
  expect(pool.arena.liveBytes - pool.gemmScratchBytes).toBe(liveBefore);
  pool.lag.enabled = true;
});
