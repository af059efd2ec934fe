/**
 * The CPU backend with helper threads: a GPT-2 DPO training step gives bit-identical losses and
 * weights at 1 and 3 threads (the threads really ran its matmuls), and the thread option is checked.
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

const PAIRS = 2;
const T = 32;
const config = parseConfig({ model_type: 'gpt2', vocab_size: 512, n_positions: T, n_embd: 128, n_layer: 2, n_head: 4 });

/** Three DPO steps on `threads` threads: every loss, and the trained weights, as raw bits. */
async function train(threads: number): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const rng = new Rng(5);
  const model = randomModel('threads', config, rng);
  const rows = Array.from({ length: 2 * PAIRS }, () => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return { ids, mask: ids.map((_, t) => (t >= 8 ? 1 : 0)) };
  });
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: PAIRS, T, objective: 'dpo' });
  const backend = new CpuBackend({ threads });
  await backend.whenThreadsReady();
  expect(backend.threads).toBe(threads);
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => Float32Array.from(model.weights.get(n) as Float32Array));
  const step = compileTrainStep(g, pg.loss, [], backend, store);
  const feeds = feedsFor(g, {
    ...sequenceFeeds(padRows(rows, 0, T), [0, 1]),
    [REF_INPUTS.chosen]: new Float32Array(PAIRS).fill(-200),
    [REF_INPUTS.rejected]: new Float32Array(PAIRS).fill(-200),
  });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await step.step(feeds, { ...ADAMW_DEFAULTS, lr: 1e-3 })).loss);
  const weights = [...(await store.readAll()).values()];
  return { losses, weights };
}

it('a GPT-2 DPO step: 3 threads give the same losses and weights, bit for bit, as 1 thread', async () => {
  const one = await train(1);
  const pool = sharedGemmPool(3);
  if (typeof pool === 'string') throw new Error(`no threads in this Node: ${pool}`);
  const before = pool.stats.threadedJobs;
  const many = await train(3);
  expect(pool.stats.threadedJobs).toBeGreaterThan(before);
  expect(pool.stats.mostThreads).toBe(3);
  expect(many.losses).toEqual(one.losses);
  expect(one.losses[2]).not.toEqual(one.losses[0]);
  expect(many.weights.length).toBe(one.weights.length);
  for (let i = 0; i < one.weights.length; i++)
    expect(Buffer.from(many.weights[i].buffer).equals(Buffer.from(one.weights[i].buffer))).toBe(true);
});

it('a bad thread count is refused with what to do', () => {
  expect(() => new CpuBackend({ threads: 1.5 })).toThrow(/CpuBackend option threads must be a whole number/);
  expect(new CpuBackend({ threads: 1 }).threads).toBe(1);
  expect(new CpuBackend({ threads: 2, matmul: 'js' }).threads).toBe(1);
});
