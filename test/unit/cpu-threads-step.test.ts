/**
 * The benchmark's tiny GPT-2 DPO step (n_embd 128, 4 layers, vocab 1024, 4 pairs x 64 tokens) on
 * the CPU backend at 1 and 2 threads: identical losses and trained weights, bit for bit, with the
 * non-matmul kernels (elementwise, softmax, log-probs, norms, permutes, AdamW) really split over
 * the threads, and the tensors in the pool's shared memory given back when the run is disposed.
 */
import { expect, it } from 'vitest';
import { sharedGemmPool } from '../../src/engine/backends/cpu/threads/shared-pool.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { type DpoRun, trainOnThreads } from './cpu-threads-dpo.ts';

const T = 64;
const RUN: DpoRun = {
  config: parseConfig({ model_type: 'gpt2', vocab_size: 1024, n_positions: T, n_embd: 128, n_layer: 4, n_head: 4 }),
  seed: 11,
  modelName: 'tiny',
  pairs: 4,
  T,
  promptLen: 16,
  refLogp: -400,
  steps: 2,
};
const train = (threads: number) => trainOnThreads(threads, RUN);

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
