/**
 * Module worker of the browser CPU-threads check, as the app's training worker runs the CPU
 * backend: a small GPT-2 DPO step (3 steps) at 1 thread and at 2 threads (nested Web Workers on a
 * shared WebAssembly memory), with standard and with fused attention (its threaded kernels call the
 * pool's SIMD gemm from the helper threads), posting the losses and trained weights and what the
 * thread pool ran.
 */
import { CpuBackend } from '../../../src/engine/backends/cpu/backend.ts';
import { sharedGemmPool } from '../../../src/engine/backends/cpu/threads/shared-pool.ts';
import { parseConfig } from '../../../src/engine/models/config.ts';
import type { AttentionMode } from '../../../src/engine/ops/attention/index.ts';
import { trainDpoSteps } from '../../unit/cpu-threads-dpo.ts';

export interface ThreadsReport {
  threads: number;
  threadsNote: string | null;
  oneThread: { losses: number[]; weights: number[][] };
  twoThreads: { losses: number[]; weights: number[][] };
  fused: {
    oneThread: { losses: number[]; weights: number[][] };
    twoThreads: { losses: number[]; weights: number[][] };
  };
  pool: { threadedJobs: number; rangeJobs: number; mostThreads: number } | null;
  error?: string;
}

const T = 32;
const config = parseConfig({ model_type: 'gpt2', vocab_size: 256, n_positions: T, n_embd: 64, n_layer: 2, n_head: 4 });

async function train(
  backend: CpuBackend,
  attention: AttentionMode = 'unfused',
): Promise<{ losses: number[]; weights: number[][] }> {
  const run = { config, seed: 9, modelName: 'threads', pairs: 2, T, promptLen: 8, refLogp: -150, steps: 3, attention };
  const { losses, weights } = await trainDpoSteps(backend, run);
  return { losses, weights: weights.map((w) => [...w]) };
}

async function run(): Promise<ThreadsReport> {
  const single = new CpuBackend({ threads: 1 });
  const oneThread = await train(single);
  const fusedOne = await train(single, 'fused');
  const backend = new CpuBackend({ threads: 2 });
  await backend.whenThreadsReady();
  const twoThreads = await train(backend);
  const fusedTwo = await train(backend, 'fused');
  const pool = sharedGemmPool(2);
  const stats = typeof pool === 'string' ? null : pool.stats;
  return {
    threads: backend.threads,
    threadsNote: backend.threadsNote,
    oneThread,
    twoThreads,
    fused: { oneThread: fusedOne, twoThreads: fusedTwo },
    pool: stats && { threadedJobs: stats.threadedJobs, rangeJobs: stats.rangeJobs, mostThreads: stats.mostThreads },
  };
}

run().then(
  (report) => self.postMessage(report),
  (e: unknown) => self.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);
