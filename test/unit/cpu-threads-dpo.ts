/**
 * A few DPO steps of a random GPT-2 on a given CPU backend, everything from fixed seeds: the run
 * the thread checks (test/unit/engine-cpu-threads-backend, cpu-threads-step and the browser page
 * test/browser/cpu-threads) repeat at 1 and at more threads to compare bit for bit.
 */
import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { Graph } from '../../src/engine/graph.ts';
import { feedsFor, padRows, sequenceFeeds } from '../../src/engine/logprobs.ts';
import type { ModelConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { buildPreferenceGraph, REF_INPUTS } from '../../src/engine/objectives/index.ts';
import type { AttentionMode } from '../../src/engine/ops/attention/index.ts';
import { ADAMW_DEFAULTS } from '../../src/engine/optim/adamw.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Rng } from '../../src/engine/random.ts';
import { compileTrainStep } from '../../src/engine/train-step.ts';

export interface DpoRun {
  config: ModelConfig;
  /** Seeds the model's weights and the token ids. */
  seed: number;
  modelName: string;
  pairs: number;
  T: number;
  /** Tokens before this position are the prompt (mask 0). */
  promptLen: number;
  /** The frozen reference model's log-prob of every chosen and rejected row. */
  refLogp: number;
  steps: number;
  /** Which attention the model builds (default 'auto'). */
  attention?: AttentionMode;
}

/** Runs `run.steps` DPO steps on `backend`: every loss, and the trained weights (copies). */
export async function trainDpoSteps(
  backend: Backend,
  run: DpoRun,
): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const { config, pairs, T } = run;
  const rng = new Rng(run.seed);
  const model = randomModel(run.modelName, config, rng);
  const rows = Array.from({ length: 2 * pairs }, () => {
    const ids = Array.from({ length: T }, () => rng.int(config.vocabSize));
    return { ids, mask: ids.map((_, t) => (t >= run.promptLen ? 1 : 0)) };
  });
  const g = new Graph();
  const pg = buildPreferenceGraph(g, model, { pairs, T, objective: 'dpo', build: { attention: run.attention } });
  const store = new ParamStore(backend);
  store.addFromGraph(g, (n) => Float32Array.from(model.weights.get(n) as Float32Array));
  const step = compileTrainStep(g, pg.loss, [], backend, store);
  const feeds = feedsFor(g, {
    ...sequenceFeeds(
      padRows(rows, 0, T),
      Array.from({ length: pairs }, (_, i) => i),
    ),
    [REF_INPUTS.chosen]: new Float32Array(pairs).fill(run.refLogp),
    [REF_INPUTS.rejected]: new Float32Array(pairs).fill(run.refLogp),
  });
  const losses: number[] = [];
  for (let i = 0; i < run.steps; i++) losses.push((await step.step(feeds, { ...ADAMW_DEFAULTS, lr: 1e-3 })).loss);
  const weights = [...(await store.readAll()).values()];
  step.dispose();
  store.dispose();
  return { losses, weights };
}

/** The same run on a fresh CPU backend asked for `threads` threads, and how many it really uses. */
export async function trainOnThreads(
  threads: number,
  run: DpoRun,
): Promise<{ losses: number[]; weights: Float32Array[]; threads: number }> {
  const backend = new CpuBackend({ threads });
  await backend.whenThreadsReady();
  return { ...(await trainDpoSteps(backend, run)), threads: backend.threads };
}
