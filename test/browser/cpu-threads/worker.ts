/**
 * Module worker of the browser CPU-threads check, as the app's training worker runs the CPU
 * backend: a small GPT-2 DPO step (3 steps) at 1 thread and at 2 threads (nested Web Workers on a
 * shared WebAssembly memory), posting the losses and trained weights of both and what the thread
 * pool ran.
 */
import { CpuBackend } from '../../../src/engine/backends/cpu/backend.ts';
import { sharedGemmPool } from '../../../src/engine/backends/cpu/threads/shared-pool.ts';
import { Graph } from '../../../src/engine/graph.ts';
import { feedsFor, padRows, sequenceFeeds } from '../../../src/engine/logprobs.ts';
import { parseConfig } from '../../../src/engine/models/config.ts';
import { randomModel } from '../../../src/engine/models/init.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../../../src/engine/objectives/index.ts';
import { ADAMW_DEFAULTS } from '../../../src/engine/optim/adamw.ts';
import { ParamStore } from '../../../src/engine/params.ts';
import { Rng } from '../../../src/engine/random.ts';
import { compileTrainStep } from '../../../src/engine/train-step.ts';

export interface ThreadsReport {
  threads: number;
  threadsNote: string | null;
  oneThread: { losses: number[]; weights: number[][] };
  twoThreads: { losses: number[]; weights: number[][] };
  pool: { threadedJobs: number; rangeJobs: number; mostThreads: number } | null;
  error?: string;
}

const PAIRS = 2;
const T = 32;
const config = parseConfig({ model_type: 'gpt2', vocab_size: 256, n_positions: T, n_embd: 64, n_layer: 2, n_head: 4 });

async function train(backend: CpuBackend): Promise<{ losses: number[]; weights: number[][] }> {
  const rng = new Rng(9);
  const model = randomModel('threads', config, rng);
  const rows = Array.from({ length: 2 * PAIRS }, () => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return { ids, mask: ids.map((_, t) => (t >= 8 ? 1 : 0)) };
  });
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs: PAIRS, T, objective: 'dpo' });
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => Float32Array.from(model.weights.get(n) as Float32Array));
  const step = compileTrainStep(g, pg.loss, [], backend, store);
  const feeds = feedsFor(g, {
    ...sequenceFeeds(padRows(rows, 0, T), [0, 1]),
    [REF_INPUTS.chosen]: new Float32Array(PAIRS).fill(-150),
    [REF_INPUTS.rejected]: new Float32Array(PAIRS).fill(-150),
  });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await step.step(feeds, { ...ADAMW_DEFAULTS, lr: 1e-3 })).loss);
  const weights = [...(await store.readAll()).values()].map((w) => [...w]);
  step.dispose();
  store.dispose();
  return { losses, weights };
}

async function run(): Promise<ThreadsReport> {
  const oneThread = await train(new CpuBackend({ threads: 1 }));
  const backend = new CpuBackend({ threads: 2 });
  await backend.whenThreadsReady();
  const twoThreads = await train(backend);
  const pool = sharedGemmPool(2);
  const stats = typeof pool === 'string' ? null : pool.stats;
  return {
    threads: backend.threads,
    threadsNote: backend.threadsNote,
    oneThread,
    twoThreads,
    pool: stats && { threadedJobs: stats.threadedJobs, rangeJobs: stats.rangeJobs, mostThreads: stats.mostThreads },
  };
}

run().then(
  (report) => self.postMessage(report),
  (e: unknown) => self.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);
