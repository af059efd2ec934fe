/**
 * The CPU backend with helper threads: a GPT-2 DPO training step gives bit-identical losses and
 * weights at 1 and 3 threads (the threads really ran its matmuls), and the thread option is checked.
 */
import { expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { sharedGemmPool } from '../../src/engine/backends/cpu/threads/shared-pool.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { type DpoRun, trainOnThreads } from './cpu-threads-dpo.ts';

const T = 32;
const config = parseConfig({ model_type: 'gpt2', vocab_size: 512, n_positions: T, n_embd: 128, n_layer: 2, n_head: 4 });
const RUN: DpoRun = { config, seed: 5, modelName: 'threads', pairs: 2, T, promptLen: 8, refLogp: -200, steps: 3 };

/** Three DPO steps on `threads` threads: every loss, and the trained weights, as raw bits. */
async function train(threads: number): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const run = await trainOnThreads(threads, RUN);
  expect(run.threads).toBe(threads);
  return run;
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
